//! `renewd history`: the top-up ledger as a table, JSON or CSV.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::HistoryArgs;
use super::wiring::{load_config, read_ledger};
use crate::model::TopUp;
use crate::notify::compose::local_time;

pub fn history(path: &Path, args: &HistoryArgs) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let tz = config.daemon.timezone;
    let since = args
        .since
        .as_deref()
        .map(|s| day_start(s, tz))
        .transpose()?;
    // A configured line's history follows its SIM (also rows bought under an older id).
    let line = args.line.as_deref().map(|id| {
        config
            .lines
            .iter()
            .find(|l| l.id == id)
            .map_or_else(|| id.to_string(), |l| l.sim())
    });
    let rows = read_ledger(&config)?.history(line.as_deref(), since)?;
    if args.json {
        let doc = serde_json::json!({ "topups": rows.iter().map(json_row).collect::<Vec<_>>() });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else if args.csv {
        print_csv(&rows);
    } else if rows.is_empty() {
        println!("no top-ups yet");
    } else {
        for t in &rows {
            let when = local_time(t.created_at, tz);
            println!(
                "#{:<5} {when}  {:<16} {:<10} {:>14}  {}",
                t.id, t.line_id, t.state, t.amount, t.trigger
            );
        }
    }
    Ok(0)
}

/// Midnight of `YYYY-MM-DD` in the daemon's zone, as UTC.
fn day_start(s: &str, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--since {s:?} is not a date; write e.g. 2026-11-01"))?;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    Ok(tz
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc()))
}

/// CSV with a header row; fields quoted where needed.
fn print_csv(rows: &[TopUp]) {
    println!(
        "id,line,carrier,state,amount,currency,package,trigger,created_at,settled_at,provider_ref,reference"
    );
    for t in rows {
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
}

/// The stable JSON shape of one top-up (documented in README.md).
pub fn json_row(t: &TopUp) -> serde_json::Value {
    serde_json::json!({
        "id": t.id, "line": t.line_id, "sim": t.sim, "carrier": t.carrier, "state": t.state,
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
