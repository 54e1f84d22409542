//! The work both schedulers are given, and where their fires are recorded.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Timelike, Utc};

/// When one line is due; each scheduler writes it in its own schedule syntax.
#[derive(Clone, Copy)]
pub enum Due {
    /// Hourly, at this minute.
    Hourly { minute: u32 },
    /// Once a minute, at this second.
    EveryMinuteAt { second: u32 },
    /// Once, at this whole second.
    At(DateTime<Utc>),
}

impl Due {
    /// The due time of a fire arriving at `now` (the latest matching time at or before it).
    pub fn due_before(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Due::At(t) => t,
            Due::EveryMinuteAt { second } => {
                let whole = now.with_nanosecond(0).unwrap_or(now);
                let back = (now.second() + 60 - second) % 60;
                whole - TimeDelta::seconds(back as i64)
            }
            Due::Hourly { minute } => {
                let whole = now
                    .with_nanosecond(0)
                    .and_then(|t| t.with_second(0))
                    .unwrap_or(now);
                let back = (now.minute() + 60 - minute) % 60;
                whole - TimeDelta::minutes(back as i64)
            }
        }
    }
}

/// Counts every fire and keeps the lateness (µs) of those arriving inside a window.
pub struct Recorder {
    /// Fires arriving in `[from, to)` have their lateness kept.
    pub window: Mutex<(DateTime<Utc>, DateTime<Utc>)>,
    /// Lateness in microseconds of the fires inside the window.
    pub late_us: Mutex<Vec<i64>>,
    /// All fires, inside the window or not.
    pub fires: AtomicU64,
    /// Arrival of the latest fire, µs since the epoch.
    pub last_us: AtomicU64,
}

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            window: Mutex::new((DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC)),
            late_us: Mutex::new(Vec::with_capacity(1 << 20)),
            fires: AtomicU64::new(0),
            last_us: AtomicU64::new(0),
        }
    }

    pub fn record(&self, due: DateTime<Utc>) {
        let now = Utc::now();
        self.fires.fetch_add(1, Ordering::Relaxed);
        self.last_us
            .fetch_max(now.timestamp_micros() as u64, Ordering::Relaxed);
        let (from, to) = *self.window.lock().unwrap();
        if now >= from && now < to {
            let late = (now - due).num_microseconds().unwrap_or(i64::MAX);
            self.late_us.lock().unwrap().push(late);
        }
    }

    pub fn fires(&self) -> u64 {
        self.fires.load(Ordering::Relaxed)
    }
}
