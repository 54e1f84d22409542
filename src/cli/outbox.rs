//! `renewd outbox`: messages not sent yet (queued or given up on) and the pause, if any;
//! `--retry ID` / `--retry-dead` queue dead messages again.
//!
//! It writes through the ledger even while the daemon runs (SQLite serialises the two
//! writers); the daemon's sender picks the messages up at its next look at the outbox
//! (within `notify::pacing::IDLE`, sooner when it wakes for another reason).

use std::path::Path;

use chrono::Utc;
use serde_json::{Value, json};

use super::OutboxArgs;
use super::wiring::{load_config, open_ledger};
use crate::ledger::OutboxMessage;
use crate::notify::redact::redact_urls;

pub fn outbox(path: &Path, args: &OutboxArgs) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let ledger = open_ledger(&config)?;
    if let Some(name) = args.channel.as_deref() {
        let n = super::outbox_channels::retry(ledger.as_ref(), Some(name), args.retry)?;
        println!("{n} given-up message(s) of {name} queued again");
        return Ok(0);
    }
    if args.retry.is_some() || args.retry_dead {
        if args.retry_dead {
            let n = super::outbox_channels::retry(ledger.as_ref(), None, None)?;
            println!("{n} given-up channel message(s) queued again");
        }
        let n = ledger.retry_dead(args.retry, Utc::now())?;
        match (args.retry, n) {
            (Some(id), 0) => println!("message {id} is not given up on; nothing to do"),
            (Some(id), _) => println!("message {id} queued again"),
            (None, n) => println!("{n} given-up message(s) queued again"),
        }
        return Ok(0);
    }
    let messages: Vec<Value> = ledger.unsent_messages()?.iter().map(row).collect();
    let paused = ledger.outbox_pause()?;
    if args.json {
        let doc = json!({
            "channel": "email",
            "paused": paused.map(|p| json!({"since": p.since, "reason": redact_urls(&p.reason)})),
            "messages": messages,
            "channels": super::outbox_channels::channels(ledger.as_ref())?,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    if let Some(p) = paused {
        println!(
            "email PAUSED since {}: {}",
            p.since.format("%Y-%m-%d %H:%M UTC"),
            redact_urls(&p.reason)
        );
    }
    if messages.is_empty() {
        println!("outbox empty: every message was sent");
    }
    for m in &messages {
        print_row(m, None);
    }
    super::outbox_channels::print(&super::outbox_channels::channels(ledger.as_ref())?);
    Ok(0)
}

/// One message as JSON: id, state, kind, line, subject, attempts, last error.
fn row(m: &OutboxMessage) -> Value {
    json!({
        "id": m.id,
        "state": if m.dead { "dead" } else { "queued" },
        "kind": m.draft.kind.as_str(),
        "line": m.draft.line_id,
        "subject": m.draft.subject,
        "attempts": m.attempts,
        "created_at": m.created_at,
        "next_attempt_at": (!m.dead).then_some(m.next_attempt_at),
        "last_error": m.last_error.as_deref().map(redact_urls),
    })
}

/// One unsent message; `channel` names a `[[notify]]` channel's queue (else email's).
pub(super) fn print_row(m: &Value, channel: Option<&str>) {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let prefix = channel.map_or(String::new(), |name| format!("{name} "));
    println!(
        "{prefix}#{} {} {} line {} attempts {}: {}",
        m["id"],
        s(&m["state"]),
        s(&m["kind"]),
        s(&m["line"]),
        m["attempts"],
        s(&m["subject"])
    );
    if let Some(e) = m["last_error"].as_str() {
        println!("    last error: {e}");
    }
    if m["state"] == "dead" {
        let which = channel.map_or(String::new(), |name| format!("--channel {name} "));
        println!("    send again: renewd outbox {which}--retry {}", m["id"]);
    }
}
