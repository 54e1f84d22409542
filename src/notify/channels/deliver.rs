//! Delivery of one channel's queue: send each due message, mark it sent right after the
//! channel took it, retry with backoff (or the channel's own `retry_after`), give up only
//! on a message the channel rejected for itself, and pause the channel (never dropping
//! its queue) when it refuses everything, queueing one warning to everyone else.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{ChannelError, ChannelMessage, ChannelSender};
use crate::config::MessageKind;
use crate::ledger::{ChannelRow, Ledger, LedgerError};
use crate::notify::doc::{Doc, Text, Val};
use crate::notify::pacing::backoff;

/// Messages read per round.
const BATCH: usize = 50;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelReport {
    pub sent: usize,
    pub retry: usize,
    pub dead: usize,
    /// The channel refused everything: why. Its messages keep their place.
    pub paused: Option<String>,
}

impl ChannelMessage {
    pub fn from_row(row: &ChannelRow) -> Self {
        ChannelMessage {
            key: row.key.clone(),
            kind: row.kind,
            line_id: row.line_id.clone(),
            language: row.language,
            subject: row.subject.clone(),
            text: row.text.clone(),
            created_at: row.created_at,
        }
    }
}

/// Sends the channel's messages due by `now`, oldest first. A ledger error stops it.
pub async fn deliver_due(
    ledger: &dyn Ledger,
    sender: &ChannelSender,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<ChannelReport, LedgerError> {
    let name = sender.name();
    let mut report = ChannelReport::default();
    let mut paused = ledger.channel_pauses()?.iter().any(|p| p.channel == name);
    for row in ledger.channel_due(name, now, BATCH)? {
        match sender.send(&ChannelMessage::from_row(&row)).await {
            Ok(()) => {
                ledger.channel_mark_sent(row.id, Utc::now().max(now))?;
                tracing::info!(channel = name, key = %row.key, "message sent");
                report.sent += 1;
                if std::mem::take(&mut paused) {
                    ledger.set_channel_pause(name, None)?;
                    tracing::info!(channel = name, "channel works again: resumed");
                }
            }
            Err(ChannelError::Retry { detail, after, .. }) => {
                let wait = backoff(row.attempts + 1);
                let wait = after
                    .and_then(|a| chrono::Duration::from_std(a).ok())
                    .map_or(wait, |a| a.max(wait));
                ledger.channel_mark_failed(row.id, &detail, Some(now + wait))?;
                tracing::warn!(channel = name, key = %row.key, retry_at = %(now + wait), error = %detail, "message not sent, will retry");
                report.retry += 1;
                return Ok(report);
            }
            Err(e @ ChannelError::Rejected { .. }) => {
                ledger.channel_mark_failed(row.id, &e.to_string(), None)?;
                tracing::error!(channel = name, key = %row.key, error = %e, "message given up: the channel rejected it; `renewd outbox` lists it");
                report.dead += 1;
            }
            Err(e @ ChannelError::Refused { .. }) => {
                pause(ledger, name, &e, paused, now, tz)?;
                report.paused = Some(e.to_string());
                return Ok(report);
            }
        }
    }
    Ok(report)
}

/// Records the pause; the first time, logs the alarm and queues one warning (to email and
/// every channel that takes warnings; this one gets it once it works again).
pub fn pause(
    ledger: &dyn Ledger,
    channel: &str,
    e: &ChannelError,
    already: bool,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(), LedgerError> {
    ledger.set_channel_pause(channel, Some((&e.to_string(), now)))?;
    if already {
        return Ok(());
    }
    tracing::error!(channel, error = %e, "channel paused: it refuses every message; its messages stay queued. Fix it (`renewd test-notify {channel}` explains), then reload");
    let since = ledger
        .channel_pauses()?
        .into_iter()
        .find(|p| p.channel == channel)
        .map_or(now, |p| p.since);
    let (detail, hint) = match e {
        ChannelError::Refused { detail, hint, .. } => (detail.clone(), hint.clone()),
        other => (other.to_string(), String::new()),
    };
    let arg = |v: &str| vec![("channel", Val::from(v))];
    let mut rows = vec![
        (Text::id("paused-channel"), Text::raw(channel)),
        (Text::id("paused-reason"), Text::raw(detail)),
    ];
    if !hint.is_empty() {
        rows.push((Text::id("paused-fix"), Text::raw(hint)));
    }
    rows.push((Text::id("paused-since"), Text::Value(Val::Time(since, tz))));
    let doc = Doc {
        subject: Text::Msg("paused-subject", arg(channel)),
        intro: Text::Msg("paused-intro", arg(channel)),
        rows,
        outro: Some(Text::Msg("paused-outro", arg(channel))),
    };
    let key = format!("paused:{channel}:{}", since.timestamp());
    ledger.enqueue(&doc.draft(key, MessageKind::Warning, None), now)?;
    Ok(())
}
