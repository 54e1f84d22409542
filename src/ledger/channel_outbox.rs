//! The channels' outbox: one row per event and `[[notify]]` channel, written in the same
//! transaction as the event (fanned out from `outbox::enqueue_routed`), delivered by each
//! channel's sender with backoff; a channel's pause is kept here too.
//!
//! Unique on (channel, key): an event reaches each channel once, whatever retries or
//! restarts happen before it is marked sent.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::rows::{SqlResultExt, ms, opt_ms};
use super::{Draft, LedgerError};
use crate::config::MessageKind;
use crate::i18n::Lang;

/// Where the config sends each message beyond `[email]`, and in which language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routes {
    /// The language the email copy is written in.
    pub email_language: Lang,
    pub channels: Vec<Route>,
}

/// One channel's share of the messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub channel: String,
    pub language: Lang,
    /// Line ids it hears about; `None`: every line and messages of no line.
    pub lines: Option<Vec<String>>,
    pub kinds: Vec<MessageKind>,
}

impl Route {
    pub fn wants(&self, kind: MessageKind, line: Option<&str>) -> bool {
        self.kinds.contains(&kind)
            && match (&self.lines, line) {
                (None, _) => true,
                (Some(ids), Some(l)) => ids.iter().any(|i| i == l),
                (Some(_), None) => false,
            }
    }
}

/// A queued channel message.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub id: i64,
    pub channel: String,
    pub key: String,
    pub kind: MessageKind,
    pub line_id: Option<String>,
    pub language: Lang,
    pub subject: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub dead: bool,
}

/// A channel paused by a refusal (wrong token, bot blocked...): since when and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPause {
    pub channel: String,
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// Queued, dead and sent counts of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelCounts {
    pub channel: String,
    pub queued: u64,
    pub dead: u64,
    pub sent: u64,
}

const COLS: &str = "id, channel, key, kind, line_id, language, subject, text, created_at, \
     attempts, next_attempt_at, sent_at, last_error, dead";

/// Adds one copy of `draft` per route that wants it, each in the route's language.
/// Works inside the event's transaction. Returns how many were added.
pub fn fan_out(
    conn: &Connection,
    routes: &Routes,
    draft: &Draft,
    at: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    let mut added = 0;
    for r in routes
        .channels
        .iter()
        .filter(|r| r.wants(draft.kind, draft.line_id.as_deref()))
    {
        let d = draft.in_language(r.language);
        added += conn
            .execute(
                "INSERT OR IGNORE INTO channel_outbox (channel, key, kind, line_id, language, subject, text, created_at, next_attempt_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![r.channel, d.key, d.kind.as_str(), d.line_id, r.language.code(), d.subject, d.text, ms(at)],
            )
            .write("queueing a channel message")?;
    }
    Ok(added)
}

fn row(r: &Row) -> rusqlite::Result<ChannelRow> {
    let time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        let v: i64 = r.get(i)?;
        DateTime::from_timestamp_millis(v).ok_or(rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let kind: String = r.get(3)?;
    let lang: String = r.get(5)?;
    let sent: Option<i64> = r.get(11)?;
    Ok(ChannelRow {
        id: r.get(0)?,
        channel: r.get(1)?,
        key: r.get(2)?,
        kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Warning),
        line_id: r.get(4)?,
        language: Lang::parse(&lang).unwrap_or_default(),
        subject: r.get(6)?,
        text: r.get(7)?,
        created_at: time(8)?,
        attempts: r.get(9)?,
        next_attempt_at: time(10)?,
        sent_at: sent.and_then(DateTime::from_timestamp_millis),
        last_error: r.get(12)?,
        dead: r.get(13)?,
    })
}

fn select(
    conn: &Connection,
    doing: &'static str,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<ChannelRow>, LedgerError> {
    let sql = format!("SELECT {COLS} FROM channel_outbox WHERE {filter}");
    let mut stmt = conn.prepare_cached(&sql).read(doing)?;
    stmt.query_map(args, row)
        .read(doing)?
        .collect::<Result<_, _>>()
        .read(doing)
}

/// A channel's messages due by `now`, oldest first.
pub fn due(
    conn: &Connection,
    channel: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<ChannelRow>, LedgerError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    select(
        conn,
        "reading due channel messages",
        "channel = ?1 AND sent_at IS NULL AND dead = 0 AND next_attempt_at <= ?2 ORDER BY id LIMIT ?3",
        &[&channel, &ms(now), &limit],
    )
}

/// Every channel message not sent yet (queued or dead), oldest first.
pub fn unsent(conn: &Connection) -> Result<Vec<ChannelRow>, LedgerError> {
    select(
        conn,
        "reading unsent channel messages",
        "sent_at IS NULL ORDER BY id",
        &[],
    )
}

/// When a channel's next message is due.
pub fn next_due(conn: &Connection, channel: &str) -> Result<Option<DateTime<Utc>>, LedgerError> {
    let v: Option<i64> = conn
        .query_row("SELECT MIN(next_attempt_at) FROM channel_outbox WHERE channel = ?1 AND sent_at IS NULL AND dead = 0", [channel], |r| r.get(0))
        .read("reading a channel's next message due")?;
    Ok(v.and_then(DateTime::from_timestamp_millis))
}

/// Marks a message sent (the first time is kept).
pub fn mark_sent(conn: &Connection, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE channel_outbox SET sent_at = ?2, dead = 0 WHERE id = ?1 AND sent_at IS NULL",
        params![id, ms(at)],
    )
    .write("marking a channel message sent")?;
    Ok(())
}

/// Records a failed attempt: `retry_at` schedules the next, `None` gives up on it.
pub fn mark_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), LedgerError> {
    conn.execute(
        "UPDATE channel_outbox SET attempts = attempts + 1, last_error = ?2, \
         next_attempt_at = COALESCE(?3, next_attempt_at), dead = (?3 IS NULL) WHERE id = ?1 AND sent_at IS NULL",
        params![id, error, opt_ms(retry_at)],
    )
    .write("recording a failed channel delivery")?;
    Ok(())
}

/// Queues dead messages again, due at `now`: one by id, or all with `None`.
pub fn retry_dead(
    conn: &Connection,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    conn.execute("UPDATE channel_outbox SET dead = 0, next_attempt_at = ?2 WHERE dead = 1 AND sent_at IS NULL AND (?1 IS NULL OR id = ?1)", params![id, ms(now)])
        .write("queueing dead channel messages again")
}

/// Sets (`Some`) or lifts (`None`) a channel's pause; setting keeps the first `since`.
pub fn set_pause(
    conn: &Connection,
    channel: &str,
    pause: Option<(&str, DateTime<Utc>)>,
) -> Result<(), LedgerError> {
    let doing = "recording a channel pause";
    match pause {
        Some((reason, since)) => conn.execute(
            "INSERT INTO channel_pause (channel, reason, since) VALUES (?1, ?2, ?3) \
             ON CONFLICT (channel) DO UPDATE SET reason = excluded.reason",
            params![channel, reason, ms(since)],
        ),
        None => conn.execute("DELETE FROM channel_pause WHERE channel = ?1", [channel]),
    }
    .write(doing)?;
    Ok(())
}

/// Every paused channel.
pub fn pauses(conn: &Connection) -> Result<Vec<ChannelPause>, LedgerError> {
    let doing = "reading channel pauses";
    let mut stmt = conn
        .prepare_cached("SELECT channel, reason, since FROM channel_pause ORDER BY channel")
        .read(doing)?;
    stmt.query_map([], |r| {
        let since: i64 = r.get(2)?;
        Ok(ChannelPause {
            channel: r.get(0)?,
            reason: r.get(1)?,
            since: DateTime::from_timestamp_millis(since).unwrap_or_default(),
        })
    })
    .read(doing)?
    .collect::<Result<_, _>>()
    .read(doing)
}

/// Counts per channel, for `status` and `outbox`.
pub fn counts(conn: &Connection) -> Result<Vec<ChannelCounts>, LedgerError> {
    let doing = "counting channel messages";
    let mut stmt = conn
        .prepare_cached(
            "SELECT channel, COALESCE(SUM(sent_at IS NULL AND dead = 0), 0), COALESCE(SUM(dead = 1), 0), \
             COALESCE(SUM(sent_at IS NOT NULL), 0) FROM channel_outbox GROUP BY channel ORDER BY channel",
        )
        .read(doing)?;
    stmt.query_map([], |r| {
        Ok(ChannelCounts {
            channel: r.get(0)?,
            queued: r.get::<_, i64>(1)? as u64,
            dead: r.get::<_, i64>(2)? as u64,
            sent: r.get::<_, i64>(3)? as u64,
        })
    })
    .read(doing)?
    .collect::<Result<_, _>>()
    .read(doing)
}

/// A channel's pause, if any.
pub fn pause(conn: &Connection, channel: &str) -> Result<Option<ChannelPause>, LedgerError> {
    conn.query_row(
        "SELECT channel, reason, since FROM channel_pause WHERE channel = ?1",
        [channel],
        |r| {
            let since: i64 = r.get(2)?;
            Ok(ChannelPause {
                channel: r.get(0)?,
                reason: r.get(1)?,
                since: DateTime::from_timestamp_millis(since).unwrap_or_default(),
            })
        },
    )
    .optional()
    .read("reading a channel pause")
}
