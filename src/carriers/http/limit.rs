//! Client-side rate limits that queue fairly: at most `max` requests in any sliding
//! `window`, overall or per key (e.g. per ICCID). Each caller reserves the next free slot
//! under a lock, in arrival order (a purchase goes to the head of the queue), and sleeps
//! until it. A caller whose wait would pass its bound gets `Err(wait)` and reserves nothing.
//!
//! After a 429 (`throttle`) the carrier's limiters hold every waiting slot until the pause
//! ends and halve their ceiling; it climbs back by a tenth of `max` every `RECOVER` windows
//! without a new 429, so a server stricter than its docs costs a few 429s, not a storm.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::slots::{Grant, Limits, Slots, after};
use super::throttle::{Purpose, Throttle};

/// Windows without a 429 before the ceiling climbs one step.
pub const RECOVER: u32 = 5;

/// The documented `window` with 5 % added: requests planned exactly a window apart can
/// arrive a little closer (network jitter), and the server counts arrivals.
pub fn padded(window: Duration) -> Duration {
    window.saturating_add(window / 20)
}

/// One sliding window shared by every caller, paused with the rest of its carrier.
pub struct Limiter {
    max: usize,
    window: Duration,
    /// The carrier's pause after a 429, shared by all its limiters.
    throttle: Arc<Throttle>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    slots: Slots,
    /// Grants allowed per window now: `max`, or less since a 429.
    ceiling: usize,
    /// When the ceiling may next climb.
    raise_at: Option<Instant>,
    /// The throttle's pause as last applied here.
    seen: super::throttle::Pause,
}

/// What a waiter does after it woke.
enum Next {
    Go,
    Sleep(Instant),
    GiveUp(Duration),
}

impl Limiter {
    pub fn new(max: usize, window: Duration, throttle: Arc<Throttle>) -> Self {
        let max = max.max(1);
        Self {
            max,
            window,
            throttle,
            state: Mutex::new(State {
                slots: Slots::default(),
                ceiling: max,
                raise_at: None,
                seen: Default::default(),
            }),
        }
    }

    /// Waits for a slot for a request of `purpose`; `Err(wait)` when it would take longer
    /// than `purpose.max_wait()` (a read waits in line, a purchase goes first).
    pub async fn take(&self, purpose: Purpose) -> Result<(), Duration> {
        self.take_within(purpose.max_wait(), purpose == Purpose::Purchase)
            .await
    }

    /// Waits for a slot, at most `max_wait` in all (pauses that come later included);
    /// `first` puts the caller ahead of those already waiting.
    pub async fn take_within(&self, max_wait: Duration, first: bool) -> Result<(), Duration> {
        let start = Instant::now();
        let deadline = after(start, max_wait);
        let mut grant = self.reserve_at(start, max_wait, first)?;
        loop {
            tokio::time::sleep_until(grant.at).await;
            match self.next(grant.id, Instant::now(), deadline) {
                Next::Go => return Ok(()),
                Next::Sleep(at) => grant.at = at,
                Next::GiveUp(wait) => return Err(wait),
            }
        }
    }

    /// Reserves a slot for a caller arriving at `now`, or says how long it would wait.
    pub fn reserve_at(
        &self,
        now: Instant,
        max_wait: Duration,
        first: bool,
    ) -> Result<Grant, Duration> {
        let mut s = self.lock(now);
        let floor = s.seen.until.unwrap_or(now);
        let limits = Limits {
            ceiling: s.ceiling,
            window: self.window,
            max_wait,
        };
        s.slots.reserve(now, floor, limits, first)
    }

    /// After waking at `now`: go, sleep on (the slot moved), or give up past `deadline`.
    fn next(&self, id: u64, now: Instant, deadline: Instant) -> Next {
        let mut s = self.lock(now);
        match s.slots.at(id) {
            Some(at) if at > deadline => {
                s.slots.cancel(id);
                Next::GiveUp(at.saturating_duration_since(now))
            }
            Some(at) if at > now => Next::Sleep(at),
            _ => Next::Go,
        }
    }

    /// The state, with the carrier's latest pause applied and old grants dropped.
    fn lock(&self, now: Instant) -> std::sync::MutexGuard<'_, State> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let pause = self.throttle.pause();
        let step = (self.max / 10).max(1);
        let recover = self.window.saturating_mul(RECOVER);
        if pause.episode != s.seen.episode {
            s.ceiling = (s.ceiling / 2).max(1);
            s.raise_at = pause.until.map(|u| after(u, recover));
        } else if s.ceiling < self.max && s.raise_at.is_none_or(|r| r <= now) {
            s.ceiling = s.ceiling.saturating_add(step).min(self.max);
            s.raise_at = Some(after(now, recover));
        }
        if pause != s.seen {
            let from = s.slots.first_ahead(pause.since.unwrap_or(now));
            let (ceiling, floor) = (s.ceiling, pause.until.unwrap_or(now).max(now));
            s.slots.replan(from, ceiling, self.window, floor);
            s.seen = pause;
        }
        s.slots.prune(now, self.window);
        s
    }
}

/// One sliding window per key (no pause: the carrier-wide limiter behind it has one).
pub struct KeyedLimiter {
    max: usize,
    window: Duration,
    /// Per key, its grants; keys whose grants all left the window are dropped.
    slots: Mutex<HashMap<String, Slots>>,
}

impl KeyedLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max: max.max(1),
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves a slot for `key` at `now`, or says how long the wait would be.
    pub fn reserve_at(
        &self,
        key: &str,
        now: Instant,
        max_wait: Duration,
    ) -> Result<Grant, Duration> {
        let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| {
            s.prune(now, self.window);
            !s.is_empty()
        });
        let limits = Limits {
            ceiling: self.max,
            window: self.window,
            max_wait,
        };
        map.entry(key.to_string())
            .or_default()
            .reserve(now, now, limits, false)
    }

    /// Waits for a slot for `key`, at most `max_wait`; `Err(wait)` beyond (nothing reserved).
    pub async fn take(&self, key: &str, max_wait: Duration) -> Result<(), Duration> {
        let grant = self.reserve_at(key, Instant::now(), max_wait)?;
        tokio::time::sleep_until(grant.at).await;
        Ok(())
    }
}

#[cfg(test)]
#[path = "limit_tests.rs"]
mod tests;
