//! `renewd history` on a ledger written through the library: filters combined, pages walked
//! to the end in every format, the next-page hint only under a cut page, `--line` through
//! a rename, `--carrier` as recorded, days in the daemon's zone, and mistakes by flag.

mod common;
#[path = "common/history_ledger.rs"]
mod history_ledger;

use serde_json::Value;

use common::{Env, stderr, stdout};
use history_ledger::{CONFIG, LATE_NOV_30, Row, t, write_ledger};
use renewd::model::TopUpState;

fn env() -> (Env, Vec<Row>) {
    let env = Env::new(CONFIG);
    let rows = write_ledger(&env);
    (env, rows)
}

/// `history --json FLAGS`: the ids and `next_after`.
fn json(env: &Env, flags: &[&str]) -> (Vec<i64>, Value) {
    let out = env.renewd(&[&["history", "--json"], flags].concat());
    assert!(out.status.success(), "{flags:?}: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let ids = doc["topups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    (ids, doc["next_after"].clone())
}

fn ids(rows: &[Row], keep: impl Fn(&Row) -> bool) -> Vec<i64> {
    rows.iter().filter(|r| keep(r)).map(|r| r.id).collect()
}

/// `history --json FLAGS` lists exactly `want` (not empty: the case tests something).
fn lists(env: &Env, flags: &str, want: Vec<i64>) {
    assert!(!want.is_empty(), "{flags} tests something");
    let flags: Vec<&str> = flags.split_whitespace().collect();
    assert_eq!(json(env, &flags).0, want, "{flags:?}");
}

#[test]
fn each_filter_alone() {
    let (env, rows) = env();
    let (failed, unknown) = (TopUpState::Failed, TopUpState::Unknown);
    lists(&env, "", ids(&rows, |_| true));
    lists(
        &env,
        "--carrier travel",
        ids(&rows, |r| r.carrier == "travel"),
    );
    let f_or_u = ids(&rows, |r| r.state == failed || r.state == unknown);
    lists(&env, "--state failed,unknown", f_or_u);
    let open = ids(&rows, |r| {
        r.state.is_open() && r.state != TopUpState::Submitting
    });
    lists(&env, "--state planned --state unknown", open);
}

#[test]
fn filters_combine() {
    let (env, rows) = env();
    let mom_ok = ids(&rows, |r| {
        r.line.starts_with("mom") && r.state == TopUpState::Confirmed
    });
    lists(&env, "--line mom --state confirmed", mom_ok);
    lists(
        &env,
        "--line mom --carrier airtime",
        ids(&rows, |r| r.line == "mom-old"),
    );
    let nov = |d: &str| t(&format!("2026-11-{d}T05:00:00Z")); // midnight EST
    let travel = ids(&rows, |r| {
        r.carrier == "travel" && r.at >= nov("05") && r.at < nov("15")
    });
    lists(
        &env,
        "--carrier travel --since 2026-11-05 --until 2026-11-14",
        travel,
    );
    let all =
        "--line dad --carrier airtime --state unknown,failed --since 2026-11-09 --until 2026-11-20";
    let dad = ids(&rows, |r| {
        r.line == "dad" && r.state != TopUpState::Confirmed && r.at >= nov("09") && r.at < nov("21")
    });
    lists(&env, all, dad);
}

#[test]
fn days_are_whole_days_in_the_daemon_zone_until_included() {
    let (env, rows) = env();
    let late = rows.iter().find(|r| r.at == t(LATE_NOV_30)).unwrap().id;
    assert!(
        json(&env, &["--until", "2026-11-30"]).0.contains(&late),
        "23:30 on Nov 30 in New York"
    );
    assert!(!json(&env, &["--until", "2026-11-29"]).0.contains(&late));
    assert_eq!(json(&env, &["--since", "2026-12-01"]).0, Vec::<i64>::new());
    assert_eq!(
        json(&env, &["--since", "2026-11-30", "--until", "2026-11-30"]).0,
        [late]
    );
}

#[test]
fn a_line_follows_its_sim_through_a_rename_an_old_id_finds_its_own() {
    let (env, rows) = env();
    let mom = ids(&rows, |r| r.line.starts_with("mom"));
    let old = ids(&rows, |r| r.line == "mom-old");
    assert!(old.len() == 3 && mom.len() > old.len(), "{mom:?} {old:?}");
    assert_eq!(json(&env, &["--line", "mom"]).0, mom);
    let out = env.renewd(&["history", "--json", "--line", "mom-old"]);
    assert!(
        stderr(&out).contains("no line \"mom-old\" in the config"),
        "{}",
        stderr(&out)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["topups"].as_array().unwrap().len(), old.len());
}

/// Walks `history FORMAT --limit N` by its hints; checks each page and hint on the way.
fn walk(env: &Env, format: &str, limit: usize) -> Vec<i64> {
    let (mut all, mut after) = (Vec::new(), None::<i64>);
    loop {
        let n = limit.to_string();
        let mut args = vec!["history", format, "--limit", &n];
        let a = after.map(|a| a.to_string());
        if let Some(a) = a.as_deref() {
            args.extend(["--after", a]);
        }
        let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
        let out = env.renewd(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let (page, next) = read_page(format, &stdout(&out), &stderr(&out));
        assert!(
            page.len() <= limit && (next.is_none() || page.len() == limit),
            "{args:?}"
        );
        assert_eq!(
            next,
            next.and(page.last().copied()),
            "the hint names the last id shown"
        );
        all.extend(page);
        match next {
            Some(n) => after = Some(n),
            None => return all,
        }
    }
}

/// A page's ids and the next `--after` it announces (JSON: `next_after`; else stderr).
fn read_page(format: &str, out: &str, err: &str) -> (Vec<i64>, Option<i64>) {
    let hint = err
        .lines()
        .find_map(|l| l.split("--after ").nth(1)?.split(' ').next()?.parse().ok());
    match format {
        "--json" => {
            let doc: Value = serde_json::from_str(out).unwrap();
            assert!(err.is_empty(), "JSON's hint is its field: {err}");
            let ids = doc["topups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap());
            (ids.collect(), doc["next_after"].as_i64())
        }
        "--csv" => {
            let mut lines = out.lines();
            assert!(
                lines.next().unwrap().starts_with("id,line,carrier,state"),
                "{out}"
            );
            (
                lines
                    .map(|l| l.split(',').next().unwrap().parse().unwrap())
                    .collect(),
                hint,
            )
        }
        _ => {
            let ids = out
                .lines()
                .filter_map(|l| l.strip_prefix('#')?.split(' ').next()?.parse().ok());
            (ids.collect(), hint)
        }
    }
}

#[test]
fn walking_the_pages_yields_every_row_once_in_order_hint_only_when_cut() {
    let (env, rows) = env();
    let all = ids(&rows, |_| true);
    for format in ["--json", "--csv", ""] {
        for limit in [1, 4, all.len(), all.len() + 1] {
            assert_eq!(walk(&env, format, limit), all, "{format} --limit {limit}");
        }
    }
    let (page, next) = json(&env, &["--state", "failed", "--limit", "2"]);
    assert_eq!((page.len(), next.as_i64()), (2, Some(page[1])));
    let rest = json(
        &env,
        &["--state", "failed", "--after", &page[1].to_string()],
    );
    assert_eq!(
        [page, rest.0].concat(),
        ids(&rows, |r| r.state == TopUpState::Failed)
    );
    assert_eq!(rest.1, Value::Null, "without --limit nothing is cut");
}

#[test]
fn mistakes_name_the_flag_and_what_to_write() {
    let (env, _) = env();
    for (flags, code, says) in [
        (
            &["--limit", "0"][..],
            1,
            "--limit 0 would list nothing; write 1 or more",
        ),
        (
            &["--since", "2026-13-01"],
            1,
            "--since \"2026-13-01\" is not a date; write YYYY-MM-DD",
        ),
        (
            &["--until", "2026-11-01", "--since", "2026-11-02"],
            1,
            "--until 2026-11-01 is before --since 2026-11-02",
        ),
        (&["--after", "999"], 1, "--after 999: no top-up has that id"),
        (
            &["--state", "pending"],
            2,
            "[possible values: planned, submitting, confirmed, failed, unknown]",
        ),
        (
            &["--limit", "ten"],
            2,
            "invalid value 'ten' for '--limit <N>'",
        ),
    ] {
        let out = env.renewd(&[&["history"], flags].concat());
        assert_eq!(out.status.code(), Some(code), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{flags:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{flags:?}");
    }
    let note = env.renewd(&["history", "--carrier", "travle"]);
    assert!(stderr(&note).contains("no [carriers.travle] in the config (it has: airtime, travel)"));
    assert_eq!(stdout(&note), "no top-ups match\n");
}
