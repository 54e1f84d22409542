//! Channels beside email: Telegram, ntfy and a JSON webhook, one module each over one
//! shared HTTP client (`http.rs`). Each sends one message and sorts every failure into
//! three classes the outbox acts on:
//!
//! - `Retry`: try this message again later (5xx, 429, timeouts, dropped connections);
//!   `after` carries the server's own wait (Telegram's `retry_after`, `Retry-After`).
//! - `Refused`: the channel refuses everything (wrong token, bot blocked, topic auth,
//!   endpoint gone): pause the channel, keep its queue, tell a person.
//! - `Rejected`: this one message cannot be sent (400, 413); the others can.

use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::config::{Channel, ChannelKind, MessageKind, Secret};
use crate::i18n::Lang;

pub mod deliver;
pub mod http;
pub mod ntfy;
pub mod run;
pub mod telegram;
pub mod test;
pub mod webhook;

/// What a channel sends: one event's message, already in the channel's language.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMessage {
    /// The event key (e.g. `receipt:42`): the same on every attempt, so a receiver can
    /// recognise a repeat (webhook `Idempotency-Key`).
    pub key: String,
    pub kind: MessageKind,
    pub line_id: Option<String>,
    pub language: Lang,
    pub subject: String,
    /// Plain text, lines separated by `\n`.
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// Why a channel did not take a message, and what the outbox should do about it.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum ChannelError {
    #[error("{channel}: not sent, will retry: {detail}")]
    Retry {
        channel: String,
        detail: String,
        /// The server's own wait before the next attempt, when it gave one.
        after: Option<Duration>,
    },
    #[error(
        "{channel}: refuses every message, channel paused: {detail}{}",
        hint_suffix(hint)
    )]
    Refused {
        channel: String,
        detail: String,
        /// What the person should fix, e.g. "the bot token is wrong".
        hint: String,
    },
    #[error("{channel}: rejected this message: {detail}")]
    Rejected { channel: String, detail: String },
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!(" ({hint})")
    }
}

/// One configured channel, ready to send: its client and its secret, read once.
pub struct ChannelSender {
    pub channel: Channel,
    http: http::Http,
    /// The bot token, ntfy token or webhook secret.
    secret: Option<Secret>,
}

impl ChannelSender {
    /// Reads the channel's secret and builds its client. An unreadable secret is
    /// `Refused`: nothing can be sent until a person fixes it.
    pub fn build(channel: &Channel) -> Result<Self, ChannelError> {
        let source = match &channel.kind {
            ChannelKind::Telegram { token, .. } => Some(token),
            ChannelKind::Ntfy { token, .. } => token.as_ref(),
            ChannelKind::Webhook { secret, .. } => secret.as_ref(),
        };
        let secret =
            source
                .map(|s| s.resolve())
                .transpose()
                .map_err(|detail| ChannelError::Refused {
                    channel: channel.name.clone(),
                    detail,
                    hint: "make the secret file readable by renewd, or set the variable".into(),
                })?;
        Ok(Self {
            channel: channel.clone(),
            http: http::Http::new(&channel.name, channel.timeout)?,
            secret,
        })
    }

    pub fn name(&self) -> &str {
        &self.channel.name
    }

    /// Sends one message through the channel.
    pub async fn send(&self, msg: &ChannelMessage) -> Result<(), ChannelError> {
        let name = &self.channel.name;
        let secret = self.secret.as_ref();
        match &self.channel.kind {
            ChannelKind::Telegram {
                base_url,
                chat_id,
                parse_mode,
                ..
            } => {
                let token = secret.ok_or_else(|| missing(name))?;
                let to = telegram::Target {
                    base_url,
                    token,
                    chat_id,
                    parse_mode: *parse_mode,
                };
                telegram::send(&self.http, name, &to, msg).await
            }
            ChannelKind::Ntfy { url, .. } => ntfy::send(&self.http, name, url, secret, msg).await,
            ChannelKind::Webhook { url, .. } => {
                webhook::send(&self.http, name, url, secret, msg, Utc::now()).await
            }
        }
    }
}

fn missing(channel: &str) -> ChannelError {
    ChannelError::Refused {
        channel: channel.to_string(),
        detail: "no token".into(),
        hint: "set bot_token_file or bot_token_env".into(),
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut with "…".
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mark = "\n…";
    let mut end = max.saturating_sub(mark.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &text[..end])
}

/// The classes shared by ntfy and the webhook, by HTTP status: 2xx sent; 408, 425, 429 and
/// 5xx retry (with `Retry-After`); 400, 413, 422 reject the message; 3xx and any other 4xx
/// (401, 403, 404, 410...) refuse the channel.
pub fn classify_status(
    channel: &str,
    reply: &http::Reply,
    refused_hint: &str,
) -> Result<(), ChannelError> {
    let s = reply.status.as_u16();
    let detail = format!("HTTP {s}: {}", reply.snippet());
    let channel = channel.to_string();
    match s {
        200..=299 => Ok(()),
        408 | 425 | 429 | 500..=599 => Err(ChannelError::Retry {
            channel,
            detail,
            after: reply.retry_after(),
        }),
        400 | 413 | 422 => Err(ChannelError::Rejected { channel, detail }),
        300..=399 => Err(ChannelError::Refused {
            channel,
            detail: format!("HTTP {s}: redirected to {}", reply.location()),
            hint: "renewd follows no redirects; write the final URL in the config".into(),
        }),
        _ => Err(ChannelError::Refused {
            channel,
            detail,
            hint: refused_hint.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests;
