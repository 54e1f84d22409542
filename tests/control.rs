//! `renewd topup`, `pause` and `resume`: carried out directly without a daemon, and handed
//! to the running daemon over its control socket when one holds the state.

mod common;

use std::time::Duration;

use common::{Env, stderr, stdout, wait_until};

/// A line well above its threshold: nothing to buy on its own.
const FULL: &str = r#"
[carriers.sim]
type = "simulated"
balance = "20.00 USD"

[[lines]]
id = "phone"
carrier = "sim"
check = "every 1s"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
monthly_cap = "15.00 USD"
"#;

fn once_decision(env: &Env) -> String {
    let out = env.renewd(&["once", "--json"]);
    let r: serde_json::Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    r["decision"].as_str().unwrap().to_string()
}

#[test]
fn without_a_daemon_topup_buys_now_and_pause_stops_everything() {
    let env = Env::new(FULL);
    assert_eq!(once_decision(&env), "hold");
    let out = env.renewd(&["topup", "phone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.history().len(), 1);
    // The line cap still holds: 10 + 10 > 15.
    let out = env.renewd(&["topup", "phone"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("blocked"), "{}", stderr(&out));
    assert_eq!(env.history().len(), 1);

    let out = env.renewd(&["pause", "phone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(once_decision(&env), "paused");
    let status = env.renewd(&["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(!doc["lines"][0]["paused_since"].is_null(), "{doc}");
    let out = env.renewd(&["topup", "phone"]);
    assert_eq!(out.status.code(), Some(1), "a paused line buys nothing");
    env.renewd(&["resume", "phone"]);
    assert_eq!(once_decision(&env), "hold");
    let out = env.renewd(&["pause", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no line \"nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn with_a_daemon_the_commands_go_through_its_control_socket() {
    let env = Env::new(FULL);
    let mut daemon = env.spawn_daemon();
    daemon.wait_log("renewd running", 20);
    let socket = env.state().join("control.sock");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let out = env.renewd(&["topup", "phone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(daemon.log_text().contains("control request"));
    assert_eq!(env.history().len(), 1);

    assert!(env.renewd(&["pause", "phone"]).status.success());
    assert!(
        wait_until(Duration::from_secs(10), || daemon
            .log_text()
            .contains("decision=\"paused\"")
            || daemon.log_text().contains("decision=paused")),
        "{}",
        daemon.log_text()
    );
    assert!(env.renewd(&["resume", "phone"]).status.success());
    daemon.signal("TERM");
    assert!(daemon.wait_exit(10).is_some_and(|s| s.success()));
    assert_eq!(
        env.history().len(),
        1,
        "the daemon bought nothing on its own"
    );
}

/// A top-up asked of the daemon sends its receipt at once: the control socket wakes the
/// sender, which would otherwise look at the outbox only at its next check or in 5 minutes.
#[test]
fn a_top_up_through_the_daemon_sends_its_receipt_at_once() {
    let env = Env::new(&FULL.replace("every 1s", "every 6h"));
    let mut daemon = env.spawn_daemon();
    daemon.wait_log("renewd running", 20);
    // The first check has run and the sender has gone back to sleep.
    std::thread::sleep(Duration::from_secs(2));
    let out = env.renewd(&["topup", "phone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        wait_until(Duration::from_secs(10), || !env
            .outbox("receipt")
            .is_empty()),
        "no receipt within 10 s of the top-up"
    );
    daemon.signal("TERM");
    assert!(daemon.wait_exit(10).is_some_and(|s| s.success()));
}

/// `status LINE`, `--carrier`, `--attention` and `--limit` pick the lines shown.
#[test]
fn status_filters_pick_lines() {
    let env = Env::new(&format!(
        "{FULL}\n[carriers.other]\ntype = \"simulated\"\n\
         [[lines]]\nid = \"tablet\"\ncarrier = \"other\"\nnumber = \"+15550000002\"\n\
         [lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n"
    ));
    env.renewd(&["pause", "tablet"]);
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["status", "--json"];
        all.extend_from_slice(args);
        let out = env.renewd(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&[]), ["phone", "tablet"]);
    assert_eq!(ids(&["tablet"]), ["tablet"]);
    assert_eq!(ids(&["--carrier", "sim"]), ["phone"]);
    assert_eq!(
        ids(&["--attention"]),
        ["tablet"],
        "a paused line needs attention"
    );
    assert_eq!(ids(&["--limit", "1"]), ["tablet"], "attention first");
    let out = env.renewd(&["status", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let text = env.renewd(&["status"]);
    let text = stdout(&text);
    assert!(
        text.contains("NEEDS ATTENTION") && text.contains("paused"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour when piped");
}
