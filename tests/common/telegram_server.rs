//! A fake Telegram Bot API: `POST /bot<token>/sendMessage` with the documented envelope,
//! `{"ok":true,"result":{...}}` or `{"ok":false,"error_code":N,"description":...,
//! "parameters":{...}}`, and switches for the states a real bot meets.
#![allow(dead_code)]
//! Needs `cut_listener` (tests/common/cut_listener.rs) declared at the test crate root.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::cut_listener;

pub const TOKEN: &str = "123456:ABC-secret-token";
pub const CHAT: &str = "424242";

#[derive(Debug, Default)]
pub struct Bot {
    /// Messages shown in the chat: (parse_mode, text).
    pub shown: Vec<(Option<String>, String)>,
    /// Every request that reached the API.
    pub requests: usize,
    /// The person blocked the bot: 403.
    pub blocked: bool,
    /// Flood control for the next N requests: 429 with `retry_after`.
    pub flood: usize,
    pub retry_after: u64,
    /// The next N requests get 500.
    pub down: usize,
    /// The next request never gets an answer.
    pub hang: bool,
    /// Every HTML message is refused as unparsable (Telegram's parser is stricter than ours).
    pub refuse_html: bool,
    /// The group became a supergroup with this id.
    pub migrated_to: Option<i64>,
    /// The listener's switch: the next reply is cut off (after the message was shown).
    pub cut: Option<Arc<std::sync::atomic::AtomicBool>>,
}

pub type Shared = Arc<Mutex<Bot>>;

/// Starts the fake; returns its base URL and state.
pub async fn start() -> (String, Shared) {
    let bot: Shared = Arc::default();
    let app = Router::new()
        .route("/{method_path}/sendMessage", post(send_message))
        .with_state(bot.clone());
    let (url, cut) = cut_listener::serve(app).await;
    bot.lock().unwrap().cut = Some(cut);
    (url, bot)
}

fn fail(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (StatusCode::from_u16(code).unwrap(), Json(body)).into_response()
}

async fn send_message(
    State(bot): State<Shared>,
    Path(method_path): Path<String>,
    Json(req): Json<Value>,
) -> Response {
    let hang = {
        let mut b = bot.lock().unwrap();
        b.requests += 1;
        std::mem::take(&mut b.hang)
    };
    if hang {
        std::future::pending::<()>().await;
    }
    let mut b = bot.lock().unwrap();
    if method_path != format!("bot{TOKEN}") {
        return fail(401, "Unauthorized", None);
    }
    if b.down > 0 {
        b.down -= 1;
        return fail(500, "Internal Server Error", None);
    }
    if b.flood > 0 {
        b.flood -= 1;
        let after = b.retry_after;
        return fail(
            429,
            &format!("Too Many Requests: retry after {after}"),
            Some(json!({"retry_after": after})),
        );
    }
    let chat = match &req["chat_id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(id) = b.migrated_to {
        return fail(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            Some(json!({"migrate_to_chat_id": id})),
        );
    }
    if chat != CHAT {
        return fail(400, "Bad Request: chat not found", None);
    }
    if b.blocked {
        return fail(403, "Forbidden: bot was blocked by the user", None);
    }
    let text = req["text"].as_str().unwrap_or_default().to_string();
    if text.is_empty() {
        return fail(400, "Bad Request: message text is empty", None);
    }
    let mode = req["parse_mode"].as_str().map(str::to_string);
    if mode.as_deref() == Some("HTML") && (b.refuse_html || !balanced(&text)) {
        return fail(
            400,
            "Bad Request: can't parse entities: Unsupported start tag",
            None,
        );
    }
    b.shown.push((mode, text.clone()));
    let id = b.shown.len();
    Json(json!({"ok": true, "result": {"message_id": id, "date": 0, "chat": {"id": CHAT.parse::<i64>().unwrap(), "type": "private"}, "text": text}})).into_response()
}

/// A rough stand-in for Telegram's HTML parser: only <b>, </b> and entities are allowed.
fn balanced(text: &str) -> bool {
    let stripped = text.replace("<b>", "").replace("</b>", "");
    !stripped.contains('<') && !stripped.contains('>')
}
