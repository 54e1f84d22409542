//! How long a sender (email's or a channel's) sleeps after a round: while paused it backs
//! off further each round in a row, after a ledger error it tries again in a minute, and
//! otherwise it sleeps until the next message is due (at most `IDLE`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ledger::LedgerError;

/// The longest a sender sleeps without looking at its queue (a wake-up cuts it short):
/// also how soon it sees messages `renewd outbox --retry` queued from outside.
pub const IDLE: Duration = Duration::from_secs(300);
/// Pause after a ledger error before a sender tries again.
pub const LEDGER_RETRY: Duration = Duration::from_secs(60);

/// The wait before attempt `failures + 1`: 1m, 5m, 15m, 1h, then hourly.
pub fn backoff(failures: u32) -> chrono::Duration {
    match failures {
        0 | 1 => chrono::Duration::minutes(1),
        2 => chrono::Duration::minutes(5),
        3 => chrono::Duration::minutes(15),
        _ => chrono::Duration::hours(1),
    }
}

/// What a sender's round came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// A failure of the whole transport paused the queue.
    Paused,
    /// Whatever was due was handled.
    Done,
    /// The ledger could not be read or written.
    LedgerError,
}

/// The pauses in a row, for the growing back-off.
#[derive(Debug, Default)]
pub struct Pacing {
    pauses: u32,
}

impl Pacing {
    /// After a round: how long to sleep, and whether the queue is paused (then only a new
    /// transport or the time ends the sleep, not a wake-up). `next_due` is read only when
    /// the round is done.
    pub fn after(&mut self, round: Round, next_due: impl FnOnce() -> Duration) -> (Duration, bool) {
        match round {
            Round::Paused => {
                self.pauses = self.pauses.saturating_add(1);
                (backoff(self.pauses).to_std().unwrap_or(LEDGER_RETRY), true)
            }
            Round::Done => {
                self.pauses = 0;
                (next_due(), false)
            }
            Round::LedgerError => (LEDGER_RETRY, false),
        }
    }

    /// A new transport (a reload): the next pause starts the back-off again.
    pub fn reset(&mut self) {
        self.pauses = 0;
    }
}

/// The sleep until `next` (the next message due), at most `IDLE`; `LEDGER_RETRY` when it
/// could not be read.
pub fn until(next: Result<Option<DateTime<Utc>>, LedgerError>, now: DateTime<Utc>) -> Duration {
    match next {
        Ok(Some(at)) => (at - now).to_std().unwrap_or(Duration::ZERO).min(IDLE),
        Ok(None) => IDLE,
        Err(_) => LEDGER_RETRY,
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

    #[test]
    fn pauses_back_off_further_in_a_row_and_a_done_round_starts_again() {
        let mut p = Pacing::default();
        let idle = || Duration::from_secs(7);
        let mins = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(p.after(Round::Paused, idle), (mins(1), true));
        assert_eq!(p.after(Round::Paused, idle), (mins(5), true));
        assert_eq!(p.after(Round::LedgerError, idle), (LEDGER_RETRY, false));
        assert_eq!(p.after(Round::Paused, idle), (mins(15), true));
        assert_eq!(p.after(Round::Done, idle), (Duration::from_secs(7), false));
        assert_eq!(p.after(Round::Paused, idle), (mins(1), true));
        p.reset();
        assert_eq!(p.after(Round::Paused, idle), (mins(1), true));
    }

    #[test]
    fn sleeps_until_the_next_message_at_most_idle() {
        let now = Utc::now();
        let secs = |s: i64| now + chrono::Duration::seconds(s);
        assert_eq!(until(Ok(Some(secs(30))), now), Duration::from_secs(30));
        assert_eq!(until(Ok(Some(secs(-5))), now), Duration::ZERO);
        assert_eq!(until(Ok(Some(secs(9999))), now), IDLE);
        assert_eq!(until(Ok(None), now), IDLE);
    }
}
