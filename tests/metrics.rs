//! `daemon.listen`: `/metrics` scraped and parsed as Prometheus text, values matching what
//! the daemon did; `/healthz` 200 while healthy and 503 once the ledger is gone; a busy
//! port refuses the start.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::{Env, stderr, wait_until};
use prometheus_parse::{Sample, Scrape, Value};

/// A port free a moment ago (bind port 0, read it, let go).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(port: u16) -> String {
    format!(
        r#"listen = "127.0.0.1:{port}"

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
"#
    )
}

/// GET over HTTP/1.1 with `Connection: close`: (status, body), or None while not listening.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

fn scrape(port: u16) -> Vec<Sample> {
    let (status, body) = get(port, "/metrics").expect("GET /metrics");
    assert_eq!(status, 200, "{body}");
    Scrape::parse(body.lines().map(|l| Ok(l.to_string())))
        .expect("Prometheus text")
        .samples
}

/// The value of `name` with the label `key=value` (or without labels when `label` is None).
fn value(samples: &[Sample], name: &str, label: Option<(&str, &str)>) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

/// A metric, one of its labels (or none), the value it must have.
type Expect = (&'static str, Option<(&'static str, &'static str)>, f64);

#[test]
fn metrics_match_one_simulated_top_up_and_healthz_follows_the_ledger() {
    let port = free_port();
    let env = Env::new(&config(port));
    let mut d = env.spawn_daemon();
    let done = |s: &[Sample]| {
        value(s, "renewd_checks_total", Some(("outcome", "topup"))) == Some(1.0)
            && value(s, "renewd_outbox_queued", None) == Some(0.0)
    };
    let mut samples = Vec::new();
    let ok = wait_until(Duration::from_secs(30), || {
        samples = get(port, "/metrics")
            .map(|_| scrape(port))
            .unwrap_or_default();
        done(&samples)
    });
    assert!(
        ok,
        "no finished top-up in /metrics within 30 s: {samples:#?}\n{}",
        d.log_text()
    );

    let cases: [Expect; 7] = [
        ("renewd_topups", Some(("state", "confirmed")), 1.0),
        ("renewd_topups", Some(("state", "unknown")), 0.0),
        ("renewd_topups", Some(("state", "failed")), 0.0),
        ("renewd_month_spend", Some(("currency", "USD")), 10.0),
        ("renewd_outbox_dead", None, 0.0),
        ("renewd_lines", None, 1.0),
        ("renewd_checks_total", Some(("outcome", "topup")), 1.0),
    ];
    for (name, label, want) in cases {
        assert_eq!(
            value(&samples, name, label),
            Some(want),
            "{name} {label:?}: {samples:#?}"
        );
    }
    let age = value(
        &samples,
        "renewd_last_success_age_seconds",
        Some(("line", "phone")),
    )
    .unwrap();
    assert!((0.0..60.0).contains(&age), "last success {age}s ago");
    let next = value(
        &samples,
        "renewd_next_check_timestamp_seconds",
        Some(("line", "phone")),
    )
    .unwrap();
    let in_six_hours = chrono::Utc::now().timestamp() as f64 + 6.0 * 3600.0;
    assert!(
        (next - in_six_hours).abs() < 120.0,
        "next check at {next}, want about {in_six_hours}"
    );

    assert_eq!(get(port, "/healthz"), Some((200, "ok\n".to_string())));
    std::fs::remove_file(env.state().join("ledger.sqlite3")).unwrap();
    let (status, body) = get(port, "/healthz").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("ledger"), "{body}");

    d.signal("TERM");
    assert!(
        d.wait_exit(15).expect("stopped").success(),
        "{}",
        d.log_text()
    );
}

#[test]
fn a_busy_listen_port_refuses_the_start_and_names_the_key() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let env = Env::new(&config(busy.local_addr().unwrap().port()));
    let out = env.renewd(&["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("daemon.listen") && err.contains("pick a free port"),
        "{err}"
    );
}
