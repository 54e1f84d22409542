//! When a plan ends (reported, or derived from renews_on/plan_days); how fast data runs
//! out is `forecast.rs`.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::Facts;
use crate::config::Line;

/// The plan's end: reported by the carrier, or derived from `renews_on`/`plan_days`.
pub fn expiry(line: &Line, f: &Facts) -> Option<(DateTime<Utc>, &'static str)> {
    if f.reports.expiry {
        return f
            .observation
            .and_then(|o| o.expires_at)
            .map(|t| (t, "expiry"));
    }
    let days = line
        .policy
        .plan_days
        .map(|d| chrono::Duration::days(d as i64));
    let from_topup = f
        .last_confirmed
        .zip(days)
        .and_then(|(t, d)| t.settled_at.unwrap_or(t.created_at).checked_add_signed(d));
    let from_anchor = line
        .renews_on
        .map(|d| next_renewal(d, line.policy.plan_days, f.now, f.tz));
    from_topup.max(from_anchor).map(|t| (t, "plan end"))
}

/// The first renewal day on or after `now`: `anchor`, then every `plan_days` after it.
fn next_renewal(
    anchor: NaiveDate,
    plan_days: Option<u32>,
    now: DateTime<Utc>,
    tz: Tz,
) -> DateTime<Utc> {
    let at = |d: NaiveDate| local_midnight(d, tz);
    let mut day = anchor;
    if let Some(step) = plan_days.filter(|d| *d > 0) {
        while at(day) < now {
            match day.checked_add_signed(chrono::Duration::days(i64::from(step))) {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    at(day)
}

pub(super) fn local_midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| tz.from_utc_datetime(&naive))
        .with_timezone(&Utc)
}
