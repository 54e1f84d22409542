//! ntfy: publish by POST to the topic's URL, the text as the body and the title, tags and
//! priority as query parameters (UTF-8 safe, unlike headers), the token as
//! `Authorization: Bearer`. Errors come as `{"code":40101,"http":401,"error":"..."}`.
//!
//! ntfy has no idempotency key: a reply lost after ntfy accepted the message means the
//! retry shows it twice (at least once, never lost).

use url::Url;

use super::http::Http;
use super::{ChannelError, ChannelMessage, classify_status, cut};
use crate::config::{MessageKind, Secret};

/// ntfy keeps messages up to 4096 bytes as text (longer ones become attachments or are
/// refused, depending on the server).
const MAX_BODY: usize = 4000;

/// Publishes one message to the topic.
pub async fn send(
    http: &Http,
    channel: &str,
    topic: &Url,
    token: Option<&Secret>,
    msg: &ChannelMessage,
) -> Result<(), ChannelError> {
    let mut url = topic.clone();
    let (tag, priority) = match msg.kind {
        MessageKind::Receipt => ("white_check_mark", "3"),
        MessageKind::Failure => ("x", "4"),
        MessageKind::Warning => ("warning", "4"),
        MessageKind::Digest => ("calendar", "2"),
    };
    url.query_pairs_mut()
        .append_pair("title", &cut(&msg.subject, 250))
        .append_pair("tags", tag)
        .append_pair("priority", priority);
    let mut req = http
        .client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(cut(&msg.text, MAX_BODY));
    if let Some(t) = token {
        req = req.bearer_auth(t.expose());
    }
    let reply = http.send(req).await?;
    classify_status(
        channel,
        &reply,
        hint(reply.status.as_u16(), token.is_some()),
    )
}

/// What to fix when ntfy refuses the topic.
pub fn hint(status: u16, has_token: bool) -> &'static str {
    match (status, has_token) {
        (401 | 403, false) => {
            "the topic is protected: set token_file (or token_env) to an access token with write access"
        }
        (401, true) => {
            "the token is wrong or expired: create a new one (ntfy token add) and put it in token_file"
        }
        (403, true) => {
            "the token's user may not publish to this topic: grant write access (ntfy access USER TOPIC rw)"
        }
        (404, _) => {
            "the URL is not an ntfy topic: write the server and topic, e.g. https://ntfy.sh/mytopic"
        }
        _ => "check the ntfy server and the channel's url",
    }
}
