//! `renewd check`: validate the config and show what the daemon would do with it.

use std::io::Write as _;
use std::path::Path;

use chrono::Utc;

use super::wiring::{load_config, read_ledger};
use crate::carriers::Carriers;
use crate::config::{Config, Line, TopUpChoice};
use crate::ledger::{CheckRecord, Ledger};
use crate::money::format_duration;
use crate::notify::compose::local_time;
use crate::policy::{FORECAST_READINGS, schedule_warning};
use crate::scheduler::next_due;

pub fn check(path: &Path) -> anyhow::Result<i32> {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e:#}");
            return Ok(1);
        }
    };
    // Built without creating the state directory: `check` never creates state, so a
    // person without write access to /var/lib/renewd can still check a config.
    let carriers = match crate::carriers::build(&config.carriers, &config.daemon.state_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {e:#}", path.display());
            return Ok(1);
        }
    };
    // Secrets are read now too, so a missing credential fails here (ExecStartPre), not later.
    if let Some(Err(e)) = config
        .email
        .as_ref()
        .and_then(|e| e.password.as_ref())
        .map(|p| p.resolve())
    {
        eprintln!("{}: email.password: {e}", path.display());
        return Ok(1);
    }
    let channel_problems = super::check_notify::secret_problems(&config, path);
    if !channel_problems.is_empty() {
        eprintln!("{}", channel_problems.join("\n"));
        return Ok(1);
    }
    for w in &config.warnings {
        println!("warning: {w}");
    }
    let ledger = existing_ledger(&config);
    let last_checks = ledger
        .as_ref()
        .and_then(|l| l.last_checks().ok())
        .unwrap_or_default();
    let last: std::collections::HashMap<&str, &CheckRecord> = last_checks
        .iter()
        .map(|c| (c.line_id.as_str(), c))
        .collect();
    println!(
        "{}: valid, {} line(s), time zone {}",
        path.display(),
        config.lines.len(),
        config.daemon.timezone
    );
    if config.lines.is_empty() {
        println!("no lines: add [[lines]] sections to have renewd check something");
    }
    // One write per 8 KiB, not per line: a fleet prints 100,000 of them.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in &config.lines {
        writeln!(
            out,
            "{}",
            describe(
                &config,
                &carriers,
                line,
                last.get(line.id.as_str()).copied()
            )
        )?;
        if let Some(w) = ledger
            .as_ref()
            .and_then(|l| sparse_warning(&config, l.as_ref(), line))
        {
            writeln!(out, "  WARNING   {w}")?;
        }
    }
    for text in super::check_notify::describe(&config) {
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    Ok(0)
}

/// The ledger, read-only, when one exists (check never creates or writes state).
fn existing_ledger(config: &Config) -> Option<std::sync::Arc<dyn Ledger>> {
    if !config.daemon.state_dir.join("ledger.sqlite3").exists() {
        return None;
    }
    read_ledger(config).ok()
}

/// Checks too far apart for the line's recent use (from the ledger's readings).
fn sparse_warning(config: &Config, ledger: &dyn Ledger, line: &Line) -> Option<String> {
    let history = ledger
        .recent_observations(&line.sim(), FORECAST_READINGS)
        .ok()?;
    schedule_warning(line, &history, Utc::now(), config.daemon.timezone)
}

fn describe(
    config: &Config,
    carriers: &Carriers,
    line: &Line,
    last: Option<&CheckRecord>,
) -> String {
    let tz = config.daemon.timezone;
    let kind = config
        .carriers
        .get(&line.carrier)
        .map(|c| c.type_name())
        .unwrap_or("?");
    let next = next_due(&line.schedule, last.map(|c| c.at), Utc::now(), tz);
    let mut out = format!(
        "\n{} ({})\n  carrier   {} ({kind}){}\n  check     {}; next {}\n  policy    {}",
        line.id,
        line.name,
        line.carrier,
        line.status_from
            .as_ref()
            .map(|s| format!(", status from {s}"))
            .unwrap_or_default(),
        line.schedule,
        next.map(|t| local_time(t, tz))
            .unwrap_or_else(|| "never (the cron pattern has no future time)".into()),
        policy_text(line)
    );
    if let Some(reason) = blind_expiry(carriers, line) {
        out.push_str(&format!("\n  WARNING   {reason}"));
    }
    out
}

/// A one-line summary of a line's triggers, purchase and cap.
pub fn policy_text(line: &Line) -> String {
    let p = &line.policy;
    let mut when = Vec::new();
    if let Some(b) = p.balance_below {
        when.push(format!("balance < {b}"));
    }
    if let Some(d) = p.data_below {
        when.push(format!("data < {d}"));
    }
    if let Some(e) = p.expires_within {
        when.push(format!("expires within {}", format_duration(e)));
    }
    if let Some(r) = p.runs_out_within {
        when.push(format!("runs out within {}", format_duration(r)));
    }
    let buy = match &p.topup {
        TopUpChoice::Amount(m) => m.to_string(),
        TopUpChoice::Package { id, .. } => format!("package {id}"),
        TopUpChoice::Cheapest { min_data } => format!("cheapest package with >= {min_data}"),
    };
    let cap = p
        .monthly_cap
        .map(|c| format!(", cap {c}/month"))
        .unwrap_or_default();
    let plan = p
        .plan_days
        .map(|d| format!(", plan {d} days"))
        .unwrap_or_default();
    format!("when {}: buy {buy}{cap}{plan}", when.join(" or "))
}

/// Why a line that renews by date cannot know its plan's end, if it cannot.
fn blind_expiry(carriers: &Carriers, line: &Line) -> Option<String> {
    line.policy.expires_within?;
    let reports = carriers.get(line.status_carrier())?.reports();
    let known = reports.expiry || line.renews_on.is_some() || line.policy.plan_days.is_some();
    (!known).then(|| "its carrier cannot report expiry and neither renews_on nor plan_days is set: renewd buys nothing for it".into())
}
