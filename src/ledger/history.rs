//! `renewd history`'s reads: filters and keyset pages over the top-up ledger, each one
//! indexed SQL query whose rows are handed on as they are read.
//!
//! Rows come oldest first, ordered by `(created_at, id)`; a page continues after a given
//! top-up's place in that order, so walking the pages yields every row once, whatever was
//! added meanwhile (new rows sort last). Which index a query walks is chosen here, not left
//! to the planner (the ledger is never `ANALYZE`d): the other filters' columns are written
//! `+col`, which SQLite cannot serve from an index, so they stay plain filters.

use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::LedgerError;
use super::rows::{self, SqlResultExt, TOP_UP_COLS, ms};
use crate::model::{TopUp, TopUpState};

/// Which top-ups to list. Every filter is optional; they combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryQuery {
    /// A SIM key (`iccid:...`), or a config id a top-up was bought under.
    pub line: Option<String>,
    /// Created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Created before this time (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// The carrier section the top-up was bought through, as recorded then.
    pub carrier: Option<String>,
    /// Any of these states; empty lists every state.
    pub states: Vec<TopUpState>,
    /// Continue after this top-up's place in the order (the last id of the previous page).
    pub after: Option<i64>,
    /// At most this many top-ups.
    pub limit: Option<u64>,
}

/// The index a query walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// `(sim, created_at)` and `(line_id, created_at)`: a line has few rows.
    Line,
    /// `(state, created_at)`: only when every state asked for is a rare one (not
    /// `confirmed`, which most rows are).
    State,
    /// `(carrier, created_at)`.
    Carrier,
    /// `(created_at)`: in order, so a page stops after its last row.
    Time,
}

/// The most selective index the query can use (see [`Driver`]).
pub fn driver(q: &HistoryQuery) -> Driver {
    if q.line.is_some() {
        Driver::Line
    } else if !q.states.is_empty() && !q.states.contains(&TopUpState::Confirmed) {
        Driver::State
    } else if q.carrier.is_some() {
        Driver::Carrier
    } else {
        Driver::Time
    }
}

/// The SQL and its arguments; `after` is the `(created_at ms, id)` to continue after.
pub fn sql(q: &HistoryQuery, after: Option<(i64, i64)>) -> (String, Vec<Value>) {
    let by = driver(q);
    let plain = |d: Driver| if by == d { "" } else { "+" };
    let mut wh: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(line) = &q.line {
        wh.push("(sim = ? OR line_id = ?)".into());
        args.extend([Value::from(line.clone()), Value::from(line.clone())]);
    }
    if !q.states.is_empty() {
        let marks = vec!["?"; q.states.len()].join(", ");
        wh.push(format!("{}state IN ({marks})", plain(Driver::State)));
        args.extend(q.states.iter().map(|s| Value::from(s.as_str().to_string())));
    }
    if let Some(carrier) = &q.carrier {
        wh.push(format!("{}carrier = ?", plain(Driver::Carrier)));
        args.push(Value::from(carrier.clone()));
    }
    for (cmp, at) in [(">=", q.since), ("<", q.until)] {
        if let Some(at) = at {
            wh.push(format!("created_at {cmp} ?"));
            args.push(Value::from(ms(at)));
        }
    }
    if let Some((at, id)) = after {
        wh.push("created_at >= ? AND (created_at > ? OR id > ?)".into());
        args.extend([Value::from(at), Value::from(at), Value::from(id)]);
    }
    let filter = if wh.is_empty() {
        "1".into()
    } else {
        wh.join(" AND ")
    };
    let mut sql =
        format!("SELECT {TOP_UP_COLS} FROM top_ups WHERE {filter} ORDER BY created_at, id");
    if let Some(n) = q.limit {
        // One row more than asked: whether it exists says if the page was cut.
        sql.push_str(" LIMIT ?");
        args.push(Value::from(
            i64::try_from(n).unwrap_or(i64::MAX).saturating_add(1),
        ));
    }
    (sql, args)
}

/// Hands each top-up `q` selects to `each` as it is read (`Break` stops). Returns the id
/// to continue after when `q.limit` cut the list, `None` when it is complete.
/// `LedgerError::NoSuchTopUp` when `q.after` names no top-up.
pub fn page(
    conn: &Connection,
    q: &HistoryQuery,
    each: &mut dyn FnMut(TopUp) -> ControlFlow<()>,
) -> Result<Option<i64>, LedgerError> {
    let doing = "reading the top-up history";
    let after = q.after.map(|id| place(conn, id)).transpose()?;
    let (sql, args) = sql(q, after);
    let mut stmt = conn.prepare_cached(&sql).read(doing)?;
    let mut found = stmt.query(params_from_iter(args)).read(doing)?;
    let (mut shown, mut last) = (0u64, None);
    while let Some(row) = found.next().read(doing)? {
        if q.limit.is_some_and(|n| shown >= n) {
            return Ok(last);
        }
        let t = rows::top_up(row).read(doing)?;
        shown += 1;
        last = Some(t.id);
        if each(t).is_break() {
            break;
        }
    }
    Ok(None)
}

/// Every top-up `q` selects, oldest first (for callers that need them all at once).
pub fn collect(conn: &Connection, q: &HistoryQuery) -> Result<Vec<TopUp>, LedgerError> {
    let mut all = Vec::new();
    page(conn, q, &mut |t| {
        all.push(t);
        ControlFlow::Continue(())
    })?;
    Ok(all)
}

/// A top-up's place in the order: `(created_at ms, id)`.
fn place(conn: &Connection, id: i64) -> Result<(i64, i64), LedgerError> {
    conn.query_row("SELECT created_at FROM top_ups WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
    .read("finding where the previous page ended")?
    .map(|at| (at, id))
    .ok_or(LedgerError::NoSuchTopUp(id))
}
