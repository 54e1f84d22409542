//! A webhook receiver as README.md tells people to write one: checks the signature over
//! `timestamp.body`, drops repeats by `Idempotency-Key`, answers 2xx; switches for outages.
#![allow(dead_code)]
//! Needs `cut_listener` (tests/common/cut_listener.rs) declared at the test crate root.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::cut_listener;

pub const SECRET: &str = "whsec_renewd_test";

#[derive(Debug, Default)]
pub struct Receiver {
    /// Bodies accepted, once per idempotency key.
    pub events: Vec<serde_json::Value>,
    /// Requests with a key already seen.
    pub repeats: usize,
    pub requests: usize,
    /// The next N requests get this status instead.
    pub fail_next: usize,
    pub fail_status: u16,
    pub cut: Option<Arc<std::sync::atomic::AtomicBool>>,
    seen: Vec<String>,
}

pub type Shared = Arc<Mutex<Receiver>>;

pub async fn start() -> (String, Shared) {
    let r: Shared = Arc::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(r.clone());
    let (url, cut) = cut_listener::serve(app).await;
    r.lock().unwrap().cut = Some(cut);
    (format!("{url}/hook"), r)
}

/// The receiver's own check, with ring (as any HMAC library would do it).
pub fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(hex) = get("x-renewd-signature").strip_prefix("sha256=") else {
        return false;
    };
    let Ok(tag) = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let signed = [get("x-renewd-timestamp").as_bytes(), b".", body].concat();
    ring::hmac::verify(&key, &signed, &tag).is_ok()
}

async fn receive(State(r): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut r = r.lock().unwrap();
    r.requests += 1;
    if r.fail_next > 0 {
        r.fail_next -= 1;
        return StatusCode::from_u16(r.fail_status).unwrap().into_response();
    }
    if !verify(&headers, &body) {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if r.seen.contains(&key) {
        r.repeats += 1;
        return StatusCode::OK.into_response();
    }
    let Ok(event) = serde_json::from_slice(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    r.seen.push(key);
    r.events.push(event);
    StatusCode::NO_CONTENT.into_response()
}
