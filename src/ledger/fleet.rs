//! Fleet-wide figures in one aggregate query each (for `/metrics` at 100,000 lines):
//! never a row per line or per top-up brought into memory.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::rows::SqlResultExt;
use super::{CheckSummary, FleetIndex, LedgerError};
use crate::model::TopUpState;

/// Lines checked, failing, and the oldest last check.
pub fn check_summary(conn: &Connection) -> Result<CheckSummary, LedgerError> {
    let doing = "summing up the last checks";
    conn.query_row(
        "SELECT count(*), count(error), min(at) FROM checks",
        [],
        |r| {
            Ok(CheckSummary {
                checked: r.get::<_, i64>(0)? as u64,
                failing: r.get::<_, i64>(1)? as u64,
                oldest: r
                    .get::<_, Option<i64>>(2)?
                    .and_then(DateTime::<Utc>::from_timestamp_millis),
            })
        },
    )
    .read(doing)
}

/// How many top-ups are in each state (states with none are left out).
pub fn topup_counts(conn: &Connection) -> Result<Vec<(TopUpState, u64)>, LedgerError> {
    let doing = "counting top-ups by state";
    let mut stmt = conn
        .prepare_cached("SELECT state, count(*) FROM top_ups GROUP BY state")
        .read(doing)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .read(doing)?;
    let mut out = Vec::new();
    for row in rows {
        let (state, n) = row.read(doing)?;
        if let Some(s) = TopUpState::parse(&state) {
            out.push((s, n as u64));
        }
    }
    Ok(out)
}

/// Which SIMs `status` must read one by one: those that may need a person, and those
/// with a confirmed top-up (their plan may end by it).
pub fn index(conn: &Connection, since: DateTime<Utc>) -> Result<FleetIndex, LedgerError> {
    let doing = "listing the SIMs with a confirmed top-up";
    let mut stmt = conn
        .prepare_cached("SELECT DISTINCT sim FROM top_ups WHERE state = 'confirmed'")
        .read(doing)?;
    let confirmed = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .read(doing)?
        .collect::<Result<_, _>>()
        .read(doing)?;
    Ok(FleetIndex {
        attention: attention_sims(conn, since)?,
        confirmed,
    })
}

/// SIMs that may need a person: paused, with a top-up open or created since `since`
/// (caps), or with a dead reading. Each from an index, never a scan of the readings.
fn attention_sims(conn: &Connection, since: DateTime<Utc>) -> Result<HashSet<String>, LedgerError> {
    let doing = "finding the lines that may need attention";
    let mut stmt = conn
        .prepare_cached(
            "SELECT sim FROM paused \
             UNION SELECT sim FROM top_ups WHERE created_at >= ?1 \
             UNION SELECT sim FROM top_ups WHERE state IN ('planned', 'submitting', 'unknown') \
             UNION SELECT sim FROM observations WHERE state = 'dead'",
        )
        .read(doing)?;
    let rows = stmt
        .query_map([since.timestamp_millis()], |r| r.get::<_, String>(0))
        .read(doing)?;
    rows.collect::<Result<_, _>>().read(doing)
}
