//! Guarded top-up state transitions: each `UPDATE` names the states it may start from, and
//! a top-up found in any other state is an error, never a silent no-op.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ToSql, TransactionBehavior};

use super::rows::{SqlResultExt, ms};
use super::topups::{self, OPEN};
use super::{Draft, LedgerError, Settlement, outbox};
use crate::model::{TopUp, TopUpState};
use crate::money::Money;

/// Runs `UPDATE top_ups SET {set} WHERE id = ?1 AND state IN {from}`; when no row changed,
/// says why: no such top-up, or it is in another state (`action` names the transition).
fn guarded(
    conn: &Connection,
    id: i64,
    from: &str,
    action: &'static str,
    set: &str,
    args: &[&dyn ToSql],
) -> Result<(), LedgerError> {
    let sql = format!("UPDATE top_ups SET {set} WHERE id = ?1 AND state IN {from}");
    let mut all: Vec<&dyn ToSql> = vec![&id];
    all.extend_from_slice(args);
    let changed = conn.execute(&sql, all.as_slice()).write(action)?;
    if changed == 1 {
        return Ok(());
    }
    match topups::state_of(conn, id)? {
        None => Err(LedgerError::NoSuchTopUp(id)),
        Some(state) => Err(LedgerError::WrongState {
            id,
            state: state.to_string(),
            action,
        }),
    }
}

/// `planned` -> `submitting`, with the time the request goes out.
pub fn mark_submitting(conn: &Connection, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
    let action = "marked submitting (only a planned top-up can be)";
    guarded(
        conn,
        id,
        "('planned')",
        action,
        "state = 'submitting', sent_at = ?2",
        &[&ms(at)],
    )
}

/// Stores the provider's id while the top-up is still open.
pub fn set_provider_ref(conn: &Connection, id: i64, provider_ref: &str) -> Result<(), LedgerError> {
    let action = "given a provider reference (it is already settled)";
    guarded(
        conn,
        id,
        OPEN,
        action,
        "provider_ref = ?2",
        &[&provider_ref],
    )
}

/// Records the outcome and queues `message`, in one transaction; returns the updated row.
pub fn settle(
    conn: &mut Connection,
    id: i64,
    outcome: &Settlement,
    at: DateTime<Utc>,
    message: Option<&Draft>,
    routes: &super::Routes,
) -> Result<TopUp, LedgerError> {
    let doing = "settling a top-up";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .write(doing)?;
    let current = topups::get(&tx, id)?.ok_or(LedgerError::NoSuchTopUp(id))?;
    let at_ms = ms(at);
    match outcome {
        Settlement::Confirmed {
            provider_ref,
            charged,
            detail,
        } => {
            let (amount, detail) = charged_amount(current.amount, *charged, detail.as_deref());
            let set = "state = 'confirmed', settled_at = ?2, amount_minor = ?3, \
                       provider_ref = COALESCE(?4, provider_ref), detail = ?5";
            let args: [&dyn ToSql; 4] = [&at_ms, &amount.minor, provider_ref, &detail];
            let action = "confirmed (only a submitting or unknown top-up can be)";
            guarded(&tx, id, "('submitting', 'unknown')", action, set, &args)?;
        }
        Settlement::Failed { reason } => {
            let action = "failed (it is already settled)";
            guarded(
                &tx,
                id,
                OPEN,
                action,
                "state = 'failed', settled_at = ?2, detail = ?3",
                &[&at_ms, reason],
            )?;
        }
        Settlement::Unknown { reason } => {
            let action = "marked unknown (only a submitting or unknown top-up can be)";
            guarded(
                &tx,
                id,
                "('submitting', 'unknown')",
                action,
                "state = 'unknown', detail = ?2",
                &[reason],
            )?;
        }
    }
    finish(tx, routes, id, message, at)
}

/// Queues the message in the transaction, reads the row back and commits.
fn finish(
    tx: rusqlite::Transaction,
    routes: &super::Routes,
    id: i64,
    message: Option<&Draft>,
    at: DateTime<Utc>,
) -> Result<TopUp, LedgerError> {
    if let Some(draft) = message {
        outbox::enqueue_routed(&tx, routes, draft, at)?;
    }
    let row = topups::get(&tx, id)?.ok_or(LedgerError::NoSuchTopUp(id))?;
    tx.commit().write("settling a top-up")?;
    Ok(row)
}

/// The amount actually charged replaces the planned one when it is in the same currency
/// and positive; otherwise the planned amount stays (caps never count less than was
/// planned) and the reported charge is noted in the detail.
fn charged_amount(
    planned: Money,
    charged: Option<Money>,
    detail: Option<&str>,
) -> (Money, Option<String>) {
    let noted = |note: String| Some(detail.map_or(note.clone(), |d| format!("{d}; {note}")));
    match charged {
        Some(c) if c.minor <= 0 => (
            planned,
            noted(format!(
                "the provider reported a charge of {c}; kept the planned {planned}"
            )),
        ),
        Some(c) if c.currency == planned.currency => (c, detail.map(str::to_string)),
        Some(c) => (
            planned,
            noted(format!(
                "charged {c} (another currency than the planned {planned})"
            )),
        ),
        None => (planned, detail.map(str::to_string)),
    }
}

/// A person's verdict on a top-up whose outcome stayed `unknown`: confirmed when `paid`,
/// else failed. A `planned` or `submitting` top-up is refused: renewd itself is still
/// deciding it (the next check settles a crash-left `planned`/`submitting` row first).
pub fn resolve(
    conn: &mut Connection,
    id: i64,
    paid: bool,
    at: DateTime<Utc>,
    message: Option<&Draft>,
    routes: &super::Routes,
) -> Result<TopUp, LedgerError> {
    let doing = "resolving a top-up";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .write(doing)?;
    let state = topups::state_of(&tx, id)?.ok_or(LedgerError::NoSuchTopUp(id))?;
    if !state.is_open() {
        return Err(LedgerError::NotOpen {
            id,
            state: state.to_string(),
        });
    }
    if state != TopUpState::Unknown {
        return Err(LedgerError::WrongState {
            id,
            state: state.to_string(),
            action: "resolved by hand (only an unknown one can be; renewd settles it first)",
        });
    }
    let (to, note) = if paid {
        (TopUpState::Confirmed, "resolved by hand: paid")
    } else {
        (TopUpState::Failed, "resolved by hand: not paid")
    };
    let set = "state = ?2, settled_at = ?3, detail = COALESCE(detail || '; ', '') || ?4";
    let at_ms = ms(at);
    guarded(
        &tx,
        id,
        "('unknown')",
        "resolved (it is already settled)",
        set,
        &[&to.as_str(), &at_ms, &note],
    )?;
    finish(tx, routes, id, message, at)
}

/// Records when a reading first showed a confirmed top-up (kept: the first one wins).
pub fn mark_shown(conn: &Connection, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
    let action = "marked shown (only a confirmed top-up can be)";
    guarded(
        conn,
        id,
        "('confirmed')",
        action,
        "shown_at = COALESCE(shown_at, ?2)",
        &[&ms(at)],
    )
}
