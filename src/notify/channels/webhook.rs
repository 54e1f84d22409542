//! The JSON webhook: POST one versioned JSON document per event, signed when a secret is
//! set. The payload (version 1) and the headers are documented in README.md:
//!
//! - body: `{"version":1,"event":KEY,"kind":"receipt"|"failure"|"warning","line":ID|null,
//!   "language":"en"|"zh-CN","subject":TEXT,"text":TEXT,"created_at":RFC3339}`
//! - `Idempotency-Key: KEY` and `X-Renewd-Event: KEY`: the same on every attempt, so a
//!   receiver can drop a repeat (a reply lost after it accepted means a retry).
//! - `X-Renewd-Timestamp: UNIX_SECONDS` and `X-Renewd-Signature: sha256=HEX`, the
//!   HMAC-SHA256 with the secret of `TIMESTAMP + "." + BODY` (the exact bytes sent).

use chrono::{DateTime, Utc};
use ring::hmac;
use serde::Serialize;
use url::Url;

use super::http::Http;
use super::{ChannelError, ChannelMessage, classify_status};
use crate::config::Secret;

/// The payload's version; a change that breaks receivers raises it.
pub const VERSION: u32 = 1;

/// The JSON body of one event.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Payload {
    pub version: u32,
    pub event: String,
    pub kind: String,
    pub line: Option<String>,
    pub language: String,
    pub subject: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

impl Payload {
    pub fn of(msg: &ChannelMessage) -> Self {
        Payload {
            version: VERSION,
            event: msg.key.clone(),
            kind: msg.kind.as_str().to_string(),
            line: msg.line_id.clone(),
            language: msg.language.code().to_string(),
            subject: msg.subject.clone(),
            text: msg.text.clone(),
            created_at: msg.created_at,
        }
    }
}

/// `sha256=<hex>` of `timestamp.body` under `secret`.
pub fn signature(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// POSTs one event.
pub async fn send(
    http: &Http,
    channel: &str,
    url: &Url,
    secret: Option<&Secret>,
    msg: &ChannelMessage,
    now: DateTime<Utc>,
) -> Result<(), ChannelError> {
    let body = serde_json::to_vec(&Payload::of(msg)).map_err(|e| ChannelError::Rejected {
        channel: channel.to_string(),
        detail: format!("cannot encode the payload: {e}"),
    })?;
    let ts = now.timestamp();
    let mut req = http
        .client()
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", &msg.key)
        .header("X-Renewd-Event", &msg.key)
        .header("X-Renewd-Timestamp", ts.to_string());
    if let Some(s) = secret {
        req = req.header("X-Renewd-Signature", signature(s, ts, &body));
    }
    let reply = http.send(req.body(body)).await?;
    let hint = match reply.status.as_u16() {
        401 | 403 => "the receiver refused the request: check that its secret matches secret_file",
        404 | 410 => "nothing listens at this URL any more: check url",
        _ => "check the receiver and the channel's url",
    };
    classify_status(channel, &reply, hint)
}
