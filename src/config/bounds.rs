//! The allowed range of every number a config holds: durations, amounts, data sizes,
//! counts, lengths and dates. A value outside is refused at validation with its range, so
//! nothing downstream (policy, schedule, caps) can overflow.

#![deny(clippy::arithmetic_side_effects)]

use std::time::Duration;

use chrono::NaiveDate;

use super::validate::Problems;
use crate::money::{DataSize, Money, parse_duration_within};

/// One day.
pub const DAY: Duration = Duration::from_secs(86_400);
/// `expires_within`, `runs_out_within`, `every <duration>`: at most a year.
pub const MAX_TRIGGER: Duration = Duration::from_secs(365 * 86_400);
/// `daemon.jitter`: at most a day.
pub const MAX_JITTER: Duration = DAY;
/// `daemon.settle`, `daemon.check_grace`: at most 30 days.
pub const MAX_WAIT: Duration = Duration::from_secs(30 * 86_400);
/// `daemon.keep_readings`: at least a month (the forecast reads 14 days, the monthly digest
/// a whole month), at most ten years.
pub const MIN_KEEP_READINGS: Duration = Duration::from_secs(31 * 86_400);
pub const MAX_KEEP_READINGS: Duration = Duration::from_secs(3650 * 86_400);
/// Any amount, in major units of its currency (1000000000.00 USD, 1000000000 JPY).
pub const MAX_MAJOR: i64 = 1_000_000_000;
/// `data_below`, `min_data`: at most 100 TB.
pub const MAX_DATA: DataSize = DataSize { kb: 100 << 30 };
/// `[[lines]]` in one file.
pub const MAX_LINES: usize = 100_000;
/// A line's `name`, in characters.
pub const MAX_NAME: usize = 200;
/// A line's `id`, in characters (references sent to providers hold it).
pub const MAX_ID: usize = 64;
/// `operator_id`.
pub const MAX_OPERATOR_ID: i64 = 1_000_000_000;

/// `renews_on` and other plan dates: from 2000-01-01 to 2100-12-31.
pub fn date_range() -> (NaiveDate, NaiveDate) {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    (d(2000, 1, 1), d(2100, 12, 31))
}

/// A duration key: parsed, at most `max`; `None` (with a problem) when not.
pub fn duration(p: &mut Problems, key: &str, text: &str, max: Duration) -> Option<Duration> {
    p.check(key, parse_duration_within(text, max))
}

/// The largest amount in `m`'s currency.
pub fn max_money(m: Money) -> Money {
    let unit = 10i64.pow(m.currency.exponent());
    Money::new(MAX_MAJOR.saturating_mul(unit), m.currency)
}

/// An amount at most `MAX_MAJOR` units of its currency; `None` (with a problem) when not.
pub fn money(p: &mut Problems, key: &str, m: Option<Money>) -> Option<Money> {
    let m = m?;
    let max = max_money(m);
    if m.minor > max.minor {
        p.add(key, format!("{m} is too large; at most {max}"));
        return None;
    }
    Some(m)
}

/// A data size at most `MAX_DATA`; `None` (with a problem) when not.
pub fn data(p: &mut Problems, key: &str, d: Option<DataSize>) -> Option<DataSize> {
    let d = d?;
    if d > MAX_DATA {
        p.add(key, format!("{d} is too large; at most 100 TB"));
        return None;
    }
    Some(d)
}

/// `max_requests_per_second` of an HTTP carrier (Airalo, 1NCE).
pub const MAX_PER_SECOND: i64 = 10_000;

/// A request rate from 1 to `MAX_PER_SECOND` a second.
pub fn per_second(n: i64) -> Result<u32, String> {
    if (1..=MAX_PER_SECOND).contains(&n) {
        u32::try_from(n).map_err(|_| format!("{n} is out of range"))
    } else {
        Err(format!(
            "{n} is out of range; write a number from 1 to {MAX_PER_SECOND}, e.g. 10"
        ))
    }
}
