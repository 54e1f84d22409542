//! Delivery from the outbox: send each due message, mark it sent right after the server
//! accepted it, retry a message's own transient failures with backoff, give up only on a
//! message the server refused for itself, and pause everything on a server-wide failure.
//!
//! The ledger is the only state: a message that was not marked sent is sent again after
//! a restart, under the same Message-ID (install id + event key), so a copy that arrives
//! twice after a lost reply is recognisable as the same message. The pause is kept in the
//! ledger too, so `status` (another process) and `/healthz` can show it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use super::pacing::{Pacing, Round, backoff};
use super::{Notifier, NotifyError};
use crate::ledger::{Ledger, LedgerError, OutboxMessage, OutboxPause};

/// Messages read from the ledger per round.
const BATCH: usize = 50;
/// Rounds per `deliver_due` call, so a ledger that keeps returning messages cannot spin.
const MAX_ROUNDS: usize = 20;

/// What one `deliver_due` call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the server (or skipped because `email.send` leaves the kind out).
    pub sent: usize,
    /// Failed transiently and rescheduled.
    pub retry: usize,
    /// Refused by the server for itself: given up on, shown by `status` and `outbox`.
    pub dead: usize,
    /// A server-wide failure stopped the round: why. Nothing was given up on.
    pub paused: Option<String>,
}

/// Sends every message due by `now`, oldest first.
///
/// A server-wide failure (login refused, TLS, connection) stops the call and pauses the
/// outbox (kept in the ledger, logged once); the messages keep their place. After a
/// message's own transient failure (a 4xx) the rest of the round is left for later too.
/// The first delivery after a pause lifts it. A ledger error stops the call.
pub async fn deliver_due(
    ledger: &dyn Ledger,
    notifier: &dyn Notifier,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, LedgerError> {
    let mut report = DeliveryReport::default();
    let mut paused = ledger.outbox_pause()?.is_some();
    for _ in 0..MAX_ROUNDS {
        let batch = ledger.due_messages(now, BATCH)?;
        for msg in &batch {
            match notifier.deliver(msg).await {
                Ok(()) => {
                    // Nothing between the server's acceptance and this write.
                    ledger.mark_sent(msg.id, Utc::now().max(now))?;
                    tracing::info!(key = %msg.draft.key, subject = %msg.draft.subject, "email sent");
                    report.sent += 1;
                    if std::mem::take(&mut paused) {
                        ledger.set_outbox_pause(None)?;
                        tracing::info!("email delivery resumed");
                    }
                }
                Err(NotifyError::Transient(e)) => {
                    retry_later(ledger, msg, &e, now)?;
                    report.retry += 1;
                    return Ok(report);
                }
                Err(NotifyError::Permanent(e)) => {
                    ledger.mark_attempt_failed(msg.id, &e, None)?;
                    tracing::error!(key = %msg.draft.key, error = %e, "email given up: the server refused this message; `renewd outbox --retry {}` sends it again", msg.id);
                    report.dead += 1;
                }
                Err(NotifyError::Server(e)) => {
                    pause(ledger, paused, &e, now)?;
                    report.paused = Some(e);
                    return Ok(report);
                }
            }
        }
        if batch.len() < BATCH {
            break;
        }
    }
    Ok(report)
}

/// A message's own transient failure: try it again after its backoff.
fn retry_later(
    ledger: &dyn Ledger,
    msg: &OutboxMessage,
    e: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let failures = msg.attempts + 1;
    let at = now + backoff(failures);
    ledger.mark_attempt_failed(msg.id, e, Some(at))?;
    tracing::warn!(key = %msg.draft.key, attempt = failures, retry_at = %at, error = %e, "email not sent, will retry");
    Ok(())
}

/// Records the pause; logs the alarm only when delivery was not paused already.
fn pause(
    ledger: &dyn Ledger,
    already: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let since = match ledger.outbox_pause()? {
        Some(p) if already => p.since,
        _ => now,
    };
    ledger.set_outbox_pause(Some(&OutboxPause {
        reason: reason.to_string(),
        since,
    }))?;
    if !already {
        tracing::error!(error = %reason, "email delivery paused: the mail server cannot be used; messages stay queued. Fix [email] (`renewd test-email` explains), then reload (systemctl reload renewd)");
    }
    Ok(())
}

/// The daemon's sender task: delivers due messages, then sleeps until the next one is
/// due, a `wake` (a new message was queued), or `shutdown`. While paused it waits out a
/// growing pause (1m, 5m, 15m, then hourly) or a new notifier from a reload, whichever
/// comes first. Returns when `shutdown` completes; a message in the middle of its SMTP
/// conversation is finished first.
pub async fn run_sender(
    ledger: Arc<dyn Ledger>,
    mut notifier: watch::Receiver<Arc<dyn Notifier>>,
    wake: Arc<Notify>,
    shutdown: impl Future,
) {
    tokio::pin!(shutdown);
    let mut pacing = Pacing::default();
    loop {
        let current = notifier.borrow_and_update().clone();
        let round = match deliver_due(ledger.as_ref(), current.as_ref(), Utc::now()).await {
            Ok(report) if report.paused.is_some() => Round::Paused,
            Ok(_) => Round::Done,
            Err(e) => {
                tracing::error!(error = %e, "email outbox: ledger error; trying again in a minute");
                Round::LedgerError
            }
        };
        let (pause, paused) = pacing.after(round, || until_next(ledger.as_ref()));
        tokio::select! {
            _ = &mut shutdown => return,
            Ok(()) = notifier.changed() => pacing.reset(),
            _ = wake.notified(), if !paused => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// How long until the next queued message is due (at most `IDLE`).
fn until_next(ledger: &dyn Ledger) -> Duration {
    let next = ledger.next_message_due();
    if let Err(e) = &next {
        tracing::error!(error = %e, "email outbox: cannot read the next due time; trying again in a minute");
    }
    super::pacing::until(next, Utc::now())
}
