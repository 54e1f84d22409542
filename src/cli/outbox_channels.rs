//! `renewd outbox`'s part for the `[[notify]]` channels: each channel's unsent messages and
//! pause, and `--channel NAME` with `--retry ID` / `--retry-dead` for its given-up ones.

use chrono::Utc;
use serde_json::{Value, json};

use crate::ledger::{ChannelPause, ChannelRow, Ledger, LedgerError};

/// Queues given-up channel messages again: one (`id`, in `channel`) or every one (of
/// `channel`, or of all channels). Returns how many.
pub fn retry(
    ledger: &dyn Ledger,
    channel: Option<&str>,
    id: Option<i64>,
) -> Result<usize, LedgerError> {
    let dead: Vec<ChannelRow> = ledger
        .channel_unsent()?
        .into_iter()
        .filter(|r| {
            r.dead && channel.is_none_or(|c| r.channel == c) && id.is_none_or(|i| r.id == i)
        })
        .collect();
    let mut n = 0;
    for r in dead {
        n += ledger.channel_retry_dead(Some(r.id), Utc::now())?;
    }
    Ok(n)
}

/// Every channel with unsent messages or a pause, as JSON.
pub fn channels(ledger: &dyn Ledger) -> Result<Vec<Value>, LedgerError> {
    let rows = ledger.channel_unsent()?;
    let pauses = ledger.channel_pauses()?;
    Ok(names(rows.iter().map(|r| &r.channel), &pauses)
        .into_iter()
        .map(|name| {
            let paused = pauses.iter().find(|p| p.channel == name);
            let messages: Vec<Value> = rows.iter().filter(|r| r.channel == name).map(row).collect();
            json!({
                "channel": name,
                "paused": paused.map(|p| json!({"since": p.since, "reason": p.reason})),
                "messages": messages,
            })
        })
        .collect())
}

/// The channels named in `listed` or paused, sorted, each once.
fn names<'a>(listed: impl Iterator<Item = &'a String>, pauses: &'a [ChannelPause]) -> Vec<String> {
    let mut names: Vec<String> = listed
        .chain(pauses.iter().map(|p| &p.channel))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

fn row(r: &ChannelRow) -> Value {
    json!({
        "id": r.id,
        "state": if r.dead { "dead" } else { "queued" },
        "kind": r.kind.as_str(),
        "line": r.line_id,
        "language": r.language.code(),
        "subject": r.subject,
        "attempts": r.attempts,
        "created_at": r.created_at,
        "next_attempt_at": (!r.dead).then_some(r.next_attempt_at),
        "last_error": r.last_error,
    })
}

/// The channels as text, after the email part.
pub fn print(channels: &[Value]) {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    for c in channels {
        let name = s(&c["channel"]);
        if let Some(p) = c["paused"].as_object() {
            println!(
                "{name} PAUSED since {}: {}",
                s(&p["since"]),
                s(&p["reason"])
            );
        }
        for m in c["messages"].as_array().into_iter().flatten() {
            super::outbox::print_row(m, Some(&name));
        }
    }
}

/// For `status`: each channel's counts and pause.
pub fn status(ledger: &dyn Ledger) -> Result<Vec<Value>, LedgerError> {
    let counts = ledger.channel_counts()?;
    let pauses = ledger.channel_pauses()?;
    Ok(names(counts.iter().map(|c| &c.channel), &pauses)
        .into_iter()
        .map(|name| {
            let c = counts
                .iter()
                .find(|c| c.channel == name)
                .cloned()
                .unwrap_or_default();
            let paused = pauses.iter().find(|p| p.channel == name);
            json!({
                "channel": name, "queued": c.queued, "sent": c.sent, "dead": c.dead,
                "paused": paused.map(|p| json!({"since": p.since, "reason": p.reason})),
            })
        })
        .collect())
}
