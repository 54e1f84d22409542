//! The email outbox: messages written with their event, sent later with retry and backoff.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{self, OUTBOX_COLS, SqlResultExt, ms, opt_ms};
use super::{Draft, LedgerError, OutboxCounts, OutboxMessage, OutboxPause};

/// Adds a message unless its key exists; `true` when added. Works inside a transaction too.
pub fn enqueue(conn: &Connection, draft: &Draft, at: DateTime<Utc>) -> Result<bool, LedgerError> {
    let added = conn
        .execute(
            "INSERT OR IGNORE INTO outbox (key, kind, line_id, subject, text, html, created_at, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![draft.key, draft.kind.as_str(), draft.line_id, draft.subject, draft.text, draft.html, ms(at)],
        )
        .write("queueing a message")?;
    Ok(added == 1)
}

/// Queues an event's message for everyone `routes` names, in one go (inside the event's
/// transaction when `conn` is one): the email copy in the email language, and one copy
/// per channel that wants it, in that channel's language. `true` when the email copy was
/// added (it was not queued before).
pub fn enqueue_routed(
    conn: &Connection,
    routes: &super::Routes,
    draft: &Draft,
    at: DateTime<Utc>,
) -> Result<bool, LedgerError> {
    let added = enqueue(conn, &draft.in_language(routes.email_language), at)?;
    super::channel_outbox::fan_out(conn, routes, draft, at)?;
    Ok(added)
}

fn select(
    conn: &Connection,
    doing: &'static str,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<OutboxMessage>, LedgerError> {
    let sql = format!("SELECT {OUTBOX_COLS} FROM outbox WHERE {filter}");
    let mut stmt = conn.prepare_cached(&sql).read(doing)?;
    stmt.query_map(args, rows::outbox_message)
        .read(doing)?
        .collect::<Result<_, _>>()
        .read(doing)
}

/// Queued messages due by `now`, oldest first.
pub fn due(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxMessage>, LedgerError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    select(
        conn,
        "reading due messages",
        "sent_at IS NULL AND dead = 0 AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
        &[&ms(now), &limit],
    )
}

pub fn dead(conn: &Connection) -> Result<Vec<OutboxMessage>, LedgerError> {
    select(conn, "reading dead messages", "dead = 1 ORDER BY id", &[])
}

/// Queued and dead messages, oldest first.
pub fn unsent(conn: &Connection) -> Result<Vec<OutboxMessage>, LedgerError> {
    select(
        conn,
        "reading unsent messages",
        "sent_at IS NULL ORDER BY id",
        &[],
    )
}

/// Queues dead messages again (one by id, or all), due at `now`, attempts reset.
pub fn retry_dead(
    conn: &Connection,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    let changed = conn
        .execute(
            "UPDATE outbox SET dead = 0, attempts = 0, next_attempt_at = ?2 \
             WHERE dead = 1 AND sent_at IS NULL AND (?1 IS NULL OR id = ?1)",
            params![id, ms(now)],
        )
        .write("queueing dead messages again")?;
    if let (Some(id), 0) = (id, changed) {
        return match sent_at(conn, id)? {
            None => Err(LedgerError::NoSuchMessage(id)),
            Some(_) => Ok(0),
        };
    }
    Ok(changed)
}

/// Sets or clears the pause; a pause already set keeps its first time.
pub fn set_pause(conn: &Connection, pause: Option<&OutboxPause>) -> Result<(), LedgerError> {
    let doing = "recording the outbox pause";
    match pause {
        None => conn.execute("DELETE FROM outbox_state WHERE key = 'paused'", []),
        Some(p) => conn.execute(
            "INSERT INTO outbox_state (key, value, at) VALUES ('paused', ?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![p.reason, ms(p.since)],
        ),
    }
    .write(doing)?;
    Ok(())
}

pub fn pause(conn: &Connection) -> Result<Option<OutboxPause>, LedgerError> {
    let doing = "reading the outbox pause";
    let row: Option<(String, i64)> = conn
        .query_row(
            "SELECT value, at FROM outbox_state WHERE key = 'paused'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .read(doing)?;
    row.map(|(reason, at)| {
        let since = DateTime::from_timestamp_millis(at).ok_or(LedgerError::Read {
            doing,
            detail: format!("{at} is not a time"),
        })?;
        Ok(OutboxPause { reason, since })
    })
    .transpose()
}

pub fn next_due(conn: &Connection) -> Result<Option<DateTime<Utc>>, LedgerError> {
    let doing = "reading the next message due";
    let next: Option<i64> = conn
        .query_row(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL AND dead = 0",
            [],
            |r| r.get(0),
        )
        .read(doing)?;
    next.map(|v| {
        DateTime::from_timestamp_millis(v).ok_or(LedgerError::Read {
            doing,
            detail: format!("{v} is not a time"),
        })
    })
    .transpose()
}

/// Marks a message sent. Marking it again keeps the first time; an unknown id is an error.
pub fn mark_sent(conn: &Connection, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
    let changed = conn
        .execute(
            "UPDATE outbox SET sent_at = ?2, dead = 0 WHERE id = ?1 AND sent_at IS NULL",
            params![id, ms(at)],
        )
        .write("marking a message sent")?;
    match (changed, sent_at(conn, id)?) {
        (1, _) | (_, Some(Some(_))) => Ok(()),
        (_, None) => Err(LedgerError::NoSuchMessage(id)),
        (_, Some(None)) => Err(LedgerError::Write {
            doing: "marking a message sent",
            detail: format!("message {id} did not change"),
        }),
    }
}

/// Records a failed delivery: `retry_at` schedules the next attempt, `None` gives up.
pub fn mark_attempt_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), LedgerError> {
    let doing = "recording a failed delivery";
    let changed = conn
        .execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, \
             next_attempt_at = COALESCE(?3, next_attempt_at), dead = (?3 IS NULL) \
             WHERE id = ?1 AND sent_at IS NULL",
            params![id, error, opt_ms(retry_at)],
        )
        .write(doing)?;
    match (changed, sent_at(conn, id)?) {
        (1, _) => Ok(()),
        (_, None) => Err(LedgerError::NoSuchMessage(id)),
        (_, Some(_)) => Err(LedgerError::Write {
            doing,
            detail: format!("message {id} is already sent"),
        }),
    }
}

/// `None` when the message does not exist, else its `sent_at` (ms).
fn sent_at(conn: &Connection, id: i64) -> Result<Option<Option<i64>>, LedgerError> {
    conn.query_row("SELECT sent_at FROM outbox WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
    .read("reading a message")
}

pub fn counts(conn: &Connection) -> Result<OutboxCounts, LedgerError> {
    conn.query_row(
        "SELECT COALESCE(SUM(sent_at IS NULL AND dead = 0), 0), COALESCE(SUM(dead = 1), 0), \
         COALESCE(SUM(sent_at IS NOT NULL), 0) FROM outbox",
        [],
        |r| {
            Ok(OutboxCounts {
                queued: r.get::<_, i64>(0)? as u64,
                dead: r.get::<_, i64>(1)? as u64,
                sent: r.get::<_, i64>(2)? as u64,
            })
        },
    )
    .read("counting messages")
}
