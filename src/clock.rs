//! Wall time for the scheduler: the system clock, or a virtual clock that follows tokio's
//! (pausable) clock so tests can start just before a DST change and advance through it,
//! and that a test can step forward or back (`jump`) like NTP or a suspend would.

#![deny(clippy::arithmetic_side_effects)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// Where the scheduler reads the wall time and how it turns a wall time into a tokio
/// `Instant` to sleep until.
#[derive(Clone, Debug)]
pub enum Clock {
    /// `Utc::now()`; the scheduler re-reads it at least every tick, so a wall clock step
    /// (NTP, suspend) is noticed within one tick.
    System,
    /// `base_wall + (Instant::now() - base_instant)`: moves only when tokio's clock moves,
    /// which `tokio::time::pause()` puts under the test's control.
    Virtual {
        /// The wall time the clock showed at `base_instant`.
        base_wall: DateTime<Utc>,
        /// The tokio instant at which the clock showed `base_wall`.
        base_instant: Instant,
        /// Steps applied with `jump`, in milliseconds (shared by every clone).
        stepped_ms: Arc<AtomicI64>,
    },
}

impl Clock {
    /// A virtual clock showing `wall` now and advancing with tokio's clock.
    pub fn virtual_at(wall: DateTime<Utc>) -> Self {
        Clock::Virtual {
            base_wall: wall,
            base_instant: Instant::now(),
            stepped_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Steps a virtual clock's wall time by `delta` (negative: back), as NTP or a resume
    /// from suspend steps the system clock; tokio's monotonic clock does not move.
    /// No effect on the system clock.
    pub fn jump(&self, delta: TimeDelta) {
        if let Clock::Virtual { stepped_ms, .. } = self {
            stepped_ms.fetch_add(delta.num_milliseconds(), Ordering::SeqCst);
        }
    }

    /// `base_wall` moved by the jumps so far (the system clock has none).
    fn anchor(&self) -> (Instant, DateTime<Utc>) {
        match self {
            Clock::System => (Instant::now(), Utc::now()),
            Clock::Virtual {
                base_wall,
                base_instant,
                stepped_ms,
            } => {
                let step = TimeDelta::milliseconds(stepped_ms.load(Ordering::SeqCst));
                let wall = base_wall.checked_add_signed(step).unwrap_or(*base_wall);
                (*base_instant, wall)
            }
        }
    }

    /// The current wall time.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Virtual { .. } => {
                let (base_instant, base_wall) = self.anchor();
                let elapsed = TimeDelta::from_std(base_instant.elapsed()).unwrap_or(TimeDelta::MAX);
                base_wall
                    .checked_add_signed(elapsed)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }

    /// The tokio instant at which this clock will show `wall`; now for a wall time already
    /// past, and about thirty years ahead for one too far away to represent.
    pub fn instant_at(&self, wall: DateTime<Utc>) -> Instant {
        let (anchor_instant, anchor_wall) = self.anchor();
        let now = Instant::now();
        let thirty_years = std::time::Duration::from_secs(946_080_000);
        let far = now.checked_add(thirty_years).unwrap_or(now);
        match wall.signed_duration_since(anchor_wall).to_std() {
            Ok(ahead) => anchor_instant.checked_add(ahead).unwrap_or(far).min(far),
            Err(_) => {
                let behind = anchor_wall
                    .signed_duration_since(wall)
                    .to_std()
                    .unwrap_or_default();
                anchor_instant.checked_sub(behind).unwrap_or(anchor_instant)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn virtual_clock_follows_tokio_time_and_maps_back_to_instants() {
        let start = Utc.with_ymd_and_hms(2026, 3, 8, 6, 59, 0).unwrap();
        let clock = Clock::virtual_at(start);
        let t0 = Instant::now();
        assert_eq!(clock.now(), start);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + TimeDelta::seconds(90));
        let later = start + TimeDelta::seconds(3600);
        assert_eq!(clock.instant_at(later), t0 + Duration::from_secs(3600));
        assert_eq!(
            clock.instant_at(start - TimeDelta::seconds(10)),
            t0 - Duration::from_secs(10)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_jump_steps_the_wall_time_and_its_instants_but_not_tokio_time() {
        let start = Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).unwrap();
        let clock = Clock::virtual_at(start);
        let t0 = Instant::now();
        let copy = clock.clone();
        clock.jump(TimeDelta::hours(-5));
        assert_eq!(
            copy.now(),
            start - TimeDelta::hours(5),
            "clones share jumps"
        );
        assert_eq!(Instant::now(), t0);
        assert_eq!(clock.instant_at(start), t0 + Duration::from_secs(5 * 3600));
    }

    #[tokio::test]
    async fn system_clock_maps_future_wall_times_ahead() {
        let clock = Clock::System;
        let ahead = clock.instant_at(Utc::now() + TimeDelta::seconds(60)) - Instant::now();
        assert!(
            ahead > Duration::from_secs(59) && ahead <= Duration::from_secs(60),
            "{ahead:?}"
        );
    }
}
