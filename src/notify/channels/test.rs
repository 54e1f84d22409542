//! `renewd test-notify [CHANNEL]`: one test message through a channel now, in its
//! language; a failure comes back as what happened and what to change.

use chrono::Utc;

use super::{ChannelError, ChannelMessage, ChannelSender};
use crate::config::{Channel, ChannelKind, MessageKind};
use crate::notify::doc::{Doc, Text, Val};

/// Sends the test message; `Err` is the hint for the person.
pub async fn send_test(channel: &Channel, tz: chrono_tz::Tz) -> Result<(), String> {
    let sender = ChannelSender::build(channel).map_err(|e| explain(channel, &e))?;
    let now = Utc::now();
    let through = format!("{} ({})", channel.name, channel.kind.type_name());
    let doc = Doc {
        subject: Text::id("test-subject"),
        intro: Text::id("test-intro"),
        rows: vec![
            (Text::id("test-through"), Text::raw(through)),
            (Text::id("test-at"), Text::Value(Val::Time(now, tz))),
        ],
        outro: None,
    };
    let r = doc.render(channel.language);
    let msg = ChannelMessage {
        key: format!("test:{}", now.timestamp_millis()),
        kind: MessageKind::Warning,
        line_id: None,
        language: channel.language,
        subject: r.subject,
        text: r.text,
        created_at: now,
    };
    sender.send(&msg).await.map_err(|e| explain(channel, &e))
}

/// What went wrong and what to change, by channel type and error class.
pub fn explain(channel: &Channel, e: &ChannelError) -> String {
    let fix = match e {
        ChannelError::Refused { hint, .. } if !hint.is_empty() => hint.clone(),
        ChannelError::Refused { .. } => "check the channel's settings".into(),
        ChannelError::Rejected { .. } => {
            "the channel refused this message; check that it takes messages from renewd".into()
        }
        ChannelError::Retry { detail, .. } => retry_hint(channel, detail),
    };
    let what = match e {
        ChannelError::Retry { detail, .. }
        | ChannelError::Refused { detail, .. }
        | ChannelError::Rejected { detail, .. } => detail,
    };
    format!("{}: {what}. To fix: {fix}", channel.name)
}

fn retry_hint(channel: &Channel, detail: &str) -> String {
    let key = match &channel.kind {
        ChannelKind::Telegram { .. } => "base_url (default https://api.telegram.org)",
        ChannelKind::Ntfy { .. } | ChannelKind::Webhook { .. } => "url",
    };
    if detail.contains("could not connect") {
        format!("nothing answered: check {key}, DNS and any firewall or proxy")
    } else if detail.contains("timed out") {
        format!("no answer in time: check {key} and the network, or raise timeout")
    } else {
        "the server had trouble (a 5xx or rate limit); the daemon would retry this later".into()
    }
}
