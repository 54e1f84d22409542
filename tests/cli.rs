//! The real binary on the simulated carrier: once, run, lock, reload, signals, crashes.

mod common;

use std::time::Duration;

use common::{Env, read, stderr, stdout, wait_until};

fn sim_line(carrier_extra: &str, check: &str) -> String {
    format!(
        r#"
[carriers.sim]
type = "simulated"
{carrier_extra}

[[lines]]
id = "phone"
name = "Test phone"
carrier = "sim"
check = "{check}"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
monthly_cap = "100.00 USD"
"#
    )
}

#[test]
fn once_buys_once_and_writes_one_receipt() {
    let env = Env::new(&sim_line("balance = \"4.00 USD\"", "every 6h"));
    let out = env.renewd(&["once", "--json"]);
    assert!(out.status.success(), "once failed: {}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(report["decision"], "topup", "{report}");
    assert_eq!(report["topup"]["state"], "confirmed");
    let receipts = env.outbox("receipt");
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let eml = read(&receipts[0]);
    for want in [
        "Subject: renewd: topped up Test phone",
        "10.00 USD",
        "balance 4.00 USD < 5.00 USD",
        "Message-ID: <receipt.1.",
        "@localhost>",
    ] {
        assert!(eml.contains(want), "receipt lacks {want:?}:\n{eml}");
    }

    let again = env.renewd(&["once", "--json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let report: serde_json::Value = serde_json::from_str(stdout(&again).trim()).unwrap();
    assert_ne!(report["decision"], "topup", "{report}");
    assert_eq!(env.history().len(), 1);
    assert_eq!(env.outbox("receipt").len(), 1);
}

#[test]
fn once_dry_run_buys_nothing() {
    let env = Env::new(&sim_line("balance = \"4.00 USD\"", "every 6h"));
    let out = env.renewd(&["once", "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("dry_run"), "{}", stdout(&out));
    assert!(env.history().is_empty());
}

#[test]
fn run_tops_up_on_schedule_and_stops_on_sigterm() {
    let env = Env::new(&sim_line(
        "balance = \"5.10 USD\"\nbalance_per_hour = \"360.00 USD\"",
        "every 1s",
    ));
    let mut d = env.spawn_daemon();
    assert!(
        wait_until(Duration::from_secs(30), || !env
            .outbox("receipt")
            .is_empty()),
        "no receipt within 30 s:\n{}",
        d.log_text()
    );
    d.signal("TERM");
    let st = d.wait_exit(10).expect("stopped within 10 s");
    assert!(st.success(), "exit {st:?}:\n{}", d.log_text());
    assert_eq!(
        env.history()
            .iter()
            .filter(|t| t["state"] == "confirmed")
            .count(),
        1,
        "{:?}",
        env.history()
    );
}

#[test]
fn a_second_daemon_on_the_same_state_dir_is_refused() {
    let env = Env::new(&sim_line("", "every 6h"));
    let mut first = env.spawn_daemon();
    first.wait_log("renewd running", 20);
    let second = env.renewd(&["run"]);
    assert!(!second.status.success());
    let err = stderr(&second);
    assert!(err.contains(&format!("pid {}", first.child.id())), "{err}");
    assert!(first.alive());
}

#[test]
fn sighup_with_a_broken_file_keeps_running_then_reloads_a_good_one() {
    let env = Env::new(&sim_line("", "every 6h"));
    let mut d = env.spawn_daemon();
    d.wait_log("renewd running", 20);
    std::fs::write(env.config(), "[daemon]\nbogus = 1\n").unwrap();
    d.signal("HUP");
    d.wait_log("reload refused", 10);
    assert!(d.alive());
    env.write_config(&format!("{}\n[[lines]]\nid = \"second\"\ncarrier = \"sim\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n", sim_line("", "every 6h")));
    d.signal("HUP");
    d.wait_log("config reloaded", 10);
    d.wait_log("line=second", 20);
    d.signal("TERM");
    assert!(d.wait_exit(10).expect("stops").success());
}

#[test]
fn check_reports_every_problem_and_exits_1() {
    let env = Env::new(
        "[[lines]]\nid = \"Bad Id\"\ncarrier = \"nope\"\ncheck = \"every fortnight\"\n[lines.policy]\nbalance_below = \"5 USD\"\n",
    );
    let out = env.renewd(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for want in [
        "lines[0].id",
        "lines[0].carrier",
        "lines[0].check",
        "lines[0].policy.balance_below",
        "renewd.toml:",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_config_is_a_message_not_a_panic() {
    let env = Env::new("");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_renewd"))
        .arg("-c")
        .arg(env.dir.path().join("nope.toml"))
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read config file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn status_history_and_resolve_read_the_ledger() {
    let env = Env::new(&sim_line("balance = \"4.00 USD\"", "every 6h"));
    assert!(env.renewd(&["once"]).status.success());

    let out = env.renewd(&["status", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let line = &doc["lines"][0];
    assert_eq!(line["id"], "phone");
    assert_eq!(line["month_spend"]["spent"], "10.00 USD", "{doc}");
    assert_eq!(
        line["observation"]["balance"]["minor"], 1400,
        "the reading after the top-up: {doc}"
    );
    assert_eq!(doc["outbox"]["sent"], 1);

    let csv = stdout(&env.renewd(&["history", "--csv"]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("id,line,carrier,state,amount,currency"));
    assert!(
        rows[1].starts_with("1,phone,sim,confirmed,10.00,USD,"),
        "{csv}"
    );
    assert!(
        stdout(&env.renewd(&["history", "--since", "2999-01-01"])).contains("no top-ups match")
    );
    let bad = env.renewd(&["history", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("is not a date"), "{}", stderr(&bad));

    let resolve = env.renewd(&["resolve", "1", "--paid"]);
    assert_eq!(resolve.status.code(), Some(1));
    assert!(
        stderr(&resolve).contains("already confirmed"),
        "{}",
        stderr(&resolve)
    );
}

#[test]
fn check_reads_the_email_password_so_a_missing_credential_fails_early() {
    let env = Env::new(&format!(
        "[email]\nsmtp_url = \"smtp://127.0.0.1:2525\"\nusername = \"me@example.com\"\npassword_file = \"/nonexistent/smtp\"\nfrom = \"renewd <me@example.com>\"\nto = [\"me@example.com\"]\n{}",
        sim_line("", "every 6h")
    ));
    let out = env.renewd(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("email.password") && err.contains("/nonexistent/smtp"),
        "{err}"
    );
}

#[test]
fn a_cap_blocks_the_purchase_and_warns_once() {
    let env = Env::new(
        r#"
[carriers.sim]
type = "simulated"
balance = "4.00 USD"

[[lines]]
id = "phone"
carrier = "sim"
[lines.policy]
balance_below = "50.00 USD"
topup_amount = "10.00 USD"
monthly_cap = "15.00 USD"
"#,
    );
    let decisions: Vec<String> = (0..3)
        .map(|_| {
            let out = env.renewd(&["once", "--json"]);
            let r: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
            r["decision"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(decisions, ["topup", "blocked", "blocked"]);
    assert_eq!(env.history().len(), 1, "nothing past the cap");
    let warnings = env.outbox("cap_phone_");
    assert_eq!(
        warnings.len(),
        1,
        "one warning, not one per check: {warnings:?}"
    );
    let eml = read(&warnings[0]);
    assert!(
        eml.contains("10.00 USD of 15.00 USD") || eml.contains("10.00 USD"),
        "{eml}"
    );
}

#[test]
fn json_logs_carry_one_event_per_decision_with_the_line_id() {
    let env = Env::new(&sim_line("balance = \"4.00 USD\"", "every 6h"));
    let out = env.renewd(&["--log-format", "json", "once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let decisions: Vec<_> = events
        .iter()
        .filter(|e| e["fields"]["decision"].is_string())
        .collect();
    assert_eq!(decisions.len(), 1, "{events:?}");
    assert_eq!(decisions[0]["fields"]["line"], "phone");
    assert_eq!(decisions[0]["fields"]["decision"], "topup");
}
