//! Telegram: the Bot API's `sendMessage` (POST `{base_url}/bot<token>/sendMessage`, JSON),
//! HTML or plain text, and its documented error shape
//! `{"ok":false,"error_code":N,"description":"...","parameters":{"retry_after":N}}`.
//!
//! Telegram has no idempotency key: a reply lost after Telegram accepted the message
//! means the retry shows it twice (at least once, never lost).

use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::http::{Http, Reply};
use super::{ChannelError, ChannelMessage, cut};
use crate::config::{ParseMode, Secret};

/// Telegram's limit is 4096 characters; bytes are counted here, which is stricter.
const MAX_TEXT: usize = 4000;

/// Where a message goes.
pub struct Target<'a> {
    pub base_url: &'a Url,
    pub token: &'a Secret,
    pub chat_id: &'a str,
    pub parse_mode: ParseMode,
}

/// The Bot API's reply envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    error_code: Option<u16>,
    #[serde(default)]
    description: String,
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
    migrate_to_chat_id: Option<i64>,
}

/// Sends one message; an HTML message Telegram cannot parse is sent again as plain text.
pub async fn send(
    http: &Http,
    channel: &str,
    to: &Target<'_>,
    msg: &ChannelMessage,
) -> Result<(), ChannelError> {
    match send_as(http, channel, to, msg, to.parse_mode).await {
        Err(ChannelError::Rejected { detail, .. })
            if to.parse_mode == ParseMode::Html && detail.contains("can't parse entities") =>
        {
            tracing::warn!(channel, %detail, "Telegram could not read the HTML; sending as plain text");
            send_as(http, channel, to, msg, ParseMode::Plain).await
        }
        other => other,
    }
}

async fn send_as(
    http: &Http,
    channel: &str,
    to: &Target<'_>,
    msg: &ChannelMessage,
    mode: ParseMode,
) -> Result<(), ChannelError> {
    let mut url = to.base_url.clone();
    url.path_segments_mut()
        .map_err(|_| refused(channel, "base_url cannot take a path".into(), ""))?
        .pop_if_empty()
        .push(&format!("bot{}", to.token.expose()))
        .push("sendMessage");
    let mut body = json!({
        "chat_id": to.chat_id,
        "text": text(msg, mode),
        "link_preview_options": {"is_disabled": true},
    });
    if mode == ParseMode::Html {
        body["parse_mode"] = json!("HTML");
    }
    let reply = http.send(http.client().post(url).json(&body)).await?;
    classify(channel, &reply)
}

/// The subject in bold (HTML) or on its own line, then the text.
pub fn text(msg: &ChannelMessage, mode: ParseMode) -> String {
    let body = cut(&msg.text, MAX_TEXT - msg.subject.len().min(MAX_TEXT / 2));
    match mode {
        ParseMode::Html => format!("<b>{}</b>\n\n{}", escape(&msg.subject), escape(&body)),
        ParseMode::Plain => format!("{}\n\n{body}", msg.subject),
    }
}

/// The three characters Telegram's HTML mode needs escaped.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn refused(channel: &str, detail: String, hint: &str) -> ChannelError {
    ChannelError::Refused {
        channel: channel.to_string(),
        detail,
        hint: hint.to_string(),
    }
}

/// Sorts a reply by the Bot API's `ok`, `error_code`, `description` and `parameters`.
pub fn classify(channel: &str, reply: &Reply) -> Result<(), ChannelError> {
    let env: Option<Envelope> = serde_json::from_slice(&reply.body).ok();
    if reply.status.is_success() && env.as_ref().is_none_or(|e| e.ok) {
        return Ok(());
    }
    let status = reply.status.as_u16();
    let code = env.as_ref().and_then(|e| e.error_code).unwrap_or(status);
    let desc = env
        .as_ref()
        .map(|e| e.description.clone())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| reply.snippet());
    let params = env.as_ref().and_then(|e| e.parameters.as_ref());
    let detail = format!("Telegram {code}: {desc}");
    let lower = desc.to_ascii_lowercase();
    let retry = |after| ChannelError::Retry {
        channel: channel.to_string(),
        detail: detail.clone(),
        after,
    };
    match code {
        429 => Err(retry(
            params
                .and_then(|p| p.retry_after)
                .map(std::time::Duration::from_secs)
                .or_else(|| reply.retry_after()),
        )),
        401 | 404 => Err(refused(
            channel,
            detail.clone(),
            "the bot token is wrong or revoked: copy it again from @BotFather into bot_token_file",
        )),
        403 => Err(refused(channel, detail.clone(), forbidden_hint(&lower))),
        400 if params.and_then(|p| p.migrate_to_chat_id).is_some() => {
            let id = params
                .and_then(|p| p.migrate_to_chat_id)
                .unwrap_or_default();
            Err(refused(
                channel,
                detail.clone(),
                &format!("the group became a supergroup: set chat_id = \"{id}\""),
            ))
        }
        400 if lower.contains("chat not found") => Err(refused(
            channel,
            detail.clone(),
            "chat_id is wrong, or the bot was never added to that chat: send the bot a message (or add it to the group), then check the id",
        )),
        400 if lower.contains("rights")
            || lower.contains("chat_write_forbidden")
            || lower.contains("not enough") =>
        {
            Err(refused(
                channel,
                detail.clone(),
                "the bot may not post in this chat: make it a member (an admin, for a channel)",
            ))
        }
        400 | 413 => Err(ChannelError::Rejected {
            channel: channel.to_string(),
            detail,
        }),
        500..=599 => Err(retry(reply.retry_after())),
        _ if (300..400).contains(&status) => Err(refused(
            channel,
            format!("HTTP {status}: redirected to {}", reply.location()),
            "renewd follows no redirects; check base_url",
        )),
        _ => Err(retry(reply.retry_after())),
    }
}

fn forbidden_hint(lower: &str) -> &'static str {
    if lower.contains("blocked") {
        "the person blocked the bot: they must open the chat with the bot and press Restart"
    } else if lower.contains("kicked") || lower.contains("not a member") {
        "the bot was removed from the chat: add it back"
    } else if lower.contains("initiate") {
        "the person never started the bot: they must open it in Telegram and press Start"
    } else {
        "the bot may not write to this chat"
    }
}
