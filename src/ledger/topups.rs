//! The top-up ledger: committing an intent under the caps, and reading top-ups back.
//!
//! State transitions (submitting, settle, resolve) live in `transitions.rs`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, TransactionBehavior, params};

use super::rows::{self, SqlResultExt, TOP_UP_COLS, ms};
use super::{Caps, Draft, Intent, LedgerError, Month, Planned, outbox};
use crate::model::{TopUp, TopUpState};
use crate::money::{Currency, Money};
use crate::policy::{CapHit, check_caps};

/// States whose amount counts against the caps (`TopUpState::counts_against_caps`).
pub const COUNTING: &str = "('planned', 'submitting', 'confirmed', 'unknown')";
/// States of a top-up still in flight (`TopUpState::is_open`).
pub const OPEN: &str = "('planned', 'submitting', 'unknown')";

/// In one IMMEDIATE transaction: refuses a second open top-up, checks the caps, then
/// commits the intent as `planned` or queues the cap warning.
pub fn plan(
    conn: &mut Connection,
    intent: &Intent,
    caps: &Caps,
    warning: &dyn Fn(&CapHit) -> Draft,
    routes: &super::Routes,
) -> Result<Planned, LedgerError> {
    let doing = "planning a top-up";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .write(doing)?;
    if let Some(open) = open_for_sim(&tx, &intent.sim)? {
        return Err(LedgerError::OpenTopUp {
            line: intent.line_id.clone(),
            id: open,
        });
    }
    let spent_under = |cap: Money, line: Option<&str>| -> Result<(Money, Money), LedgerError> {
        Ok((cap, spent(&tx, line, &caps.month, cap.currency)?))
    };
    let line = caps
        .line
        .map(|cap| spent_under(cap, Some(&intent.sim)))
        .transpose()?;
    let global = caps.global.map(|cap| spent_under(cap, None)).transpose()?;
    let planned = match check_caps(intent.amount, line, global) {
        Ok(()) => {
            let id = insert(&tx, intent)?;
            Planned::Ok(get(&tx, id)?.ok_or(LedgerError::NoSuchTopUp(id))?)
        }
        Err(hit) => {
            outbox::enqueue_routed(&tx, routes, &warning(&hit), intent.at)?;
            Planned::Blocked(hit)
        }
    };
    tx.commit().write(doing)?;
    Ok(planned)
}

fn insert(conn: &Connection, intent: &Intent) -> Result<i64, LedgerError> {
    let doing = "committing a planned top-up";
    let before = intent
        .before
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| LedgerError::Write {
            doing,
            detail: format!("cannot encode the before-snapshot: {e}"),
        })?;
    conn.execute(
        "INSERT INTO top_ups (line_id, carrier, reference, amount_minor, currency, package, state, \
         \"trigger\", created_at, before_json, sim) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'planned', ?7, ?8, ?9, ?10)",
        params![
            intent.line_id,
            intent.carrier,
            intent.reference,
            intent.amount.minor,
            intent.amount.currency.code(),
            intent.package,
            intent.trigger,
            ms(intent.at),
            before,
            intent.sim,
        ],
    )
    .write(doing)?;
    Ok(conn.last_insert_rowid())
}

/// The id of the SIM's open top-up, if any.
fn open_for_sim(conn: &Connection, sim: &str) -> Result<Option<i64>, LedgerError> {
    let sql =
        format!("SELECT id FROM top_ups WHERE sim = ?1 AND state IN {OPEN} ORDER BY id LIMIT 1");
    conn.query_row(&sql, [sim], |r| r.get(0))
        .optional()
        .read("looking for an open top-up")
}

/// What counts against a cap in `currency` this month: one SIM, or all of them.
fn spent(
    conn: &Connection,
    sim: Option<&str>,
    month: &Month,
    currency: Currency,
) -> Result<Money, LedgerError> {
    let sql = format!(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM top_ups WHERE state IN {COUNTING} \
         AND currency = ?1 AND created_at >= ?2 AND created_at < ?3 AND (?4 IS NULL OR sim = ?4)"
    );
    let minor: i64 = conn
        .query_row(
            &sql,
            params![currency.code(), ms(month.start), ms(month.end), sim],
            |r| r.get(0),
        )
        .read("summing the month's spend")?;
    Ok(Money::new(minor, currency))
}

/// The month's spend per currency (currencies in code order): one SIM, or all.
pub fn month_spend(
    conn: &Connection,
    sim: Option<&str>,
    month: &Month,
) -> Result<Vec<Money>, LedgerError> {
    let doing = "summing the month's spend";
    let sql = format!(
        "SELECT SUM(amount_minor), currency FROM top_ups WHERE state IN {COUNTING} \
         AND created_at >= ?1 AND created_at < ?2 AND (?3 IS NULL OR sim = ?3) \
         GROUP BY currency ORDER BY currency"
    );
    let mut stmt = conn.prepare_cached(&sql).read(doing)?;
    stmt.query_map(params![ms(month.start), ms(month.end), sim], |r| {
        rows::money(r, 0)
    })
    .read(doing)?
    .collect::<Result<_, _>>()
    .read(doing)
}

fn select(
    conn: &Connection,
    doing: &'static str,
    filter: &str,
    args: &[&dyn ToSql],
) -> Result<Vec<TopUp>, LedgerError> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {TOP_UP_COLS} FROM top_ups WHERE {filter}"))
        .read(doing)?;
    stmt.query_map(args, rows::top_up)
        .read(doing)?
        .collect::<Result<_, _>>()
        .read(doing)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<TopUp>, LedgerError> {
    Ok(select(conn, "reading a top-up", "id = ?1", &[&id])?.pop())
}

pub fn open(conn: &Connection) -> Result<Vec<TopUp>, LedgerError> {
    select(
        conn,
        "reading open top-ups",
        &format!("state IN {OPEN} ORDER BY created_at, id"),
        &[],
    )
}

/// The open top-ups of one SIM (the partial unique index keeps it to one).
pub fn open_of(conn: &Connection, sim: &str) -> Result<Vec<TopUp>, LedgerError> {
    select(
        conn,
        "reading a SIM's open top-ups",
        &format!("sim = ?1 AND state IN {OPEN} ORDER BY created_at, id"),
        &[&sim],
    )
}

/// The SIM's most recent failed top-up created at or after `since`.
pub fn last_failed_since(
    conn: &Connection,
    sim: &str,
    since: DateTime<Utc>,
) -> Result<Option<TopUp>, LedgerError> {
    let filter = "sim = ?1 AND created_at >= ?2 AND state = 'failed' ORDER BY created_at DESC, id DESC LIMIT 1";
    Ok(select(
        conn,
        "reading the last failed top-up",
        filter,
        &[&sim, &ms(since)],
    )?
    .pop())
}

pub fn last_confirmed(conn: &Connection, sim: &str) -> Result<Option<TopUp>, LedgerError> {
    let filter = "sim = ?1 AND state = 'confirmed' ORDER BY settled_at DESC, id DESC LIMIT 1";
    Ok(select(conn, "reading the last confirmed top-up", filter, &[&sim])?.pop())
}

/// The state of a top-up, `None` when there is no such id.
pub fn state_of(conn: &Connection, id: i64) -> Result<Option<TopUpState>, LedgerError> {
    let state: Option<String> = conn
        .query_row("SELECT state FROM top_ups WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .read("reading a top-up's state")?;
    state
        .map(|s| {
            TopUpState::parse(&s).ok_or(LedgerError::Read {
                doing: "reading a top-up's state",
                detail: format!("{s:?} is not a state"),
            })
        })
        .transpose()
}
