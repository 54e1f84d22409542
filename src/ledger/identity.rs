//! What the ledger keeps per SIM beyond top-ups: whether a person paused it, and the
//! re-keying of rows written before lines were keyed by their SIM (`legacy_lines`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::LedgerError;
use super::rows::{SqlResultExt, ms};

/// Pauses (`at` = `Some`) or resumes a SIM; `true` when the state changed.
pub fn set_paused(
    conn: &Connection,
    line_id: &str,
    sim: &str,
    at: Option<DateTime<Utc>>,
) -> Result<bool, LedgerError> {
    let doing = "pausing or resuming a line";
    let changed = match at {
        Some(at) => conn.execute(
            "INSERT OR IGNORE INTO paused (sim, line_id, at) VALUES (?1, ?2, ?3)",
            params![sim, line_id, ms(at)],
        ),
        None => conn.execute("DELETE FROM paused WHERE sim = ?1", [sim]),
    };
    Ok(changed.write(doing)? == 1)
}

/// Since when a SIM is paused.
pub fn paused_since(conn: &Connection, sim: &str) -> Result<Option<DateTime<Utc>>, LedgerError> {
    let doing = "reading whether a line is paused";
    let at: Option<i64> = conn
        .prepare_cached("SELECT at FROM paused WHERE sim = ?1")
        .read(doing)?
        .query_row([sim], |r| r.get(0))
        .optional()
        .read(doing)?;
    Ok(at.and_then(DateTime::from_timestamp_millis))
}

/// For each `(line_id, sim)` of the config whose id is still listed in `legacy_lines`:
/// top-ups and readings keyed `line:<id>` move to `sim`, in one transaction. Ids of lines
/// no longer configured stay listed, keyed `line:<id>` (still reconciled and shown).
pub fn adopt(conn: &mut Connection, lines: &[(String, String)]) -> Result<usize, LedgerError> {
    let doing = "re-keying old ledger rows by SIM";
    let pending: i64 = conn
        .query_row("SELECT count(*) FROM legacy_lines", [], |r| r.get(0))
        .read(doing)?;
    if pending == 0 {
        return Ok(0);
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .write(doing)?;
    let mut moved = 0;
    for (id, sim) in lines {
        let listed = tx
            .execute("DELETE FROM legacy_lines WHERE line_id = ?1", [id])
            .write(doing)?;
        if listed == 0 {
            continue;
        }
        let old = format!("line:{id}");
        for table in ["top_ups", "observations"] {
            let sql = format!("UPDATE {table} SET sim = ?1 WHERE sim = ?2");
            moved += tx.execute(&sql, params![sim, old]).write(doing)?;
        }
    }
    tx.commit().write(doing)?;
    Ok(moved)
}
