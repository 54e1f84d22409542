//! `history`'s flags (days in the daemon's zone, mistakes named by flag) and its three
//! outputs written row by row.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::Parser;

use super::out::{Csv, Json, Sink, Table};
use super::query::{build, day_start, notes};
use crate::cli::{Cli, Command, HistoryArgs};
use crate::config::Config;
use crate::ledger::HistoryQuery;
use crate::model::{TopUp, TopUpState};
use crate::money::{Currency, Money};

const CONFIG: &str = r#"
[daemon]
timezone = "America/New_York"
[carriers.demo]
type = "simulated"
[[lines]]
id = "mom"
carrier = "demo"
iccid = "8901260000000000001"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
"#;

fn config() -> Config {
    crate::config::from_str(CONFIG, Path::new("/nonexistent/renewd.toml")).unwrap()
}

fn args(flags: &[&str]) -> HistoryArgs {
    let argv = ["renewd", "history"].iter().chain(flags);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::History(a) => a,
        other => panic!("{other:?}"),
    }
}

fn query(flags: &[&str]) -> anyhow::Result<HistoryQuery> {
    build(&config(), &args(flags))
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn days_are_whole_days_in_the_daemon_zone_until_included() {
    let q = query(&["--since", "2026-11-01", "--until", "2026-11-30"]).unwrap();
    assert_eq!(q.since, Some(t("2026-11-01T04:00:00Z")), "EDT midnight");
    assert_eq!(
        q.until,
        Some(t("2026-12-01T05:00:00Z")),
        "the end of Nov 30, EST"
    );
    let one_day = query(&["--since", "2026-11-01", "--until", "2026-11-01"]).unwrap();
    assert_eq!(
        one_day.until,
        Some(t("2026-11-02T05:00:00Z")),
        "DST ends on Nov 1"
    );
}

#[test]
fn flags_become_the_query_and_a_line_follows_its_sim() {
    let q = query(&[
        "--line",
        "mom",
        "--state",
        "failed,unknown",
        "--state",
        "planned",
    ])
    .unwrap();
    assert_eq!(q.line.as_deref(), Some("iccid:8901260000000000001"));
    let want = [TopUpState::Failed, TopUpState::Unknown, TopUpState::Planned];
    assert_eq!(q.states, want);
    let q = query(&[
        "--line",
        "gone",
        "--carrier",
        "demo",
        "--limit",
        "5",
        "--after",
        "9",
    ]);
    let q = q.unwrap();
    assert_eq!(
        q.line.as_deref(),
        Some("gone"),
        "not configured: looked up as written"
    );
    assert_eq!(
        (q.carrier.as_deref(), q.limit, q.after),
        (Some("demo"), Some(5), Some(9))
    );
    assert_eq!(query(&[]).unwrap(), HistoryQuery::default());
}

#[test]
fn mistakes_name_the_flag_and_what_to_write() {
    let err = |flags: &[&str]| query(flags).unwrap_err().to_string();
    let e = err(&["--limit", "0"]);
    assert!(e.contains("--limit 0") && e.contains("--limit 50"), "{e}");
    let e = err(&["--since", "2026-13-01"]);
    assert!(
        e.contains("--since \"2026-13-01\" is not a date; write YYYY-MM-DD"),
        "{e}"
    );
    let e = err(&["--until", "30/11/2026"]);
    assert!(e.starts_with("--until \"30/11/2026\" is not a date"), "{e}");
    let e = err(&["--since", "2026-11-02", "--until", "2026-11-01"]);
    assert!(
        e.contains("--until 2026-11-01 is before --since 2026-11-02"),
        "{e}"
    );
    let state = Cli::try_parse_from(["renewd", "history", "--state", "pending"]).unwrap_err();
    let e = state.to_string();
    assert!(
        e.contains("--state") && e.contains("planned, submitting, confirmed, failed, unknown"),
        "{e}"
    );
    assert!(Cli::try_parse_from(["renewd", "history", "--limit", "ten"]).is_err());
}

#[test]
fn a_line_or_carrier_the_config_lacks_draws_a_note() {
    assert!(notes(&config(), &args(&["--line", "mom", "--carrier", "demo"])).is_empty());
    let n = notes(&config(), &args(&["--line", "dad", "--carrier", "travel"]));
    assert_eq!(n.len(), 2, "{n:?}");
    assert!(n[0].contains("no line \"dad\""), "{n:?}");
    assert!(
        n[1].contains("no [carriers.travel]") && n[1].contains("it has: demo"),
        "{n:?}"
    );
}

#[test]
fn a_day_whose_midnight_is_skipped_starts_at_its_first_local_time() {
    // Cuba moves its clocks from 00:00 to 01:00 on 8 March 2026.
    let havana: chrono_tz::Tz = "America/Havana".parse().unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
    assert!(
        havana
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .is_none()
    );
    assert_eq!(
        day_start(day, havana),
        t("2026-03-08T05:00:00Z"),
        "01:00 CDT"
    );
    let before = day_start(day, havana) - chrono::Duration::milliseconds(1);
    assert_eq!(
        before.with_timezone(&havana).date_naive(),
        day.pred_opt().unwrap()
    );
}

fn top_up(id: i64, trigger: &str) -> TopUp {
    let at = t("2026-11-15T12:00:00Z");
    TopUp {
        id,
        line_id: "mom".into(),
        carrier: "demo".into(),
        reference: format!("mom-{id}"),
        amount: Money::new(1000, Currency::new("USD").unwrap()),
        package: None,
        state: TopUpState::Confirmed,
        trigger: trigger.into(),
        created_at: at,
        sent_at: Some(at),
        settled_at: Some(at),
        provider_ref: None,
        detail: None,
        before: None,
        sim: "iccid:1".into(),
        shown_at: None,
    }
}

fn written(sink: &mut dyn Sink, rows: &[TopUp], next: Option<i64>) {
    for r in rows {
        sink.row(r).unwrap();
    }
    sink.finish(next).unwrap();
}

#[test]
fn json_is_one_document_with_next_after_a_cut_page_and_null_otherwise() {
    let rows = [top_up(1, "a"), top_up(2, "b")];
    for (rows, next) in [(&rows[..], Some(2)), (&rows[..], None), (&[][..], None)] {
        let mut buf = Vec::new();
        written(&mut Json::start(&mut buf).unwrap(), rows, next);
        let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let ids: Vec<i64> = doc["topups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, rows.iter().map(|t| t.id).collect::<Vec<_>>());
        assert_eq!(doc["next_after"].as_i64(), next, "{doc}");
        if let Some(first) = rows.first() {
            assert_eq!(
                doc["topups"][0],
                super::json_row(first),
                "the documented fields"
            );
        }
    }
}

#[test]
fn csv_has_its_header_and_quotes_what_needs_it_table_says_when_empty() {
    let mut buf = Vec::new();
    written(
        &mut Csv::start(&mut buf).unwrap(),
        &[top_up(3, "balance 1,00 < \"2\"")],
        Some(3),
    );
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], super::out::CSV_HEADER);
    assert!(
        lines[1].contains(",\"balance 1,00 < \"\"2\"\"\","),
        "{text}"
    );
    assert_eq!(lines.len(), 2, "the hint is not in the CSV: {text}");
    let mut buf = Vec::new();
    let tz = chrono_tz::UTC;
    written(
        &mut Table {
            out: &mut buf,
            tz,
            empty: "no top-ups match",
            rows: 0,
        },
        &[],
        None,
    );
    assert_eq!(String::from_utf8(buf).unwrap(), "no top-ups match\n");
}

#[test]
fn history_reads_the_settings_without_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("renewd.toml");
    // A line `renewd check` refuses (an amount without decimals) does not stop history.
    std::fs::write(
        &path,
        format!("{CONFIG}\n[[lines]]\nid = \"bad\"\ncarrier = \"demo\"\n[lines.policy]\nbalance_below = \"5 USD\"\ntopup_amount = \"10.00 USD\"\n"),
    )
    .unwrap();
    assert!(crate::config::load(&path).is_err());
    let c = crate::config::load_settings(&path).unwrap();
    assert!(c.lines.is_empty());
    assert_eq!(c.daemon.timezone, chrono_tz::America::New_York);
    assert!(c.carriers.contains_key("demo"));
}
