//! `history`'s flags read into a ledger query: days in `daemon.timezone`, the line's SIM,
//! and every mistake named by its flag with what to write instead.

use anyhow::{anyhow, bail};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::cli::{HistoryArgs, StateArg};
use crate::config::Config;
use crate::ledger::HistoryQuery;
use crate::model::TopUpState;

/// The query the flags ask for; an error names the flag and what to write.
pub fn build(config: &Config, args: &HistoryArgs) -> anyhow::Result<HistoryQuery> {
    let tz = config.daemon.timezone;
    let since = args
        .since
        .as_deref()
        .map(|s| day("--since", s))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| day("--until", s))
        .transpose()?;
    if let (Some(from), Some(to)) = (since, until)
        && to < from
    {
        bail!(
            "--until {to} is before --since {from}; write an --until on or after the --since \
             day (both days are included)"
        );
    }
    if args.limit == Some(0) {
        bail!(
            "--limit 0 would list nothing; write 1 or more, e.g. --limit 50 (without --limit every top-up is listed)"
        );
    }
    let until = until
        .map(|d| {
            d.succ_opt()
                .ok_or_else(|| anyhow!("--until {d} is too far ahead; write e.g. 2026-11-30"))
        })
        .transpose()?;
    Ok(HistoryQuery {
        line: args.line.as_deref().map(|id| sim_of(config, id)),
        since: since.map(|d| day_start(d, tz)),
        until: until.map(|d| day_start(d, tz)),
        carrier: args.carrier.clone(),
        states: args.states.iter().map(|s| state(*s)).collect(),
        after: args.after,
        limit: args.limit,
    })
}

/// A configured line's history follows its SIM (also rows bought under an older id); any
/// other id (a line that left the config, or a SIM key) is looked up as written.
fn sim_of(config: &Config, id: &str) -> String {
    config
        .lines
        .iter()
        .find(|l| l.id == id)
        .map_or_else(|| id.to_string(), |l| l.sim())
}

fn state(s: StateArg) -> TopUpState {
    match s {
        StateArg::Planned => TopUpState::Planned,
        StateArg::Submitting => TopUpState::Submitting,
        StateArg::Confirmed => TopUpState::Confirmed,
        StateArg::Failed => TopUpState::Failed,
        StateArg::Unknown => TopUpState::Unknown,
    }
}

/// Notes for stderr: a `--line` or `--carrier` the config does not name (still looked up:
/// the ledger keeps top-ups of lines and sections that were removed).
pub fn notes(config: &Config, args: &HistoryArgs) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(id) = args.line.as_ref()
        && !config.lines.iter().any(|l| &l.id == id)
    {
        out.push(format!(
            "no line {id:?} in the config; listing the top-ups bought under that id"
        ));
    }
    if let Some(name) = args.carrier.as_ref()
        && !config.carriers.contains_key(name)
    {
        let known: Vec<&str> = config.carriers.keys().map(String::as_str).collect();
        out.push(format!(
            "no [carriers.{name}] in the config (it has: {}); listing the top-ups recorded under that name",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ));
    }
    out
}

/// A `YYYY-MM-DD` flag value.
pub fn day(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow!("{flag} {s:?} is not a date; write YYYY-MM-DD, e.g. 2026-11-01"))
}

/// The first instant of day `d` in `tz`, as UTC: local midnight, or, where a clock change
/// skips midnight, the first local time that exists that day.
pub fn day_start(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    // Clock changes happen on a quarter hour; a skipped day (Samoa, 2011) ends after 24 h.
    (0..=24 * 4)
        .find_map(|q| {
            tz.from_local_datetime(&(midnight + Duration::minutes(15 * q)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}
