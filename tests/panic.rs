//! A panic in one line's check is contained: logged, recorded as a failed check, emailed
//! once per failing run, shown by `/healthz`; the other lines and the daemon go on, and
//! `renewd once` reports the line as `check_failed` (exit 1) instead of dying with 101.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use renewd::carriers::{Carrier, CarrierError, Carriers, Lookup, Order, Reports, Submitted};
use renewd::check::{Ctx, Outcome};
use renewd::clock::Clock;
use renewd::config::{Config, Line};
use renewd::daemon::{self, Deps};
use renewd::ledger::{Ledger, SqliteLedger};
use renewd::model::Observation;
use renewd::notify::file::FileNotifier;

/// Two simulated carriers: `ok` serves line `good`, `bad` (made to panic) serves `boom`.
const CONFIG: &str = r#"
[daemon]
jitter = "0s"
[carriers.ok]
type = "simulated"
balance = "4.00 USD"
[carriers.bad]
type = "simulated"
[[lines]]
id = "good"
carrier = "ok"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
[[lines]]
id = "boom"
carrier = "bad"
[lines.policy]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
"#;

/// A carrier whose status read panics, as a bug in an adapter would.
struct Panics(Arc<dyn Carrier>);

#[async_trait]
impl Carrier for Panics {
    fn reports(&self) -> Reports {
        self.0.reports()
    }
    async fn status(&self, line: &Line) -> Result<Observation, CarrierError> {
        panic!("attempt to add with overflow (line {})", line.id)
    }
    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        self.0.top_up(line, order).await
    }
    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        self.0.lookup(line, order).await
    }
}

/// The config with its state in `dir`.
fn config_text(dir: &Path) -> String {
    CONFIG.replace(
        "[daemon]",
        &format!("[daemon]\nstate_dir = {:?}", dir.display().to_string()),
    )
}

fn setup(dir: &Path) -> (Config, Carriers, Arc<dyn Ledger>) {
    let text = config_text(dir);
    let config = renewd::config::validate(&text, &dir.join("renewd.toml")).expect("valid");
    let mut carriers = renewd::carriers::build(&config.carriers, dir).expect("carriers");
    let bad = carriers["bad"].clone();
    carriers.insert("bad".into(), Arc::new(Panics(bad)));
    let ledger: Arc<dyn Ledger> = Arc::new(SqliteLedger::open(dir).expect("ledger"));
    (config, carriers, ledger)
}

/// The failure messages queued or written for line `boom`.
fn crash_mails(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("outbox")).map_or(0, |d| {
        d.filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("checkfail"))
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_survives_a_panicking_check_and_the_other_lines_go_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (config, carriers, ledger) = setup(dir.path());
    let deps = Deps {
        ledger: ledger.clone(),
        carriers,
        notifier: Arc::new(FileNotifier::new(dir.path().join("outbox")).expect("outbox")),
        clock: Clock::System,
    };
    let (_control_tx, control_rx) = mpsc::channel(1);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(daemon::run(config, deps, control_rx, async {
        let _ = stop_rx.await;
    }));
    let settled = || {
        let checks = ledger.last_checks().unwrap_or_default();
        let good_bought = ledger
            .history(Some("good"), None)
            .is_ok_and(|h| h.iter().any(|t| t.state.to_string() == "confirmed"));
        let boom_failed = checks.iter().any(|c| {
            c.line_id == "boom"
                && c.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with(renewd::contain::CRASH_PREFIX))
        });
        good_bought && boom_failed && crash_mails(dir.path()) == 1
    };
    let ok = common::wait_until(Duration::from_secs(20), settled);
    assert!(ok, "checks: {:?}", ledger.last_checks());
    let crashed = renewd::service::health::crashed_lines(ledger.as_ref()).expect("read");
    assert_eq!(crashed.len(), 1, "{crashed:?}");
    assert!(
        crashed[0].contains("line boom") && crashed[0].contains("attempt to add with overflow")
    );
    assert!(!daemon.is_finished(), "the daemon keeps running");
    stop_tx.send(()).expect("daemon listening");
    let result = tokio::time::timeout(Duration::from_secs(15), daemon).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "clean stop: {result:?}");
    // `renewd status` shows the crash on the line.
    let config = dir.path().join("renewd.toml");
    std::fs::write(&config, config_text(dir.path())).expect("write config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_renewd"))
        .args(["-c", config.to_str().expect("utf-8"), "status", "--json"])
        .output()
        .expect("run status");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let boom = &doc["lines"][1];
    assert_eq!(boom["id"], "boom", "{doc}");
    let error = boom["last_check"]["error"].as_str().unwrap_or_default();
    assert!(error.starts_with(renewd::contain::CRASH_PREFIX), "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_reports_the_crashed_line_as_failed_and_mails_once_per_failing_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (config, carriers, ledger) = setup(dir.path());
    let ctx = Ctx {
        config: Arc::new(config),
        carriers: Arc::new(carriers),
        ledger: ledger.clone(),
        dry_run: false,
    };
    for _ in 0..2 {
        let results = renewd::contain::check_lines(&ctx, &[]).await;
        let by_line: Vec<_> = results
            .iter()
            .map(|(id, r)| (id.as_str(), r.as_ref().map(|r| r.decision).ok()))
            .collect();
        assert_eq!(
            by_line[1],
            ("boom", Some(Outcome::CheckFailed)),
            "{by_line:?}"
        );
        assert!(!Outcome::CheckFailed.ok(), "once exits 1 for it");
        assert!(
            by_line[0].1.is_some_and(|d| d != Outcome::CheckFailed),
            "{by_line:?}"
        );
    }
    let outbox = ledger.outbox_counts().expect("counts");
    let mails = ledger.due_messages(chrono::Utc::now(), 100).expect("due");
    let crash: Vec<_> = mails
        .iter()
        .filter(|m| m.draft.key.starts_with("checkfail:boom"))
        .collect();
    assert_eq!(
        crash.len(),
        1,
        "one failure email per failing run: {outbox:?}"
    );
}
