//! One line's entry in `status`: its figures, trend, forecast, plan end, spend and what
//! needs a person, as a table row and as JSON.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::history_row;
use super::table::Row;
use super::{Shared, pick, spark};
use crate::config::{Config, Line, TopUpChoice};
use crate::i18n::Lang;
use crate::ledger::Ledger;
use crate::model::{LineState, Observation, TopUp, TopUpState};
use crate::money::{Money, format_duration};
use crate::notify::doc::{Text, Val};
use crate::policy::{Confidence, estimate, schedule_warning};
use crate::scheduler::next_due;

/// How far back the trend looks, and how many bars it has.
const TREND_SPAN: chrono::Duration = chrono::Duration::days(30);
const TREND_BARS: usize = 16;

pub struct Gathered {
    pub row: Row,
    pub json: Value,
}

pub fn gather(
    config: &Config,
    ledger: &dyn Ledger,
    line: &Line,
    shared: &Shared,
) -> anyhow::Result<Gathered> {
    let (now, tz) = (shared.now, config.daemon.timezone);
    let sim = line.sim();
    let history = ledger.recent_observations(&sim, 2000)?;
    let last = history.last();
    let check = shared.checks.get(&line.id);
    let open: Vec<&TopUp> = shared.open_by_sim.get(&sim).cloned().unwrap_or_default();
    // A SIM the fleet index does not list is not paused, spent nothing this month and has
    // no confirmed top-up: no need to ask the ledger (a fleet's status reads 1 query a line).
    let busy = shared
        .index
        .as_ref()
        .is_none_or(|i| i.attention.contains(&sim));
    let bought = shared
        .index
        .as_ref()
        .is_none_or(|i| i.confirmed.contains(&sim));
    let spend = if busy {
        ledger.month_spend(Some(&sim), &shared.month)?
    } else {
        Vec::new()
    };
    let spent = pick(spend, line.policy.monthly_cap);
    let forecast = estimate(&history, None, now);
    let left = forecast.as_ref().map(|f| f.left);
    let paused = if busy {
        ledger.paused_since(&sim)?
    } else {
        None
    };
    let confirmed = if bought {
        ledger.last_confirmed(&sim)?
    } else {
        None
    };
    let plan_ends = last.and_then(|o| o.expires_at).or_else(|| {
        let days = chrono::Duration::days(i64::from(line.policy.plan_days?));
        let from_topup = confirmed
            .as_ref()
            .map(|t| t.settled_at.unwrap_or(t.created_at) + days);
        let anchor = line.renews_on.and_then(|d| {
            let midnight = d.and_hms_opt(0, 0, 0)?;
            Some(
                tz.from_local_datetime(&midnight)
                    .earliest()?
                    .with_timezone(&Utc),
            )
        });
        from_topup.max(anchor)
    });
    let next = next_due(&line.schedule, check.map(|c| c.at), now, tz);
    let lang = config.daemon.language;
    let mut attention: Vec<Text> = Vec::new();
    if paused.is_some() {
        attention.push(Text::id("status-paused"));
    }
    if let Some(err) = check.and_then(|c| c.error.as_ref()) {
        let since = check
            .and_then(|c| c.failing_since)
            .map_or(Val::from("-"), |t| Val::Time(t, tz));
        attention.push(Text::Msg(
            "status-check-failing",
            vec![("since", since), ("error", clip(err).into())],
        ));
    }
    for t in open.iter().filter(|t| t.state == TopUpState::Unknown) {
        attention.push(Text::Msg(
            "status-unknown-topup",
            vec![("id", t.id.to_string().into())],
        ));
    }
    if last.is_some_and(|o| o.state == LineState::Dead) {
        attention.push(Text::id("status-dead"));
    }
    attention.extend(caps_reached(config, line, spent, shared.global));
    if let Some(w) = schedule_warning(line, &history, now, tz) {
        attention.push(Text::raw(w));
    }
    let words = |l: Lang| attention.iter().map(|a| a.render(l)).collect::<Vec<_>>();
    let row = Row {
        id: line.id.clone(),
        now: last.map_or_else(|| crate::i18n::t0(lang, "status-never-read"), figures),
        spark: spark::sparkline(&trend(line, &history), now, TREND_SPAN, TREND_BARS),
        runs_out: forecast.as_ref().map_or("-".into(), |f| {
            let confidence = crate::i18n::t0(lang, confidence_id(f.confidence));
            let left = match lang {
                Lang::En => format_duration(f.left),
                _ => crate::i18n::duration(lang, f.left),
            };
            match f.left.as_secs() {
                0 => crate::i18n::t(lang, "status-empty", &[("confidence", confidence.into())]),
                _ => format!("{left} ({confidence})"),
            }
        }),
        plan_ends: plan_ends.map_or("-".into(), |t| short_time(t, tz)),
        next_check: if paused.is_some() {
            crate::i18n::t0(lang, "status-paused")
        } else {
            next.map_or("-".into(), |t| short_time(t, tz))
        },
        month: month_words(spent, line.policy.monthly_cap),
        attention: words(lang),
    };
    let json = json!({
        "id": line.id, "name": line.name, "carrier": line.carrier, "sim": sim,
        "paused_since": paused,
        "observation": last,
        "last_check": check.map(|c| json!({"at": c.at, "error": c.error, "failing_since": c.failing_since})),
        "next_check": next,
        "open_topups": open.iter().map(|t| history_row(t)).collect::<Vec<_>>(),
        "month_spend": { "spent": spent.map(|m| m.to_string()), "cap": line.policy.monthly_cap.map(|m| m.to_string()) },
        "forecast_seconds_left": left.map(|d| d.as_secs()),
        "forecast_days_left": left.map(|d| (d.as_secs_f64() / 86_400.0 * 10.0).round() / 10.0),
        "forecast_confidence": forecast.as_ref().map(|f| f.confidence.to_string()),
        "plan_ends": plan_ends,
        "trend": row.spark,
        "needs_attention": words(Lang::En),
    });
    Ok(Gathered { row, json })
}

/// The next purchase would pass a cap (or it is spent already).
fn caps_reached(
    config: &Config,
    line: &Line,
    spent: Option<Money>,
    global: Option<Money>,
) -> Vec<Text> {
    let next = match &line.policy.topup {
        TopUpChoice::Amount(m) | TopUpChoice::Package { price: Some(m), .. } => m.minor,
        _ => 0,
    };
    let full = |spent: Option<Money>, cap: Option<Money>| match (spent, cap) {
        (Some(s), Some(c)) => s.minor.saturating_add(next) > c.minor || s.minor >= c.minor,
        _ => false,
    };
    let mut out = Vec::new();
    if full(spent, line.policy.monthly_cap) {
        out.push(Text::id("status-line-cap"));
    }
    if full(global, config.monthly_cap) {
        out.push(Text::id("status-global-cap"));
    }
    out
}

/// The values the trend draws: the figure the policy watches (data for `data_below`,
/// balance for `balance_below`), else data when reported, else balance.
fn trend(line: &Line, history: &[Observation]) -> Vec<(DateTime<Utc>, i64)> {
    let data = |o: &Observation| o.data.map(|d| d.kb);
    let balance = |o: &Observation| o.balance.map(|b| b.minor);
    let watch_balance = line.policy.balance_below.is_some() && line.policy.data_below.is_none();
    history
        .iter()
        .filter_map(|o| {
            let v = if watch_balance {
                balance(o).or(data(o))
            } else {
                data(o).or(balance(o))
            };
            Some((o.at, v?))
        })
        .collect()
}

/// "4.20 USD · 312 MB".
fn figures(o: &Observation) -> String {
    let mut parts = Vec::new();
    if let Some(b) = o.balance {
        parts.push(b.to_string());
    }
    if o.unlimited {
        parts.push("unlimited".to_string());
    } else if let Some(d) = o.data {
        parts.push(d.to_string());
    }
    if parts.is_empty() {
        parts.push(o.state.as_str().to_string());
    }
    parts.join(" · ")
}

fn month_words(spent: Option<Money>, cap: Option<Money>) -> String {
    match (spent, cap) {
        (Some(s), Some(c)) => format!("{} / {c}", s.major_string()),
        (Some(s), None) => s.to_string(),
        (None, Some(c)) => format!("0 / {c}"),
        (None, None) => "-".into(),
    }
}

/// "12-04 10:00" in the daemon's zone.
fn short_time(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%m-%d %H:%M").to_string()
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The catalogue id of a forecast's confidence word.
fn confidence_id(c: Confidence) -> &'static str {
    match c {
        Confidence::Low => "confidence-low",
        Confidence::Medium => "confidence-medium",
        Confidence::High => "confidence-high",
    }
}
