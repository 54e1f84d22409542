//! One state per install: a relative `state_dir` follows the config file, not the working
//! directory, and commands that may buy or settle a top-up are refused while the daemon
//! holds the state, whatever folder they are typed in.

mod common;

use std::path::Path;
use std::process::Output;

use common::{Env, stderr, stdout};

/// A line on the simulated carrier that needs a top-up at its first check, with the state
/// in `state` next to the config file (a relative path).
const LOW_LINE: &str = r#"[daemon]
state_dir = "state"

[carriers.sim]
type = "simulated"
balance = "4.00 USD"

[[lines]]
id = "phone"
carrier = "sim"
check = "every 6h"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
"#;

/// `renewd -c <abs config> args...` run from `cwd`.
fn renewd_in(env: &Env, cwd: &Path, args: &[&str]) -> Output {
    env.command(args)
        .current_dir(cwd)
        .output()
        .expect("run renewd")
}

/// An Env whose config names the relative `state_dir = "state"`.
fn relative_env() -> Env {
    let env = Env::new("");
    std::fs::write(env.config(), LOW_LINE).expect("write config");
    env
}

#[test]
fn a_relative_state_dir_is_next_to_the_config_file_not_the_working_directory() {
    let env = relative_env();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let out = renewd_in(&env, elsewhere.path(), &["once", "--json"]);
    assert!(out.status.success(), "once failed: {}", stderr(&out));
    assert!(
        env.dir.path().join("state").join("ledger.sqlite3").exists(),
        "the ledger should be next to the config"
    );
    assert!(
        !elsewhere.path().join("state").exists(),
        "nothing may be written under the working directory"
    );
    // `history` typed in a third folder reads the same ledger.
    let third = tempfile::tempdir().expect("temp dir");
    let out = renewd_in(&env, third.path(), &["history", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history json");
    assert_eq!(doc["topups"].as_array().map(Vec::len), Some(1), "{doc}");
}

#[test]
fn once_and_resolve_are_refused_while_the_daemon_runs_and_buy_nothing() {
    let env = relative_env();
    let mut daemon = env.spawn_daemon();
    daemon.wait_log("bought 10.00 USD", 30);
    let pid = daemon.child.id();
    let elsewhere = tempfile::tempdir().expect("temp dir");

    for args in [
        &["once"][..],
        &["once", "--line", "phone"][..],
        &["once", "--dry-run"][..],
        &["resolve", "1", "--failed"][..],
    ] {
        let out = renewd_in(&env, elsewhere.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("pid {pid}")) && err.contains("daemon"),
            "{args:?} should name the running daemon: {err}"
        );
    }
    assert!(!elsewhere.path().join("state").exists());

    // status and history read the daemon's ledger while it runs.
    let status = renewd_in(&env, elsewhere.path(), &["status", "--json"]);
    assert!(status.status.success(), "{}", stderr(&status));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&status)).expect("status json");
    assert_eq!(doc["lines"][0]["id"], "phone", "{doc}");
    let history = renewd_in(&env, elsewhere.path(), &["history", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&history.stdout).expect("history json");
    let topups = doc["topups"].as_array().cloned().unwrap_or_default();
    assert_eq!(topups.len(), 1, "one purchase, by the daemon: {topups:?}");
    assert_eq!(topups[0]["state"], "confirmed");
    assert!(daemon.alive());
}

#[test]
fn check_status_and_history_create_no_state() {
    let env = relative_env();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    for args in [&["status"][..], &["history", "--json"][..]] {
        let out = renewd_in(&env, elsewhere.path(), args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let out = renewd_in(&env, elsewhere.path(), &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("valid, 1 line(s)"),
        "{}",
        stdout(&out)
    );
    assert!(!env.dir.path().join("state").exists());
    assert!(!elsewhere.path().join("state").exists());
}
