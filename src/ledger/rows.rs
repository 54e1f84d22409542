//! Conversions between SQLite rows and the ledger's types, and SQLite errors to `LedgerError`.
//!
//! Times are stored as integer Unix milliseconds (UTC); money as integer minor units plus a
//! currency code; the before-snapshot as JSON.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::Type;

use super::{CheckRecord, Draft, LedgerError, OutboxMessage};
use crate::config::MessageKind;
use crate::model::{LineState, Observation, TopUp, TopUpState};
use crate::money::{Currency, DataSize, Money};

/// Maps a SQLite error to the `LedgerError` saying what was being done.
pub trait SqlResultExt<T> {
    fn write(self, doing: &'static str) -> Result<T, LedgerError>;
    fn read(self, doing: &'static str) -> Result<T, LedgerError>;
}

impl<T> SqlResultExt<T> for rusqlite::Result<T> {
    fn write(self, doing: &'static str) -> Result<T, LedgerError> {
        self.map_err(|e| LedgerError::Write {
            doing,
            detail: e.to_string(),
        })
    }
    fn read(self, doing: &'static str) -> Result<T, LedgerError> {
        self.map_err(|e| LedgerError::Read {
            doing,
            detail: e.to_string(),
        })
    }
}

/// A time as stored: Unix milliseconds.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn opt_ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(ms)
}

fn bad(idx: usize, ty: Type, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, ty, what.into())
}

/// Reads a stored time (Unix ms) from column `idx`.
pub fn time(row: &Row, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let v: i64 = row.get(idx)?;
    DateTime::from_timestamp_millis(v)
        .ok_or_else(|| bad(idx, Type::Integer, format!("{v} is not a time")))
}

pub fn opt_time(row: &Row, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => time(row, idx).map(Some),
    }
}

fn currency(row: &Row, idx: usize) -> rusqlite::Result<Currency> {
    let code: String = row.get(idx)?;
    Currency::new(&code).ok_or_else(|| bad(idx, Type::Text, format!("{code:?} is not a currency")))
}

/// Reads money from a minor-units column and the currency column after it.
pub fn money(row: &Row, idx: usize) -> rusqlite::Result<Money> {
    Ok(Money::new(row.get(idx)?, currency(row, idx + 1)?))
}

fn opt_money(row: &Row, idx: usize) -> rusqlite::Result<Option<Money>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => money(row, idx).map(Some),
    }
}

fn line_state(s: &str) -> Option<LineState> {
    [
        LineState::Active,
        LineState::NotActive,
        LineState::Expired,
        LineState::Dead,
        LineState::Unknown,
    ]
    .into_iter()
    .find(|l| l.as_str() == s)
}

/// Columns of `observations`, in the order `observation` reads them.
pub const OBSERVATION_COLS: &str =
    "at, balance_minor, balance_currency, data_kb, unlimited, expires_at, state, note";

pub fn observation(row: &Row) -> rusqlite::Result<Observation> {
    let state: String = row.get(6)?;
    Ok(Observation {
        at: time(row, 0)?,
        balance: opt_money(row, 1)?,
        data: row.get::<_, Option<i64>>(3)?.map(|kb| DataSize { kb }),
        unlimited: row.get(4)?,
        expires_at: opt_time(row, 5)?,
        state: line_state(&state)
            .ok_or_else(|| bad(6, Type::Text, format!("{state:?} is not a line state")))?,
        note: row.get(7)?,
    })
}

/// Columns of `top_ups`, in the order `top_up` reads them.
pub const TOP_UP_COLS: &str = "id, line_id, carrier, reference, amount_minor, currency, package, state, \
     \"trigger\", created_at, sent_at, settled_at, provider_ref, detail, before_json, sim, shown_at";

pub fn top_up(row: &Row) -> rusqlite::Result<TopUp> {
    let state: String = row.get(7)?;
    let before: Option<String> = row.get(14)?;
    let before = match before {
        None => None,
        Some(json) => {
            Some(serde_json::from_str(&json).map_err(|e| bad(14, Type::Text, e.to_string()))?)
        }
    };
    Ok(TopUp {
        id: row.get(0)?,
        line_id: row.get(1)?,
        carrier: row.get(2)?,
        reference: row.get(3)?,
        amount: money(row, 4)?,
        package: row.get(6)?,
        state: TopUpState::parse(&state)
            .ok_or_else(|| bad(7, Type::Text, format!("{state:?} is not a top-up state")))?,
        trigger: row.get(8)?,
        created_at: time(row, 9)?,
        sent_at: opt_time(row, 10)?,
        settled_at: opt_time(row, 11)?,
        provider_ref: row.get(12)?,
        detail: row.get(13)?,
        before,
        sim: row.get(15)?,
        shown_at: opt_time(row, 16)?,
    })
}

/// Columns of `outbox`, in the order `outbox_message` reads them.
pub const OUTBOX_COLS: &str = "id, key, kind, line_id, subject, text, html, created_at, attempts, \
     next_attempt_at, sent_at, last_error, dead, \
     (SELECT value FROM outbox_state WHERE key = 'install_id')";

pub fn outbox_message(row: &Row) -> rusqlite::Result<OutboxMessage> {
    let kind: String = row.get(2)?;
    let draft = Draft {
        key: row.get(1)?,
        kind: MessageKind::parse(&kind)
            .ok_or_else(|| bad(2, Type::Text, format!("{kind:?} is not a message kind")))?,
        line_id: row.get(3)?,
        subject: row.get(4)?,
        text: row.get(5)?,
        html: row.get(6)?,
        translations: Vec::new(),
    };
    Ok(OutboxMessage {
        id: row.get(0)?,
        draft,
        created_at: time(row, 7)?,
        attempts: row.get(8)?,
        next_attempt_at: time(row, 9)?,
        sent_at: opt_time(row, 10)?,
        last_error: row.get(11)?,
        dead: row.get(12)?,
        install_id: row.get::<_, Option<String>>(13)?.unwrap_or_default(),
    })
}

/// Columns of `checks`, in the order `check_record` reads them.
pub const CHECK_COLS: &str = "line_id, at, error, failing_since";

pub fn check_record(row: &Row) -> rusqlite::Result<CheckRecord> {
    Ok(CheckRecord {
        line_id: row.get(0)?,
        at: time(row, 1)?,
        error: row.get(2)?,
        failing_since: opt_time(row, 3)?,
    })
}
