//! `renewd history` on a fleet's ledger: 100,000 lines in a CSV inventory, 300,000 top-ups.
//! Ignored by default (it writes the ledger, ~1 minute in a debug build); run it with
//! `cargo test --release --test history_scale -- --ignored --nocapture` for the figures.

mod common;

use std::process::Stdio;
use std::time::Instant;

use common::{Env, stderr};
use renewd::ledger::SqliteLedger;
use renewd::model::Observation;

const LINES: usize = 100_000;
const PER_LINE: usize = 3;
/// Nov 1 2026, 00:00 UTC; rows are 25.92 s apart, so 300,000 span 90 days.
const BASE_MS: i64 = 1_793_491_200_000;
const STEP_MS: i64 = 25_920;

fn config(env: &Env) {
    env.write_config(
        "[carriers.air]\ntype = \"simulated\"\n[carriers.sat]\ntype = \"simulated\"\n\
         [policies.p]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"25.00 USD\"\n\
         [[inventory]]\nfile = \"sims.csv\"\npolicy = \"p\"\n",
    );
    let mut csv = String::from("id,carrier,number\n");
    for i in 0..LINES {
        let carrier = if i.is_multiple_of(10) { "sat" } else { "air" };
        csv.push_str(&format!("fleet-{i:06},{carrier},+1555{i:07}\n"));
    }
    std::fs::write(env.dir.path().join("sims.csv"), csv).unwrap();
}

/// The ledger at the current schema, then 300,000 top-ups in one transaction.
fn ledger(env: &Env) {
    drop(SqliteLedger::open(&env.state()).unwrap());
    let mut c = rusqlite::Connection::open(env.state().join("ledger.sqlite3")).unwrap();
    let tx = c.transaction().unwrap();
    let mut before = Observation::empty(chrono::DateTime::from_timestamp_millis(BASE_MS).unwrap());
    before.note = Some("a reading".into());
    let before = serde_json::to_string(&before).unwrap();
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO top_ups (line_id, carrier, reference, amount_minor, currency, state, \
                 \"trigger\", created_at, sent_at, settled_at, provider_ref, before_json, sim) \
                 VALUES (?1, ?2, ?3, 2500, 'USD', ?4, 'balance 4.00 USD < 5.00 USD', ?5, ?5, ?5, ?6, ?7, ?8)",
            )
            .unwrap();
        for j in 0..LINES * PER_LINE {
            let i = j % LINES;
            let state = match j {
                _ if j >= LINES * PER_LINE - 10 => "unknown",
                _ if j % 37 == 0 => "failed",
                _ => "confirmed",
            };
            let at = BASE_MS + j as i64 * STEP_MS;
            let carrier = if i.is_multiple_of(10) { "sat" } else { "air" };
            let args = rusqlite::params![
                format!("fleet-{i:06}"),
                carrier,
                format!("fleet-{i:06}-{j}"),
                state,
                at,
                format!("PRV{j}"),
                before,
                format!("number:+1555{i:07}")
            ];
            ins.execute(args).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Runs `renewd history ARGS` with stdout counted, not kept: (seconds, stdout lines).
fn time(env: &Env, args: &[&str]) -> (f64, usize) {
    let start = Instant::now();
    let out = env
        .command(&[&["history"], args].concat())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    (secs, out.stdout.iter().filter(|b| **b == b'\n').count())
}

/// Peak resident set of the children reaped so far, MiB.
fn children_peak_mib() -> f64 {
    // SAFETY: getrusage fills a plain struct for this process's reaped children.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    u.ru_maxrss as f64 / 1024.0
}

#[test]
#[ignore = "writes a 300,000-row ledger; run with --ignored --nocapture for the figures"]
fn history_of_a_fleet_reads_pages_and_lines_from_indexes() {
    let env = Env::new("");
    config(&env);
    let made = Instant::now();
    ledger(&env);
    println!(
        "ledger: {} top-ups written in {:.1} s",
        LINES * PER_LINE,
        made.elapsed().as_secs_f64()
    );
    let (dump, rows) = time(&env, &["--csv"]);
    assert_eq!(rows, LINES * PER_LINE + 1, "header and every row");
    println!(
        "| history --csv (every row) | {dump:.2} s | peak {:.0} MiB |",
        children_peak_mib()
    );
    let mid = (LINES * PER_LINE / 2).to_string();
    for args in [
        &["--limit", "50"][..],
        &["--limit", "50", "--after", &mid],
        &["--line", "fleet-050000"],
        &["--line", "fleet-050000", "--json"],
        &["--carrier", "sat", "--limit", "50"],
        &["--state", "unknown"],
        &["--state", "failed", "--limit", "50", "--after", &mid],
        &[
            "--since",
            "2026-12-15",
            "--until",
            "2026-12-15",
            "--limit",
            "50",
        ],
    ] {
        let (secs, lines) = time(&env, args);
        assert!(lines > 0, "{args:?}");
        println!(
            "| history {} | {secs:.3} s | {lines} lines |",
            args.join(" ")
        );
    }
}
