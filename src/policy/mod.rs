//! Pure decisions: does this line need a top-up now, and does it fit under the caps?
//!
//! No I/O and no clock: everything, `now` included, comes in as an argument.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::carriers::Reports;

mod caps;
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
}

/// Decides whether `line` needs a top-up now.
pub fn decide(line: &Line, f: &Facts) -> Decision {
    if let Some(open) = f.open {
        return Decision::Wait {
            reason: format!(
                "top-up #{} is {}; it is settled before anything else is bought",
                open.id, open.state
            ),
        };
    }
    if let Some(obs) = f.observation.filter(|o| o.state == LineState::Dead) {
        return Decision::Dead {
            reason: obs
                .note
                .clone()
                .unwrap_or_else(|| "the carrier reports the SIM as gone".into()),
        };
    }
    if let Some(reason) = settling(f).or_else(|| pausing(f)) {
        return Decision::Wait { reason };
    }
    let (crossed, blind) = triggers(line, f);
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

/// Why the last confirmed top-up still blocks buying, if it does.
fn settling(f: &Facts) -> Option<String> {
    let last = f.last_confirmed?;
    let settled_at = last.settled_at.unwrap_or(last.created_at);
    let settle = chrono::Duration::from_std(f.settle).unwrap_or_default();
    if f.now >= settled_at + settle {
        return None;
    }
    let fresh = f.observation.filter(|o| o.at > settled_at);
    if fresh.is_some_and(|o| shows_top_up(o, last.before.as_ref(), f.reports)) {
        return None;
    }
    Some(format!(
        "top-up #{} confirmed at {}; waiting up to {} for the carrier to report it",
        last.id,
        settled_at.format("%H:%M:%S UTC"),
        format_duration(f.settle)
    ))
}

/// After a failed top-up, the line waits `RETRY_PAUSE` before buying again.
pub const RETRY_PAUSE: Duration = Duration::from_secs(15 * 60);

fn pausing(f: &Facts) -> Option<String> {
    let failed = f.last_failed?;
    let at = failed.settled_at.unwrap_or(failed.created_at);
    let newer_success = f
        .last_confirmed
        .is_some_and(|c| c.created_at > failed.created_at);
    let until = at + chrono::Duration::from_std(RETRY_PAUSE).unwrap_or_default();
    (!newer_success && f.now < until).then(|| {
        format!(
            "top-up #{} failed; trying again after {}",
            failed.id,
            until.format("%H:%M:%S UTC")
        )
    })
}

/// A reading shows a top-up when a reported figure rose above the before-snapshot.
/// Carriers that report nothing cannot show it: then only the settle time re-arms.
fn shows_top_up(obs: &Observation, before: Option<&Observation>, r: Reports) -> bool {
    let Some(b) = before else {
        return r.balance || r.data || r.expiry;
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
fn triggers(line: &Line, f: &Facts) -> (Vec<String>, Vec<String>) {
    let p = &line.policy;
    let obs = f.observation;
    let (mut crossed, mut blind) = (Vec::new(), Vec::new());
    if let Some(limit) = p.balance_below {
        match obs.and_then(|o| o.balance) {
            Some(b) if b < limit => crossed.push(format!("balance {b} < {limit}")),
            Some(_) => {}
            None => blind.push("the carrier reports no balance for balance_below".to_string()),
        }
    }
    if let Some(limit) = p.data_below {
        match obs.filter(|o| !o.unlimited).and_then(|o| o.data) {
            Some(d) if d < limit => crossed.push(format!("data {d} < {limit}")),
            Some(_) => {}
            None if obs.is_some_and(|o| o.unlimited) => {}
            None => blind.push("the carrier reports no data for data_below".to_string()),
        }
    }
    if let Some(within) = p.expires_within {
        match expiry(line, f) {
            Some((end, how)) if end <= f.now + chrono::Duration::from_std(within).unwrap_or_default() => {
                crossed.push(format!("{how} {} is within {}", end.format("%Y-%m-%d %H:%M UTC"), format_duration(within)))
            }
            Some(_) => {}
            None => blind.push("expiry is unknown: the carrier does not report it and neither renews_on nor plan_days with a confirmed top-up gives it".to_string()),
        }
    }
    // Below the minimum history (MIN_READINGS over MIN_SPAN) the forecast buys nothing.
    let sure = estimate(f.history, obs, f.now).filter(Forecast::enough_for_purchase);
    let left = p.runs_out_within.zip(sure.map(|s| s.left));
    if let Some((within, left)) = left.filter(|(within, left)| left <= within) {
        crossed.push(format!(
            "forecast runs out in {} (within {})",
            format_duration(left),
            format_duration(within)
        ));
    }
    if obs.is_some_and(|o| o.state == LineState::Expired)
        && crossed.is_empty()
        && p.expires_within.is_some()
    {
        crossed.push("the plan has expired".to_string());
    }
    (crossed, blind)
}

#[cfg(test)]
mod tests;
