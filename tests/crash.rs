//! Crashes and lost replies: nothing is bought twice, nothing is lost.

mod common;

use std::time::Duration;

use common::{Env, stderr, stdout, wait_until};

fn config(extra: &str) -> String {
    format!(
        r#"
[carriers.sim]
type = "simulated"
balance = "4.00 USD"
{extra}

[[lines]]
id = "phone"
carrier = "sim"
check = "every 1s"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
"#
    )
}

/// Purchases the simulated carrier actually made for the line.
fn purchases(env: &Env) -> usize {
    let text = std::fs::read_to_string(env.state().join("simulated-sim.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    v["lines"]["phone"]["purchases"]
        .as_object()
        .map_or(0, |m| m.len())
}

#[test]
fn a_lost_reply_is_settled_by_lookup_never_bought_again() {
    let env = Env::new(&config("lost_reply_rate = 1.0"));
    let out = env.renewd(&["once", "--json"]);
    let r: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(r["decision"], "unknown", "{r} {}", stderr(&out));
    assert_eq!(out.status.code(), Some(1), "an unknown outcome is not fine");
    assert_eq!(purchases(&env), 1, "the carrier did buy it");
    assert!(env.outbox("receipt").is_empty());

    env.write_config(&config(""));
    let out = env.renewd(&["once", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let h = env.history();
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0]["state"], "confirmed");
    assert_eq!(purchases(&env), 1, "looked up, not re-sent");
    assert_eq!(env.outbox("receipt").len(), 1);
}

#[test]
fn kill_9_mid_purchase_leaves_it_open_and_never_buys_twice() {
    let env = Env::new(&config("latency = \"3s\""));
    let mut d = env.spawn_daemon();
    d.wait_log("buying", 30);
    d.signal("KILL");
    d.wait_exit(5).expect("killed");
    let h = env.history();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["state"], "submitting", "{h:?}");

    env.write_config(&config(""));
    let mut d = env.spawn_daemon();
    d.wait_log("outcome still unknown", 20);
    // Several checks later the line still waits on the open top-up, reported as unknown.
    let waits = || {
        d.log_text()
            .matches("top-up #1 is unknown; it is settled before anything else is bought")
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(5), || waits() >= 2),
        "{}",
        d.log_text()
    );
    let h = env.history();
    assert_eq!(h.len(), 1, "nothing new was bought: {h:?}");
    assert_eq!(h[0]["state"], "unknown");
    assert_eq!(
        purchases(&env),
        0,
        "the killed request never reached the carrier, and it was not re-sent"
    );
    d.signal("TERM");
    assert!(d.wait_exit(10).expect("stops").success());

    let out = env.renewd(&["resolve", &h[0]["id"].to_string(), "--failed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.history()[0]["state"], "failed");
}

#[test]
fn an_unknown_outcome_left_for_half_an_hour_asks_a_person_once() {
    let env = Env::new(&config("latency = \"3s\""));
    let mut d = env.spawn_daemon();
    d.wait_log("buying", 30);
    d.signal("KILL");
    d.wait_exit(5).expect("killed");
    env.write_config(&config(""));
    // Half an hour passes with the top-up still open.
    let db = rusqlite::Connection::open(env.state().join("ledger.sqlite3")).unwrap();
    db.execute(
        "UPDATE top_ups SET created_at = created_at - 1860000, sent_at = sent_at - 1860000",
        [],
    )
    .unwrap();
    for _ in 0..2 {
        let out = env.renewd(&["once"]);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    }
    let asks = env.outbox("unknown_");
    assert_eq!(asks.len(), 1, "{asks:?}");
    let eml = common::read(&asks[0]);
    assert!(eml.contains("renewd resolve 1 --paid"), "{eml}");
    assert_eq!(purchases(&env), 0);
}
