//! A fake ntfy server: `POST /<topic>` publishes the body, `title`/`tags`/`priority` from
//! the query, `Authorization: Bearer <token>` for protected topics; errors in ntfy's shape
//! `{"code":40101,"http":401,"error":"unauthorized","link":"..."}`.
#![allow(dead_code)]
//! Needs `cut_listener` (tests/common/cut_listener.rs) declared at the test crate root.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use crate::cut_listener;

pub const TOKEN: &str = "tk_renewdtesttoken";

#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub topic: String,
    pub title: Option<String>,
    pub tags: Option<String>,
    pub priority: Option<String>,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Server {
    pub published: Vec<Published>,
    pub requests: usize,
    /// Topics that need the token (others are open).
    pub protected: Vec<String>,
    /// The next N publishes get 429.
    pub limited: usize,
    /// The next N publishes get 507/500.
    pub down: usize,
    /// Largest message accepted (bytes); larger ones get 413.
    pub max_message: usize,
    pub cut: Option<Arc<std::sync::atomic::AtomicBool>>,
}

pub type Shared = Arc<Mutex<Server>>;

pub async fn start() -> (String, Shared) {
    let server: Shared = Arc::new(Mutex::new(Server {
        max_message: 4096,
        ..Default::default()
    }));
    let app = Router::new()
        .route("/{topic}", post(publish))
        .with_state(server.clone());
    let (url, cut) = cut_listener::serve(app).await;
    server.lock().unwrap().cut = Some(cut);
    (url, server)
}

fn error(http: u16, code: u32, error: &str) -> Response {
    let body = json!({"code": code, "http": http, "error": error, "link": "https://ntfy.sh/docs/publish/"});
    (StatusCode::from_u16(http).unwrap(), Json(body)).into_response()
}

async fn publish(
    State(s): State<Shared>,
    Path(topic): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = s.lock().unwrap();
    s.requests += 1;
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if s.protected.contains(&topic) {
        match auth {
            None => return error(403, 40301, "forbidden"),
            Some(a) if a != format!("Bearer {TOKEN}") => return error(401, 40101, "unauthorized"),
            Some(_) => {}
        }
    }
    if s.limited > 0 {
        s.limited -= 1;
        return error(429, 42901, "limit reached: too many requests");
    }
    if s.down > 0 {
        s.down -= 1;
        return error(500, 50001, "internal server error");
    }
    if body.len() > s.max_message {
        return error(413, 41301, "request entity too large");
    }
    let message = String::from_utf8_lossy(&body).to_string();
    let p = Published {
        topic: topic.clone(),
        title: q.get("title").cloned(),
        tags: q.get("tags").cloned(),
        priority: q.get("priority").cloned(),
        message: message.clone(),
    };
    s.published.push(p);
    let id = format!("m{}", s.published.len());
    Json(json!({"id": id, "time": 0, "event": "message", "topic": topic, "message": message}))
        .into_response()
}
