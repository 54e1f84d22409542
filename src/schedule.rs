//! When a line is checked: `"every 6h"` or a 5-field cron in the daemon's time zone.
//!
//! Pure functions of their inputs; the heap loop that fires them is in `scheduler.rs`.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

use crate::money::{format_duration, parse_duration_within};

/// The longest `every <duration>`: a year.
pub const MAX_EVERY: Duration = Duration::from_secs(365 * 86_400);

/// A line's check schedule.
#[derive(Clone)]
pub enum Schedule {
    /// A 5-field cron pattern, evaluated in the daemon's time zone. Shared: every line
    /// written with the same pattern holds the same parsed copy.
    Cron(Arc<Cron>),
    /// A fixed interval measured from the previous check.
    Every(Duration),
}

impl Schedule {
    /// Parses `"every 90s"` or a 5-field cron such as `"0 */6 * * *"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(rest) = t.strip_prefix("every ") {
            let d = parse_duration_within(rest, MAX_EVERY)
                .map_err(|e| format!("{e} (in {s:?}; e.g. \"every 6h\")"))?;
            if d < Duration::from_secs(1) {
                return Err(format!(
                    "{s:?} is shorter than one second; e.g. \"every 30s\""
                ));
            }
            return Ok(Schedule::Every(d));
        }
        if t.split_whitespace().count() != 5 {
            return Err(format!(
                "{s:?} is neither \"every <duration>\" nor a 5-field cron; e.g. \"every 6h\" or \"0 */6 * * *\""
            ));
        }
        parse_cron(t)
            .map(Schedule::Cron)
            .map_err(|e| format!("{s:?} is not a valid cron pattern ({e}); e.g. \"0 */6 * * *\""))
    }

    /// The first check strictly after `prev`, with cron fields read in `tz`.
    /// `None` only for a cron pattern that never fires again.
    pub fn next_after(&self, prev: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Every(d) => chrono::Duration::from_std(*d)
                .ok()
                .and_then(|d| prev.checked_add_signed(d)),
            Schedule::Cron(cron) => cron
                .find_next_occurrence(&prev.with_timezone(&tz), false)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Parsed patterns by their text. croner takes ~30 µs and ~5 KB (a bitfield per year up
/// to 4999) per parse, so a config with 100,000 lines on a few patterns parses each once.
fn parse_cron(text: &str) -> Result<Arc<Cron>, croner::errors::CronError> {
    static PARSED: LazyLock<Mutex<HashMap<String, Arc<Cron>>>> = LazyLock::new(Default::default);
    let mut parsed = PARSED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(cron) = parsed.get(text) {
        return Ok(cron.clone());
    }
    let cron = Arc::new(Cron::from_str(text)?);
    if parsed.len() >= 4096 {
        parsed.clear();
    }
    parsed.insert(text.to_string(), cron.clone());
    Ok(cron)
}

/// Two schedules are equal when they are written the same way: the scheduler keeps a
/// line's due time across a reload when its schedule compares equal.
impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Schedule::Cron(a), Schedule::Cron(b)) => a.as_str() == b.as_str(),
            (Schedule::Every(a), Schedule::Every(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Schedule {}

impl Hash for Schedule {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Schedule::Cron(c) => c.as_str().hash(state),
            Schedule::Every(d) => d.hash(state),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Cron(c) => write!(f, "{}", c.as_str()),
            Schedule::Every(d) => write!(f, "every {}", format_duration(*d)),
        }
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
