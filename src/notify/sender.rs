//! Delivery from the outbox: send each due message, mark it sent only once the server
//! accepted it, retry transient failures with backoff, give up on permanent ones.
//!
//! The ledger is the only state: a message that was not marked sent is sent again after
//! a restart, under the same Message-ID (derived from its event key), so a copy that
//! arrives twice after a lost reply is recognisable as the same message.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Notifier, NotifyError};
use crate::ledger::{Ledger, LedgerError};

/// Messages read from the ledger per round.
const BATCH: usize = 50;
/// Rounds per `deliver_due` call, so a ledger that keeps returning messages cannot spin.
const MAX_ROUNDS: usize = 20;
/// How long the sender sleeps when nothing is queued (a wake-up cuts it short).
const IDLE: Duration = Duration::from_secs(3600);
/// Pause after a ledger error before the sender tries again.
const LEDGER_RETRY: Duration = Duration::from_secs(60);

/// What one `deliver_due` call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the server (or skipped because `email.send` leaves the kind out).
    pub sent: usize,
    /// Failed transiently and rescheduled.
    pub retry: usize,
    /// Failed permanently: given up on, shown by `status`.
    pub dead: usize,
}

/// The wait before attempt `failures + 1`: 1m, 5m, 15m, 1h, then hourly.
pub fn backoff(failures: u32) -> chrono::Duration {
    match failures {
        0 | 1 => chrono::Duration::minutes(1),
        2 => chrono::Duration::minutes(5),
        3 => chrono::Duration::minutes(15),
        _ => chrono::Duration::hours(1),
    }
}

/// Sends every message due by `now`, oldest first.
///
/// After a transient failure the rest of the round is not attempted: the server is most
/// likely down for all of them, and each would wait for its own timeout. They are
/// rescheduled with the same backoff instead. A ledger error stops the call.
pub async fn deliver_due(
    ledger: &dyn Ledger,
    notifier: &dyn Notifier,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, LedgerError> {
    let mut report = DeliveryReport::default();
    for _ in 0..MAX_ROUNDS {
        let batch = ledger.due_messages(now, BATCH)?;
        if batch.is_empty() {
            break;
        }
        let mut server_trouble: Option<String> = None;
        for msg in &batch {
            let failures = msg.attempts + 1;
            if let Some(why) = &server_trouble {
                ledger.mark_attempt_failed(
                    msg.id,
                    &format!("not tried: {why}"),
                    Some(now + backoff(failures)),
                )?;
                report.retry += 1;
                continue;
            }
            match notifier.deliver(msg).await {
                Ok(()) => {
                    ledger.mark_sent(msg.id, Utc::now().max(now))?;
                    tracing::info!(key = %msg.draft.key, subject = %msg.draft.subject, "email sent");
                    report.sent += 1;
                }
                Err(NotifyError::Transient(e)) => {
                    let at = now + backoff(failures);
                    ledger.mark_attempt_failed(msg.id, &e, Some(at))?;
                    tracing::warn!(key = %msg.draft.key, attempt = failures, retry_at = %at, error = %e, "email not sent, will retry");
                    server_trouble = Some(e);
                    report.retry += 1;
                }
                Err(NotifyError::Permanent(e)) => {
                    ledger.mark_attempt_failed(msg.id, &e, None)?;
                    tracing::error!(key = %msg.draft.key, error = %e, "email given up: the server refused it permanently; fix the [email] config, `renewd status` lists it");
                    report.dead += 1;
                }
            }
        }
        if batch.len() < BATCH {
            break;
        }
    }
    Ok(report)
}

/// The daemon's sender task: delivers due messages, then sleeps until the next one is
/// due, a `wake` (a new message was queued), or `shutdown`. Returns when `shutdown`
/// completes; a message in the middle of its SMTP conversation is finished first.
pub async fn run_sender(
    ledger: Arc<dyn Ledger>,
    notifier: Arc<dyn Notifier>,
    wake: Arc<tokio::sync::Notify>,
    shutdown: impl Future,
) {
    tokio::pin!(shutdown);
    loop {
        let pause = match deliver_due(ledger.as_ref(), notifier.as_ref(), Utc::now()).await {
            Ok(_) => until_next(ledger.as_ref()),
            Err(e) => {
                tracing::error!(error = %e, "email outbox: ledger error; trying again in a minute");
                LEDGER_RETRY
            }
        };
        tokio::select! {
            _ = &mut shutdown => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// How long until the next queued message is due (at most `IDLE`).
fn until_next(ledger: &dyn Ledger) -> Duration {
    match ledger.next_message_due() {
        Ok(Some(at)) => (at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(IDLE),
        Ok(None) => IDLE,
        Err(e) => {
            tracing::error!(error = %e, "email outbox: cannot read the next due time; trying again in a minute");
            LEDGER_RETRY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_schedule() {
        let mins: Vec<i64> = (1..=7).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(mins, [1, 5, 15, 60, 60, 60, 60]);
    }
}
