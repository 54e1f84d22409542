//! Rows written before lines were keyed by their SIM: re-keyed once to the SIM of the
//! configured line that had their id (`legacy_lines` lists the ids still to do).

use rusqlite::{Connection, TransactionBehavior, params};

use super::LedgerError;
use super::rows::SqlResultExt;

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
