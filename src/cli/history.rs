//! `renewd history`: the top-up ledger as a table, JSON or CSV.

use std::path::Path;

use chrono::{NaiveDate, TimeZone};

use super::HistoryArgs;
use super::wiring::{load_config, open_ledger};
use crate::model::TopUp;
use crate::notify::compose::local_time;

pub fn history(path: &Path, args: &HistoryArgs) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let tz = config.daemon.timezone;
    let since = match &args.since {
        None => None,
        Some(s) => {
            let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                anyhow::anyhow!("--since {s:?} is not a date; write e.g. 2026-11-01")
            })?;
            let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
            Some(
                tz.from_local_datetime(&midnight)
                    .earliest()
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .unwrap_or_else(|| midnight.and_utc()),
            )
        }
    };
    let rows = open_ledger(&config)?.history(args.line.as_deref(), since)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "topups": rows.iter().map(json_row).collect::<Vec<_>>() })
            )?
        );
    } else if args.csv {
        println!(
            "id,line,carrier,state,amount,currency,package,trigger,created_at,settled_at,provider_ref,reference"
        );
        for t in &rows {
            let f = [
                t.id.to_string(),
                t.line_id.clone(),
                t.carrier.clone(),
                t.state.to_string(),
                t.amount.major_string(),
                t.amount.currency.to_string(),
                t.package.clone().unwrap_or_default(),
                t.trigger.clone(),
                t.created_at.to_rfc3339(),
                t.settled_at.map(|s| s.to_rfc3339()).unwrap_or_default(),
                t.provider_ref.clone().unwrap_or_default(),
                t.reference.clone(),
            ];
            println!("{}", f.iter().map(|v| csv(v)).collect::<Vec<_>>().join(","));
        }
    } else if rows.is_empty() {
        println!("no top-ups yet");
    } else {
        for t in &rows {
            println!(
                "#{:<5} {}  {:<16} {:<10} {:>14}  {}",
                t.id,
                local_time(t.created_at, tz),
                t.line_id,
                t.state,
                t.amount,
                t.trigger
            );
        }
    }
    Ok(0)
}

/// The stable JSON shape of one top-up (documented in README.md).
pub fn json_row(t: &TopUp) -> serde_json::Value {
    serde_json::json!({
        "id": t.id, "line": t.line_id, "carrier": t.carrier, "state": t.state,
        "amount": t.amount.major_string(), "currency": t.amount.currency, "amount_minor": t.amount.minor,
        "package": t.package, "trigger": t.trigger, "reference": t.reference, "provider_ref": t.provider_ref,
        "created_at": t.created_at, "sent_at": t.sent_at, "settled_at": t.settled_at, "detail": t.detail,
    })
}

fn csv(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}
