//! `renewd status`: per line, what renewd last saw and will do next; spend vs caps.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::history::json_row;
use super::wiring::{load_config, read_ledger};
use crate::config::{Config, Line};
use crate::ledger::{CheckRecord, Ledger, Month};
use crate::model::Observation;
use crate::model::TopUp;
use crate::money::{Money, format_duration};
use crate::notify::compose::local_time;
use crate::policy::{forecast, month_of};
use crate::scheduler::next_due;

pub fn status(path: &Path, json: bool) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let ledger = read_ledger(&config)?;
    let now = Utc::now();
    let month = month_of(now, config.daemon.timezone);
    // Read once for all lines, not once per line.
    let shared = Shared {
        checks: ledger.last_checks()?,
        open: ledger.open_top_ups()?,
        month,
        now,
    };
    let lines = config
        .lines
        .iter()
        .map(|l| line_json(&config, ledger.as_ref(), l, &shared))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let global = pick(ledger.month_spend(None, &month)?, config.monthly_cap);
    let outbox = ledger.outbox_counts()?;
    let dead: Vec<Value> = ledger
        .dead_messages()?
        .iter()
        .map(|m| json!({"id": m.id, "subject": m.draft.subject, "error": m.last_error}))
        .collect();
    let doc = json!({
        "generated_at": now, "timezone": config.daemon.timezone.name(),
        "month_spend": { "spent": global.map(|m| m.to_string()), "cap": config.monthly_cap.map(|m| m.to_string()) },
        "outbox": { "queued": outbox.queued, "sent": outbox.sent, "dead": outbox.dead, "dead_messages": dead },
        "lines": lines,
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_text(&doc, &config);
    }
    Ok(0)
}

/// The spend in the cap's currency (or the first currency when there is no cap).
fn pick(spend: Vec<Money>, cap: Option<Money>) -> Option<Money> {
    match cap {
        Some(c) => Some(
            spend
                .into_iter()
                .find(|m| m.currency == c.currency)
                .unwrap_or(Money::new(0, c.currency)),
        ),
        None => spend.into_iter().next(),
    }
}

/// What every line's entry reads from the ledger, read once.
struct Shared {
    checks: Vec<CheckRecord>,
    open: Vec<TopUp>,
    month: Month,
    now: DateTime<Utc>,
}

fn line_json(
    config: &Config,
    ledger: &dyn Ledger,
    line: &Line,
    shared: &Shared,
) -> anyhow::Result<Value> {
    let now = shared.now;
    let history = ledger.recent_observations(&line.id, 50)?;
    let last = history.last();
    let check = shared.checks.iter().find(|c| c.line_id == line.id);
    let open: Vec<Value> = shared
        .open
        .iter()
        .filter(|t| t.line_id == line.id)
        .map(json_row)
        .collect();
    let spent = pick(
        ledger.month_spend(Some(&line.id), &shared.month)?,
        line.policy.monthly_cap,
    );
    let left = forecast(&history, None, now);
    Ok(json!({
        "id": line.id, "name": line.name, "carrier": line.carrier,
        "observation": last,
        "last_check": check.map(|c| json!({"at": c.at, "error": c.error, "failing_since": c.failing_since})),
        "next_check": next_due(&line.schedule, check.map(|c| c.at), now, config.daemon.timezone),
        "open_topups": open,
        "month_spend": { "spent": spent.map(|m| m.to_string()), "cap": line.policy.monthly_cap.map(|m| m.to_string()) },
        "forecast_seconds_left": left.map(|d| d.as_secs()),
        "forecast_days_left": left.map(|d| (d.as_secs_f64() / 86_400.0 * 10.0).round() / 10.0),
    }))
}

fn print_text(doc: &Value, config: &Config) {
    let tz = config.daemon.timezone;
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| "-".into());
    let time = |v: &Value| {
        v.as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .map(|t| local_time(t, tz))
            .unwrap_or_else(|| "-".into())
    };
    for l in doc["lines"].as_array().into_iter().flatten() {
        println!("{} ({})", s(&l["id"]), s(&l["name"]));
        match serde_json::from_value::<Observation>(l["observation"].clone()) {
            Err(_) => println!("  last seen   never"),
            Ok(o) => println!(
                "  last seen   {}  {}",
                local_time(o.at, tz),
                figures(&o, tz)
            ),
        }
        if let Some(err) = l["last_check"]["error"].as_str() {
            println!(
                "  last check  FAILED at {}: {err}",
                time(&l["last_check"]["at"])
            );
        }
        println!("  next check  {}", time(&l["next_check"]));
        for t in l["open_topups"].as_array().into_iter().flatten() {
            println!(
                "  OPEN top-up #{} {} {} {} (renewd resolve {} --paid|--failed)",
                t["id"],
                s(&t["state"]),
                s(&t["amount"]),
                s(&t["currency"]),
                t["id"]
            );
        }
        println!(
            "  this month  {} of cap {}",
            s(&l["month_spend"]["spent"]),
            s(&l["month_spend"]["cap"])
        );
        if let Some(secs) = l["forecast_seconds_left"].as_u64() {
            println!(
                "  forecast    runs out in {}",
                format_duration(std::time::Duration::from_secs(secs))
            );
        }
    }
    println!(
        "all lines this month: {} of cap {}",
        s(&doc["month_spend"]["spent"]),
        s(&doc["month_spend"]["cap"])
    );
    println!(
        "outbox: {} queued, {} sent, {} given up",
        doc["outbox"]["queued"], doc["outbox"]["sent"], doc["outbox"]["dead"]
    );
}

/// "balance 4.76 USD, data 312 MB, expires 2026-12-01 00:00 UTC, state active".
fn figures(o: &Observation, tz: chrono_tz::Tz) -> String {
    let mut parts = Vec::new();
    if let Some(b) = o.balance {
        parts.push(format!("balance {b}"));
    }
    if o.unlimited {
        parts.push("data unlimited".to_string());
    } else if let Some(d) = o.data {
        parts.push(format!("data {d}"));
    }
    if let Some(e) = o.expires_at {
        parts.push(format!("expires {}", local_time(e, tz)));
    }
    parts.push(format!("state {}", o.state.as_str()));
    parts.join(", ")
}
