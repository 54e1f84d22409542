//! One carrier's answer to a 429: the reply pauses every limiter of the carrier until its
//! `Retry-After` (1 s when absent), so the requests queued behind it wait instead of
//! drawing 429s of their own, and the limiters slow down (see `limit`). A read that drew
//! the 429 is sent again after the pause; a purchase never is. The 429s are counted for
//! `/metrics`.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

use super::slots::after;
use super::{Http, Reply};
use crate::carriers::CarrierError;

/// The pause after a 429 without a usable `Retry-After`.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause a `Retry-After` can ask for; every waiter gives up long before.
pub const MAX_PAUSE: Duration = Duration::from_secs(3600);
/// The longest a read waits for its turn (queue and pauses) before it comes back as
/// rate limited: the check fails for now and runs again at its next time.
pub const READ_WAIT: Duration = Duration::from_secs(120);
/// The longest a purchase waits. Shorter than the daemon's stop grace (8 s), so a purchase
/// still waiting when a stop comes gives up as "not sent" rather than being cut off with
/// its outcome unknown. Purchases go to the head of the queue, so a busy fleet does not
/// hold them back.
pub const PURCHASE_WAIT: Duration = Duration::from_secs(5);
/// How many times a read is sent when each try draws a 429.
pub const READ_ATTEMPTS: u32 = 3;

/// What a request does, which sets how long it may wait and whether a 429 is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A reading or a lookup: waits in line (FIFO), is sent again after a 429.
    Read,
    /// A top-up: goes to the head of the queue, is sent at most once.
    Purchase,
}

impl Purpose {
    pub fn max_wait(self) -> Duration {
        match self {
            Purpose::Read => READ_WAIT,
            Purpose::Purchase => PURCHASE_WAIT,
        }
    }
}

/// One carrier's pause and its count of 429 replies; shared by all its limiters.
#[derive(Debug, Default)]
pub struct Throttle {
    pause: Mutex<Pause>,
    /// 429 replies since the adapter was built.
    rate_limited: AtomicU64,
}

/// The current pause.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// Nothing is sent before this.
    pub until: Option<Instant>,
    /// Counts the 429s that came while no pause ran (each slows the limiters once).
    pub episode: u64,
    /// When the last 429 arrived: slots after it were not used yet and move.
    pub since: Option<Instant>,
}

impl Throttle {
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self::default())
    }

    pub fn pause(&self) -> Pause {
        *self.pause.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// 429 replies so far.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// A 429 came back at `now`: nothing is sent before the returned instant. A 429 during
    /// a pause (a request sent before it began) only lengthens it.
    pub fn saw_429(&self, now: Instant, retry_after: Option<Duration>) -> Instant {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let wait = retry_after
            .unwrap_or(DEFAULT_PAUSE)
            .clamp(DEFAULT_PAUSE, MAX_PAUSE);
        let until = after(now, wait);
        let mut p = self.pause.lock().unwrap_or_else(|p| p.into_inner());
        if p.until.is_none_or(|u| u <= now) {
            p.episode = p.episode.wrapping_add(1);
        }
        let until = p.until.map_or(until, |u| u.max(until));
        p.until = Some(until);
        p.since = Some(now);
        until
    }

    /// Sends with `send` (which waits for the limiters before the request leaves), counting
    /// 429s in `seen` (the adapter's own count, for `/metrics`). A 429 pauses the account; a read is sent again, up to `READ_ATTEMPTS` in all, when the
    /// pause fits in its wait. The last 429 reply is returned for the caller to classify.
    pub async fn send<F, Fut>(
        &self,
        http: &Http,
        purpose: Purpose,
        seen: &AtomicU64,
        send: F,
    ) -> Result<Reply, CarrierError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Reply, CarrierError>>,
    {
        let mut attempt: u32 = 1;
        loop {
            let reply = send().await?;
            if reply.status != StatusCode::TOO_MANY_REQUESTS {
                return Ok(reply);
            }
            let now = Instant::now();
            seen.fetch_add(1, Ordering::Relaxed);
            let until = self.saw_429(now, reply.retry_after());
            let pause = until.saturating_duration_since(now);
            tracing::info!(
                carrier = http.carrier(),
                pause_ms = pause.as_millis() as u64,
                "the provider answered 429 (rate limited); every request to it waits"
            );
            if purpose == Purpose::Purchase
                || attempt >= READ_ATTEMPTS
                || pause > purpose.max_wait()
            {
                return Ok(reply);
            }
            attempt = attempt.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_429_during_a_pause_lengthens_it_without_a_new_episode() {
        let t = Throttle::new();
        let now = Instant::now();
        let until = t.saw_429(now, None);
        assert_eq!(until, now + DEFAULT_PAUSE);
        assert_eq!(t.pause().episode, 1);
        let later = now + Duration::from_millis(10);
        assert_eq!(t.saw_429(later, None), later + DEFAULT_PAUSE);
        assert_eq!(t.pause().episode, 1, "the same episode");
        let after_it = now + Duration::from_secs(5);
        assert_eq!(
            t.saw_429(after_it, Some(Duration::from_secs(7200))),
            after_it + MAX_PAUSE,
            "Retry-After clipped"
        );
        assert_eq!((t.pause().episode, t.rate_limited()), (2, 3));
        let zero = t.saw_429(after_it + MAX_PAUSE, Some(Duration::ZERO));
        assert_eq!(zero, after_it + MAX_PAUSE + DEFAULT_PAUSE, "0 s is 1 s");
    }
}
