//! Observations (what carriers reported) and the last check of each line.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{self, CHECK_COLS, OBSERVATION_COLS, SqlResultExt, ms, opt_ms};
use super::{CheckRecord, LedgerError};
use crate::model::Observation;

/// How long readings are kept by default (`daemon.keep_readings`); older ones are dropped
/// as new ones arrive (the forecast looks at 14 days, the monthly digest at a month).
pub const KEEP_READINGS: chrono::Duration = chrono::Duration::days(90);
/// Readings older than this keep one per day (the day's last).
pub const HOURLY_FOR: chrono::Duration = chrono::Duration::days(7);
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Records a check's reading of a SIM and marks the line's check as a success, in one
/// transaction. Downsampled as it goes: a reading equal to the previous one in the same
/// hour is not stored again (changes are always kept, plus one reading an hour); when a
/// new hour starts, readings older than `HOURLY_FOR` are thinned to one a day and those
/// older than `keep` dropped. A blank reading (the carrier reports nothing) only
/// marks the check.
pub fn record(
    conn: &mut Connection,
    line_id: &str,
    sim: &str,
    obs: &Observation,
    keep: chrono::Duration,
) -> Result<(), LedgerError> {
    let doing = "recording an observation";
    // Immediate: another connection's write between our read and our write would
    // otherwise fail this one (a WAL snapshot cannot be upgraded once stale).
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .write(doing)?;
    let hour = |t: DateTime<Utc>| ms(t).div_euclid(HOUR_MS);
    let prev = if obs.is_blank() {
        None
    } else {
        recent(&tx, sim, 1)?.pop()
    };
    let same_hour = prev.as_ref().is_some_and(|p| hour(p.at) == hour(obs.at));
    let repeat = same_hour && prev.as_ref().is_some_and(|p| same_figures(p, obs));
    if !(obs.is_blank() || repeat) {
        insert(&tx, sim, obs)?;
    }
    tx.prepare_cached(
        "INSERT INTO checks (line_id, at, error, failing_since) VALUES (?1, ?2, NULL, NULL) \
         ON CONFLICT (line_id) DO UPDATE SET at = excluded.at, error = NULL, failing_since = NULL",
    )
    .write(doing)?
    .execute(params![line_id, ms(obs.at)])
    .write(doing)?;
    if !same_hour && !obs.is_blank() {
        thin(&tx, sim, obs.at, keep)?;
    }
    tx.commit().write(doing)
}

/// The same figures and state (the carrier's note and the time aside).
fn same_figures(a: &Observation, b: &Observation) -> bool {
    (a.balance, a.data, a.unlimited, a.expires_at, a.state)
        == (b.balance, b.data, b.unlimited, b.expires_at, b.state)
}

/// Thins a SIM's readings older than `HOURLY_FOR` to the last of each day and drops
/// those older than `keep`.
fn thin(
    conn: &Connection,
    sim: &str,
    now: DateTime<Utc>,
    keep: chrono::Duration,
) -> Result<(), LedgerError> {
    let doing = "thinning old observations";
    conn.execute(
        "DELETE FROM observations WHERE sim = ?1 AND at < ?2",
        params![sim, ms(now - keep)],
    )
    .write(doing)?;
    conn.execute(
        "DELETE FROM observations WHERE sim = ?1 AND at < ?2 AND id NOT IN \
         (SELECT max(id) FROM observations WHERE sim = ?1 AND at < ?2 GROUP BY at / ?3)",
        params![sim, ms(now - HOURLY_FOR), DAY_MS],
    )
    .write(doing)?;
    Ok(())
}

fn insert(conn: &Connection, sim: &str, obs: &Observation) -> Result<(), LedgerError> {
    let doing = "recording an observation";
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO observations (sim, at, balance_minor, balance_currency, data_kb, \
             unlimited, expires_at, state, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .write(doing)?;
    stmt.execute(params![
        sim,
        ms(obs.at),
        obs.balance.map(|m| m.minor),
        obs.balance.map(|m| m.currency.code().to_string()),
        obs.data.map(|d| d.kb),
        obs.unlimited,
        opt_ms(obs.expires_at),
        obs.state.as_str(),
        obs.note,
    ])
    .write(doing)?;
    Ok(())
}

/// The latest `limit` readings of a SIM, oldest first.
pub fn recent(conn: &Connection, sim: &str, limit: usize) -> Result<Vec<Observation>, LedgerError> {
    let doing = "reading recent observations";
    let sql = format!(
        "SELECT {OBSERVATION_COLS} FROM observations WHERE sim = ?1 ORDER BY at DESC, id DESC LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql).read(doing)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut list: Vec<Observation> = stmt
        .query_map(params![sim, limit], rows::observation)
        .read(doing)?
        .collect::<Result<_, _>>()
        .read(doing)?;
    list.reverse();
    Ok(list)
}

pub fn last(conn: &Connection, sim: &str) -> Result<Option<Observation>, LedgerError> {
    Ok(recent(conn, sim, 1)?.pop())
}

/// Records a failed check, keeping the start of the current run of failures.
pub fn record_failure(
    conn: &Connection,
    line_id: &str,
    at: DateTime<Utc>,
    error: &str,
) -> Result<CheckRecord, LedgerError> {
    let doing = "recording a failed check";
    let sql = format!(
        "INSERT INTO checks (line_id, at, error, failing_since) VALUES (?1, ?2, ?3, ?2) \
         ON CONFLICT (line_id) DO UPDATE SET at = excluded.at, error = excluded.error, \
         failing_since = COALESCE(checks.failing_since, excluded.failing_since) RETURNING {CHECK_COLS}"
    );
    conn.query_row(&sql, params![line_id, ms(at), error], rows::check_record)
        .write(doing)
}

pub fn last_checks(conn: &Connection) -> Result<Vec<CheckRecord>, LedgerError> {
    let doing = "reading the last checks";
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {CHECK_COLS} FROM checks ORDER BY line_id"))
        .read(doing)?;
    stmt.query_map([], rows::check_record)
        .read(doing)?
        .collect::<Result<_, _>>()
        .read(doing)
}

pub fn last_check(conn: &Connection, line_id: &str) -> Result<Option<CheckRecord>, LedgerError> {
    let doing = "reading a line's last check";
    let sql = format!("SELECT {CHECK_COLS} FROM checks WHERE line_id = ?1");
    conn.prepare_cached(&sql)
        .read(doing)?
        .query_row([line_id], rows::check_record)
        .optional()
        .read(doing)
}
