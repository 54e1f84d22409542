//! The bookkeeping under every rate limiter: the grants of one sliding window (requests
//! sent within the last window and slots reserved for callers still waiting), kept in
//! time order so that no window of `window` length ever holds more than `ceiling` grants.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// One reserved (or used) slot: who holds it and when it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Finds the slot again after it moved (a pause or a purchase put ahead of it).
    pub id: u64,
    /// When the request may be sent.
    pub at: Instant,
}

/// The grants of one window, oldest first. Invariant for every grant placed under
/// `ceiling`: `grants[i] >= grants[i - ceiling] + window`, so no window holds more.
#[derive(Debug, Default)]
pub struct Slots {
    grants: VecDeque<Grant>,
    /// The next grant's id.
    next_id: u64,
}

/// `at + d`, or `at` when that would overflow (it cannot: the durations here are at most a
/// day and the instants come from a running clock).
pub fn after(at: Instant, d: Duration) -> Instant {
    at.checked_add(d).unwrap_or(at)
}

impl Slots {
    /// Drops the grants that can no longer limit anything (a whole window before `now`).
    pub fn prune(&mut self, now: Instant, window: Duration) {
        while self
            .grants
            .front()
            .is_some_and(|g| g.at.checked_add(window).is_some_and(|end| end <= now))
        {
            self.grants.pop_front();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The index of the first grant still ahead of `now`.
    pub fn first_ahead(&self, now: Instant) -> usize {
        self.grants.partition_point(|g| g.at <= now)
    }

    /// The earliest time the grant at index `i` may have: not before `floor`, nor the grant
    /// before it, nor a window after the grant `ceiling` places back.
    fn earliest(&self, i: usize, ceiling: usize, window: Duration, floor: Instant) -> Instant {
        let mut at = floor;
        if let Some(prev) = i.checked_sub(1).and_then(|j| self.grants.get(j)) {
            at = at.max(prev.at);
        }
        if let Some(back) = i.checked_sub(ceiling).and_then(|j| self.grants.get(j)) {
            at = at.max(after(back.at, window));
        }
        at
    }

    /// Reserves a slot for a caller arriving at `now`, not before `floor`: behind every
    /// grant, or (`first`) ahead of the grants still waiting, which move back to make room.
    /// `Err(wait)` without reserving when the wait would be longer than `max_wait`.
    pub fn reserve(
        &mut self,
        now: Instant,
        floor: Instant,
        limits: Limits,
        first: bool,
    ) -> Result<Grant, Duration> {
        let i = if first {
            self.first_ahead(now)
        } else {
            self.grants.len()
        };
        let at = self.earliest(i, limits.ceiling, limits.window, floor.max(now));
        let wait = at.saturating_duration_since(now);
        if wait > limits.max_wait {
            return Err(wait);
        }
        let grant = Grant {
            id: self.next_id,
            at,
        };
        self.next_id = self.next_id.wrapping_add(1);
        self.grants.insert(i, grant);
        self.replan(i.saturating_add(1), limits.ceiling, limits.window, floor);
        Ok(grant)
    }

    /// Moves the grants from index `from` on to the earliest times the rules allow (never
    /// earlier than they were): after a purchase was put ahead of them, a pause, or a lower
    /// ceiling.
    pub fn replan(&mut self, from: usize, ceiling: usize, window: Duration, floor: Instant) {
        for i in from..self.grants.len() {
            let at = self
                .earliest(i, ceiling, window, floor)
                .max(self.grants[i].at);
            self.grants[i].at = at;
        }
    }

    /// When grant `id` may be used now: `None` when it is no longer held (pruned: its time
    /// is long past).
    pub fn at(&self, id: u64) -> Option<Instant> {
        self.grants.iter().rev().find(|g| g.id == id).map(|g| g.at)
    }

    /// Gives grant `id` back (its caller stopped waiting). Later grants keep their times.
    pub fn cancel(&mut self, id: u64) {
        if let Some(i) = self.grants.iter().position(|g| g.id == id) {
            self.grants.remove(i);
        }
    }
}

/// What a reservation is made under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At most this many grants in any window.
    pub ceiling: usize,
    pub window: Duration,
    /// The longest the caller will wait.
    pub max_wait: Duration,
}
