//! `renewd status`: whether the daemon runs, the fleet in one line, then per line what
//! renewd last saw, its trend, when it runs out or ends, the month's spend and what needs
//! a person. `--json` gives the same as one document.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::StatusArgs;
use super::history::json_row;
use super::history::json_row as history_row;
use super::wiring::{load_config, load_config_line, read_ledger};
use crate::config::{Config, Line};
use crate::i18n::t;
use crate::ledger::{CheckRecord, FleetIndex, Ledger, Month};
use crate::model::TopUp;
use crate::money::Money;
use crate::policy::month_of;

mod daemon;
mod fleet;
mod json;
mod line;
mod spark;
mod table;

pub fn status(path: &Path, args: &StatusArgs) -> anyhow::Result<i32> {
    let config = match &args.line {
        Some(id) => load_config_line(path, id)?,
        None => load_config(path)?,
    };
    if let Some(id) = args
        .line
        .as_ref()
        .filter(|id| !config.lines.iter().any(|l| &l.id == *id))
    {
        anyhow::bail!(
            "no line {id:?} in {}; `renewd check` lists the lines",
            path.display()
        );
    }
    let ledger = read_ledger(&config)?;
    let now = Utc::now();
    let month = month_of(now, config.daemon.timezone);
    // Read once for all lines, not once per line.
    let open = ledger.open_top_ups()?;
    let mut open_by_sim: HashMap<String, Vec<&TopUp>> = HashMap::new();
    for t in &open {
        open_by_sim.entry(t.sim.clone()).or_default().push(t);
    }
    let shared = Shared {
        checks: match &args.line {
            Some(id) => ledger.last_check(id)?.into_iter().collect::<Vec<_>>(),
            None => ledger.last_checks()?,
        }
        .into_iter()
        .map(|c| (c.line_id.clone(), c))
        .collect(),
        open: &open,
        open_by_sim,
        global: pick(ledger.month_spend(None, &month)?, config.monthly_cap),
        index: ledger.fleet_index(month.start)?,
        partial: args.line.is_some(),
        month,
        now,
    };
    let selected: Vec<&Line> = config
        .lines
        .iter()
        .filter(|l| {
            args.line.as_ref().is_none_or(|id| &l.id == id)
                && args.carrier.as_ref().is_none_or(|c| &l.carrier == c)
        })
        .collect();
    if args.json && !args.attention && args.limit.is_none() {
        return json::stream(&config, ledger.as_ref(), &shared, &selected).map(|()| 0);
    }
    // A fleet's table: a summary, then only the lines that may need a person.
    let fleet_view = !args.json && selected.len() > fleet::TABLE_ALL_UP_TO;
    let summary = fleet_view.then(|| fleet::summary(&config, &shared, &selected));
    let total = selected.len();
    let selected = if fleet_view {
        fleet::candidates(&shared, selected)
    } else {
        selected
    };
    // Lines that hold are dropped as they are read when only attention is shown.
    let only_attention = fleet_view || args.attention;
    let mut lines = Vec::new();
    for l in selected {
        let g = line::gather(&config, ledger.as_ref(), l, &shared)?;
        if !only_attention || !g.row.attention.is_empty() {
            lines.push(g);
        }
    }
    if let Some(limit) = args.limit {
        // Keep the lines that need a person; JSON is otherwise in config order.
        lines.sort_by_key(|l| l.row.attention.is_empty());
        lines.truncate(limit);
    }
    let doc = document(&config, ledger.as_ref(), &shared, &lines)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let mut header = header(&config, &doc, &lines, total);
        header.extend(summary);
        let rows: Vec<table::Row> = lines.into_iter().map(|l| l.row).collect();
        let lang = config.daemon.language;
        print!(
            "{}",
            table::render_in(lang, &header, &rows, table::use_color())
        );
        footer(&doc, lang);
    }
    Ok(0)
}

/// The JSON document (`status --json`) of the gathered `lines`.
fn document(
    config: &Config,
    ledger: &dyn Ledger,
    shared: &Shared<'_>,
    lines: &[line::Gathered],
) -> anyhow::Result<Value> {
    let outbox = ledger.outbox_counts()?;
    let paused = ledger.outbox_pause()?.map(
        |p| json!({"since": p.since, "reason": crate::notify::redact::redact_urls(&p.reason)}),
    );
    let dead: Vec<Value> = ledger
        .dead_messages()?
        .iter()
        .map(|m| json!({"id": m.id, "subject": m.draft.subject, "error": m.last_error}))
        .collect();
    // Open top-ups of SIMs no configured line has any more: still reconciled, shown here.
    let sims: HashSet<String> = config.lines.iter().map(Line::sim).collect();
    let orphans: Vec<Value> = shared
        .open
        .iter()
        .filter(|t| !shared.partial && !sims.contains(&t.sim))
        .map(json_row)
        .collect();
    let running = daemon::running(&config.daemon.state_dir);
    Ok(json!({
        "generated_at": shared.now, "timezone": config.daemon.timezone.name(),
        "daemon": running.map(|(pid, since)| json!({"pid": pid, "since": since})),
        "month_spend": { "spent": shared.global.map(|m| m.to_string()), "cap": config.monthly_cap.map(|m| m.to_string()) },
        "outbox": { "queued": outbox.queued, "sent": outbox.sent, "dead": outbox.dead, "dead_messages": dead, "paused": paused },
        "needs_attention": lines.iter().filter(|l| !l.row.attention.is_empty()).count(),
        "lines": lines.iter().map(|l| l.json.clone()).collect::<Vec<_>>(),
        "unconfigured_open_topups": orphans,
        "channels": crate::cli::outbox_channels::status(ledger)?,
    }))
}

/// The lines above the table: is the daemon running, the fleet in one line.
fn header(config: &Config, doc: &Value, lines: &[line::Gathered], total: usize) -> Vec<String> {
    let (tz, lang) = (config.daemon.timezone, config.daemon.language);
    let running = match doc["daemon"].as_object() {
        Some(d) => {
            let since = d["since"]
                .as_str()
                .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                .map_or("?".into(), |t| crate::i18n::date_time(lang, t, tz));
            let pid = d["pid"].as_str().unwrap_or("?");
            t(
                lang,
                "status-running",
                &[("pid", pid.into()), ("since", since.into())],
            )
        }
        None => crate::i18n::t0(lang, "status-not-running"),
    };
    let attention = lines.iter().filter(|l| !l.row.attention.is_empty()).count();
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let fleet = t(
        lang,
        "status-fleet",
        &[
            ("lines", total.to_string().into()),
            ("attention", attention.to_string().into()),
            ("spent", s(&doc["month_spend"]["spent"]).into()),
            ("cap", s(&doc["month_spend"]["cap"]).into()),
        ],
    );
    vec![running, fleet]
}

/// Below the table: top-ups of lines no longer configured, and the outbox.
fn footer(doc: &Value, lang: crate::i18n::Lang) {
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| "-".into());
    for open in doc["unconfigured_open_topups"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let amount = format!("{} {}", s(&open["amount"]), s(&open["currency"]));
        let args = [
            ("id", open["id"].to_string().into()),
            ("state", s(&open["state"]).into()),
            ("amount", amount.into()),
            ("line", s(&open["line"]).into()),
        ];
        println!("{}", t(lang, "status-unconfigured-open", &args));
    }
    let n = |v: &Value| std::borrow::Cow::Owned(v.to_string());
    let counts = |name: &str, c: &Value| {
        t(
            lang,
            "status-queue",
            &[
                ("name", name.to_string().into()),
                ("queued", n(&c["queued"])),
                ("sent", n(&c["sent"])),
                ("dead", n(&c["dead"])),
            ],
        )
    };
    println!("{}", counts("outbox", &doc["outbox"]));
    if let Some(p) = doc["outbox"]["paused"].as_object() {
        let args = [
            ("since", s(&p["since"]).into()),
            ("reason", s(&p["reason"]).into()),
        ];
        println!("{}", t(lang, "status-email-paused", &args));
        println!("  {}", crate::i18n::t0(lang, "status-email-fix"));
    }
    for c in doc["channels"].as_array().into_iter().flatten() {
        let name = s(&c["channel"]);
        println!("{}", counts(&name, c));
        if let Some(p) = c["paused"].as_object() {
            let args = [
                ("name", name.to_uppercase().into()),
                ("since", s(&p["since"]).into()),
                ("reason", s(&p["reason"]).into()),
            ];
            println!("{}", t(lang, "status-channel-paused", &args));
            let fix = t(lang, "status-channel-fix", &[("name", name.clone().into())]);
            println!("  {fix}");
        }
    }
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

/// What every line's entry reads from the ledger, read once (and indexed: a fleet has
/// 100,000 lines to look up).
struct Shared<'a> {
    checks: HashMap<String, CheckRecord>,
    open: &'a [TopUp],
    open_by_sim: HashMap<String, Vec<&'a TopUp>>,
    /// Which SIMs need reading one by one (paused, spend, confirmed top-ups).
    index: Option<FleetIndex>,
    /// Only one line of the config was read (`status LINE`): other SIMs' open top-ups are
    /// not "no longer configured".
    partial: bool,
    global: Option<Money>,
    month: Month,
    now: DateTime<Utc>,
}
