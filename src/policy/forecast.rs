//! The burn-rate forecast: how fast a line uses data (or balance) and when it runs out.
//!
//! Pure: takes readings and `now`. Theil–Sen (the median of pairwise slopes) over the
//! readings of the last `WINDOW`, with pairs taken only inside one stretch between rises.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Line;
use crate::model::Observation;

/// Readings older than this are not used: the rate follows recent use.
pub const WINDOW: chrono::Duration = chrono::Duration::days(14);
/// How many recent readings callers hand the forecast (cached repeats collapse to one).
pub const FORECAST_READINGS: usize = 300;
/// Past this many distinct readings every k-th is kept, so the pairs stay ~5,000.
const MAX_POINTS: usize = 100;
/// A `runs_out_within` purchase needs at least this many distinct readings...
pub const MIN_READINGS: usize = 3;
/// ...spanning at least this long.
pub const MIN_SPAN: Duration = Duration::from_secs(6 * 3600);

/// How sure the forecast is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// A burn rate and what it means for the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Time from `now` until the figure reaches zero at `per_day`.
    pub left: Duration,
    /// Use per day, in the figure's unit (KB of data, or minor units of balance).
    pub per_day: f64,
    pub confidence: Confidence,
    /// Distinct readings that gave a slope.
    pub readings: usize,
    /// Time covered by those readings (stretches between rises, added up).
    pub span: Duration,
    /// Whether the figure is data (KB) or balance (minor units).
    pub figure: Figure,
}

/// What the forecast measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Data,
    Balance,
}

impl Forecast {
    /// Whether the history is long enough to spend money on (`MIN_READINGS`, `MIN_SPAN`).
    pub fn enough_for_purchase(&self) -> bool {
        self.readings >= MIN_READINGS && self.span >= MIN_SPAN
    }

    /// How long `amount` (in the figure's unit) lasts at this rate.
    pub fn lasts(&self, amount: i64) -> Duration {
        secs(amount.max(0) as f64 / (self.per_day / 86_400.0))
    }
}

type Point = (DateTime<Utc>, i64);

/// A reading's figure of the kind asked for.
fn value(o: &Observation, figure: Figure) -> Option<i64> {
    match figure {
        Figure::Data => o.data.map(|d| d.kb),
        Figure::Balance => o.balance.map(|b| b.minor),
    }
}

/// Stretches of falling readings, split at each rise (a top-up or a plan reset).
/// A repeated value keeps only its first reading: a carrier's cached figure is not "no use".
fn stretches(
    history: &[Observation],
    current: Option<&Observation>,
    now: DateTime<Utc>,
    figure: Figure,
) -> Vec<Vec<Point>> {
    let mut out: Vec<Vec<Point>> = vec![Vec::new()];
    let mut last: Option<Point> = None;
    for o in history.iter().chain(current) {
        let Some(v) = value(o, figure) else { continue };
        let too_old = now.checked_sub_signed(WINDOW).is_some_and(|w| o.at < w);
        if too_old || o.at > now || last.is_some_and(|(t, _)| o.at <= t) {
            continue;
        }
        match last {
            Some((_, lv)) if v == lv => continue,
            Some((_, lv)) if v > lv => out.push(Vec::new()),
            _ => {}
        }
        out.last_mut().expect("never empty").push((o.at, v));
        last = Some((o.at, v));
    }
    thin(out)
}

/// Keeps every k-th reading of each stretch (and its last) when there are too many.
fn thin(stretches: Vec<Vec<Point>>) -> Vec<Vec<Point>> {
    let total: usize = stretches.iter().map(Vec::len).sum();
    let k = total.div_ceil(MAX_POINTS).max(1);
    if k == 1 {
        return stretches;
    }
    let keep = |s: Vec<Point>| -> Vec<Point> {
        let last = s.len() - 1;
        s.into_iter()
            .enumerate()
            .filter(|(i, _)| (last - i).is_multiple_of(k))
            .map(|(_, p)| p)
            .collect()
    };
    stretches
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(keep)
        .collect()
}

/// Use per second between every pair of readings inside one stretch.
fn slopes(stretches: &[Vec<Point>]) -> Vec<f64> {
    let mut out = Vec::new();
    for s in stretches {
        for (i, (ti, vi)) in s.iter().enumerate() {
            for (tj, vj) in &s[i + 1..] {
                let dt = (*tj - *ti).num_milliseconds() as f64 / 1000.0;
                out.push((*vi as f64 - *vj as f64) / dt); // f64: no i64 overflow
            }
        }
    }
    out.sort_by(|a, b| a.total_cmp(b));
    out
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn secs(s: f64) -> Duration {
    Duration::from_secs(s.clamp(0.0, 1e12).round() as u64)
}

/// The forecast from readings (oldest first) and this check's reading: of the data when
/// it falls, else of the balance (a phone line reports a data figure it never uses);
/// `None` without a falling stretch to measure.
pub fn estimate(
    history: &[Observation],
    current: Option<&Observation>,
    now: DateTime<Utc>,
) -> Option<Forecast> {
    estimate_of(history, current, now, Figure::Data)
        .or_else(|| estimate_of(history, current, now, Figure::Balance))
}

fn estimate_of(
    history: &[Observation],
    current: Option<&Observation>,
    now: DateTime<Utc>,
    figure: Figure,
) -> Option<Forecast> {
    let stretches = stretches(history, current, now, figure);
    let &(t_last, v_last) = stretches.last()?.last()?;
    let used: Vec<&Vec<Point>> = stretches.iter().filter(|s| s.len() >= 2).collect();
    let sorted = slopes(&stretches);
    if sorted.is_empty() {
        return None;
    }
    let rate = quantile(&sorted, 0.5);
    let readings: usize = used.iter().map(|s| s.len()).sum();
    let span_s: i64 = used
        .iter()
        .map(|s| (s[s.len() - 1].0 - s[0].0).num_seconds())
        .sum();
    let span = Duration::from_secs(span_s.max(0) as u64);
    let spread = (quantile(&sorted, 0.75) - quantile(&sorted, 0.25)) / rate;
    let since = (now - t_last).num_milliseconds().max(0) as f64 / 1000.0;
    Some(Forecast {
        left: secs(v_last.max(0) as f64 / rate - since),
        per_day: rate * 86_400.0,
        confidence: confidence(readings, span, spread),
        readings,
        span,
        figure,
    })
}

/// High with a week of steady readings; low below the purchase minimum or when slopes
/// disagree by more than the rate itself.
fn confidence(readings: usize, span: Duration, spread: f64) -> Confidence {
    if readings < MIN_READINGS || span < MIN_SPAN || spread > 1.0 {
        return Confidence::Low;
    }
    let days = span.as_secs_f64() / 86_400.0;
    if readings >= 6 && days >= 3.0 && spread <= 0.5 {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

/// Time until data (or, without data, balance) runs out at the recent rate of use.
pub fn forecast(
    history: &[Observation],
    current: Option<&Observation>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    estimate(history, current, now).map(|f| f.left)
}

/// A warning when checks are too far apart for the burn rate: the line could cross its
/// warning margin and run dry between two checks. `margin` is how long the line's trigger
/// leaves before empty (`runs_out_within`, or a threshold divided by the rate).
pub fn sparse_schedule(f: &Forecast, interval: Duration, margin: Duration) -> Option<String> {
    if interval <= margin || f.confidence == Confidence::Low {
        return None;
    }
    Some(format!(
        "checks {} apart, but at recent use ({}) the line goes from its trigger to empty in {}: check more often",
        crate::money::format_duration(interval),
        confidence_note(f),
        crate::money::format_duration(margin)
    ))
}

/// How long before empty the line's triggers fire at this rate: the widest of
/// `runs_out_within` and the threshold on the forecast's figure; `None` without either.
pub fn trigger_margin(line: &Line, f: &Forecast) -> Option<Duration> {
    let p = &line.policy;
    let threshold = match f.figure {
        Figure::Data => p.data_below.map(|d| d.kb),
        Figure::Balance => p.balance_below.map(|b| b.minor),
    };
    [p.runs_out_within, threshold.map(|t| f.lasts(t))]
        .into_iter()
        .flatten()
        .max()
}

/// The widest gap between two of the line's next checks (up to 64 of them).
pub fn widest_gap(line: &Line, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<Duration> {
    let mut at = line.schedule.next_after(now, tz)?;
    let mut widest = Duration::ZERO;
    for _ in 0..64 {
        let Some(next) = line.schedule.next_after(at, tz) else {
            break;
        };
        widest = widest.max((next - at).to_std().unwrap_or_default());
        at = next;
    }
    Some(widest)
}

/// `sparse_schedule` for a line, its readings and its schedule.
pub fn schedule_warning(
    line: &Line,
    history: &[Observation],
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Option<String> {
    let f = estimate(history, None, now)?;
    sparse_schedule(&f, widest_gap(line, now, tz)?, trigger_margin(line, &f)?)
}

fn confidence_note(f: &Forecast) -> String {
    format!("{} confidence, {} readings", f.confidence, f.readings)
}

#[cfg(test)]
#[path = "forecast_tests.rs"]
mod tests;
