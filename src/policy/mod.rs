//! Pure decisions: does this line need a top-up now, and does it fit under the caps?
//!
//! No I/O and no clock: everything, `now` included, comes in as an argument.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::carriers::Reports;

mod caps;
pub mod digest;
mod expiry;
mod forecast;

use crate::config::Line;
use crate::model::{LineState, Observation, TopUp};
use crate::money::format_duration;
pub use caps::{CapHit, check_caps, month_of};
pub use expiry::expiry;
pub use forecast::{
    Confidence, FORECAST_READINGS, Figure, Forecast, MIN_READINGS, MIN_SPAN, WINDOW, estimate,
    forecast, schedule_warning, sparse_schedule, trigger_margin, widest_gap,
};

/// What the policy sees of a line at one check.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// This check's reading; `None` when the line's carrier has no status to read.
    pub observation: Option<&'a Observation>,
    /// Recent readings, oldest first, for the `runs_out_within` forecast.
    pub history: &'a [Observation],
    pub reports: Reports,
    /// A top-up still planned, submitting or unknown.
    pub open: Option<&'a TopUp>,
    pub last_confirmed: Option<&'a TopUp>,
    /// The line's most recent failed top-up, for the pause before trying again.
    pub last_failed: Option<&'a TopUp>,
    /// How long after a confirmed top-up a reading that does not show it is ignored.
    pub settle: Duration,
}

/// What to do with the line now.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// No threshold crossed.
    Hold { reason: String },
    /// Buy: `trigger` says what crossed, e.g. "data 312 MB < 500 MB".
    TopUp { trigger: String },
    /// Do nothing until something settles (an open top-up, a fresh purchase).
    Wait { reason: String },
    /// A threshold may be crossed but nothing the carrier reports can tell: a person is warned.
    CannotAct { reason: String },
    /// The SIM can never be topped up again.
    Dead { reason: String },
    /// A threshold is crossed, but top-up `top_up` (confirmed) did not move what the
    /// trigger reads: buying again would not help. The line waits; a person is warned once.
    Stuck { top_up: i64, reason: String },
}

/// Decides whether `line` needs a top-up now.
pub fn decide(line: &Line, f: &Facts) -> Decision {
    if let Some(d) = open_or_dead(f) {
        return d;
    }
    if let Some(reason) = settling(f).or_else(|| pausing(f)) {
        return Decision::Wait { reason };
    }
    let (crossed, blind) = triggers(line, f);
    if let Some(stuck) = stuck(f, &crossed) {
        return stuck;
    }
    let crossed: Vec<String> = crossed.into_iter().map(|c| c.text).collect();
    match (crossed.is_empty(), blind.is_empty()) {
        (false, _) => Decision::TopUp {
            trigger: crossed.join("; "),
        },
        (true, true) => Decision::Hold {
            reason: "no threshold crossed".into(),
        },
        (true, false) if blind.len() == configured_triggers(line) => Decision::CannotAct {
            reason: blind.join("; "),
        },
        (true, false) => Decision::Hold {
            reason: format!("no threshold crossed ({})", blind.join("; ")),
        },
    }
}

/// A person asked to buy now (`renewd topup`): buys unless a top-up is still open or the
/// SIM is dead. Thresholds, settle and retry pauses are the person's call; caps still hold.
pub fn decide_now(f: &Facts) -> Decision {
    if let Some(d) = open_or_dead(f) {
        return d;
    }
    Decision::TopUp {
        trigger: "requested by a person (renewd topup)".into(),
    }
}

/// What stops any purchase, scheduled or asked for: a top-up still open, a dead SIM.
fn open_or_dead(f: &Facts) -> Option<Decision> {
    if let Some(open) = f.open {
        return Some(Decision::Wait {
            reason: format!(
                "top-up #{} is {}; it is settled before anything else is bought",
                open.id, open.state
            ),
        });
    }
    if let Some(obs) = f.observation.filter(|o| o.state == LineState::Dead) {
        return Some(Decision::Dead {
            reason: obs
                .note
                .clone()
                .unwrap_or_else(|| "the carrier reports the SIM as gone".into()),
        });
    }
    None
}

/// Why the last confirmed top-up still blocks buying, if it does.
fn settling(f: &Facts) -> Option<String> {
    let last = f.last_confirmed?;
    let settled_at = last.settled_at.unwrap_or(last.created_at);
    let settle = chrono::Duration::from_std(f.settle).unwrap_or_default();
    if settled_at
        .checked_add_signed(settle)
        .is_none_or(|end| f.now >= end)
    {
        return None;
    }
    // This check's reading is taken after the confirmation in real time even when the
    // wall clock went back since (settled_at in the future): it counts as fresh.
    let fresh = f
        .observation
        .filter(|o| o.at > settled_at || settled_at > f.now);
    let nothing_to_show =
        last.before.is_none() && (f.reports.balance || f.reports.data || f.reports.expiry);
    if fresh.is_some_and(|o| nothing_to_show || shows_top_up(o, last.before.as_ref())) {
        return None;
    }
    Some(format!(
        "top-up #{} confirmed at {}; waiting up to {} for the carrier to report it",
        last.id,
        settled_at.format("%H:%M:%S UTC"),
        format_duration(f.settle)
    ))
}

/// A crossed threshold, and whether it was read from the carrier (balance, data, reported
/// expiry, forecast, expired state) rather than derived from dates.
struct Crossed {
    text: String,
    read: bool,
}

/// `Stuck` when a threshold read from the carrier is crossed, yet no reading has shown the
/// last confirmed top-up since it was bought (`shown_at`): the same crossing again.
/// Date-derived triggers move with each confirmed top-up (`plan_days`), so never stick.
fn stuck(f: &Facts, crossed: &[Crossed]) -> Option<Decision> {
    let last = f.last_confirmed?;
    if last.shown_at.is_some() || last.before.is_none() || f.observation.is_none() {
        return None;
    }
    let read: Vec<&str> = crossed
        .iter()
        .filter(|c| c.read)
        .map(|c| c.text.as_str())
        .collect();
    (!read.is_empty()).then(|| Decision::Stuck {
        top_up: last.id,
        reason: format!(
            "{}, but top-up #{} ({}) confirmed at {} has not shown in any reading since; \
             not buying again for the same crossing",
            read.join("; "),
            last.id,
            last.amount,
            last.settled_at
                .unwrap_or(last.created_at)
                .format("%Y-%m-%d %H:%M UTC"),
        ),
    })
}

/// After a failed top-up, the line waits `RETRY_PAUSE` before buying again.
pub const RETRY_PAUSE: Duration = Duration::from_secs(15 * 60);

fn pausing(f: &Facts) -> Option<String> {
    let failed = f.last_failed?;
    let at = failed.settled_at.unwrap_or(failed.created_at);
    let newer_success = f
        .last_confirmed
        .is_some_and(|c| c.created_at > failed.created_at);
    let pause = chrono::Duration::from_std(RETRY_PAUSE).unwrap_or_default();
    let until = at.checked_add_signed(pause).unwrap_or(at);
    // A failure stamped in the future means the wall clock went back: the pause (which
    // only spares the provider, a failed top-up moved no money) is over, not stretched.
    let clock_went_back = at > f.now;
    (!newer_success && !clock_went_back && f.now < until).then(|| {
        format!(
            "top-up #{} failed; trying again after {}",
            failed.id,
            until.format("%H:%M:%S UTC")
        )
    })
}

/// A reading shows a top-up when a reported figure rose above the before-snapshot.
/// Carriers that report nothing cannot show it: then only the settle time re-arms.
pub fn shows_top_up(obs: &Observation, before: Option<&Observation>) -> bool {
    let Some(b) = before else {
        return false;
    };
    let rose =
        |now: Option<i64>, then: Option<i64>| matches!((now, then), (Some(n), Some(t)) if n > t);
    rose(obs.balance.map(|m| m.minor), b.balance.map(|m| m.minor))
        || rose(obs.data.map(|d| d.kb), b.data.map(|d| d.kb))
        || rose(
            obs.expires_at.map(|t| t.timestamp()),
            b.expires_at.map(|t| t.timestamp()),
        )
}

fn configured_triggers(line: &Line) -> usize {
    let p = &line.policy;
    [
        p.balance_below.is_some(),
        p.data_below.is_some(),
        p.expires_within.is_some(),
        p.runs_out_within.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count()
}

/// The triggers that crossed, and those that cannot be evaluated (with why).
fn triggers(line: &Line, f: &Facts) -> (Vec<Crossed>, Vec<String>) {
    let p = &line.policy;
    let obs = f.observation;
    let (mut crossed, mut blind) = (Vec::new(), Vec::new());
    let mut cross = |text: String, read: bool| crossed.push(Crossed { text, read });
    if let Some(limit) = p.balance_below {
        match obs.and_then(|o| o.balance) {
            Some(b) if b < limit => cross(format!("balance {b} < {limit}"), true),
            Some(_) => {}
            None => blind.push("the carrier reports no balance for balance_below".to_string()),
        }
    }
    if let Some(limit) = p.data_below {
        match obs.filter(|o| !o.unlimited).and_then(|o| o.data) {
            Some(d) if d < limit => cross(format!("data {d} < {limit}"), true),
            Some(_) => {}
            None if obs.is_some_and(|o| o.unlimited) => {}
            None => blind.push("the carrier reports no data for data_below".to_string()),
        }
    }
    if let Some(within) = p.expires_within {
        match expiry(line, f) {
            Some((end, how)) if f.now.checked_add_signed(chrono::Duration::from_std(within).unwrap_or_default()).is_none_or(|limit| end <= limit) => {
                cross(format!("{how} {} is within {}", end.format("%Y-%m-%d %H:%M UTC"), format_duration(within)), f.reports.expiry)
            }
            Some(_) => {}
            None => blind.push("expiry is unknown: the carrier does not report it and neither renews_on nor plan_days with a confirmed top-up gives it".to_string()),
        }
    }
    // Below the minimum history (MIN_READINGS over MIN_SPAN) the forecast buys nothing.
    let sure = estimate(f.history, obs, f.now).filter(Forecast::enough_for_purchase);
    let left = p.runs_out_within.zip(sure.map(|s| s.left));
    if let Some((within, left)) = left.filter(|(within, left)| left <= within) {
        let text = format!(
            "forecast runs out in {} (within {})",
            format_duration(left),
            format_duration(within)
        );
        cross(text, true);
    }
    if obs.is_some_and(|o| o.state == LineState::Expired)
        && crossed.is_empty()
        && p.expires_within.is_some()
    {
        crossed.push(Crossed {
            text: "the plan has expired".to_string(),
            read: true,
        });
    }
    (crossed, blind)
}

#[cfg(test)]
mod tests;
