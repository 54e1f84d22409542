//! Airtime lines end to end: a Reloadly line renewing by date through `run`, once a month,
//! exactly once; a DingConnect line and a command line through `once`.

// Both fakes bring their own copy of the connection-cutting listener.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "common/ding_server.rs"]
mod ding_server;
#[allow(dead_code)]
#[path = "common/reloadly_server.rs"]
mod reloadly_server;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

fn renewd(config: &Path, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_renewd"));
    c.arg("-c")
        .arg(config)
        .args(args)
        .env("RELOADLY_SECRET", "csecret")
        .env("DING_KEY", "ding-key")
        .kill_on_drop(true);
    c
}

async fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !cond() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// Runs the daemon until `purchases()` reaches `want`, lets it check a few more times,
/// then stops it with SIGTERM.
async fn run_until(config: &Path, want: usize, purchases: impl Fn() -> usize) {
    let mut child = renewd(config, &["run"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(30), || purchases() >= want).await,
        "purchase {want} within 30 s"
    );
    tokio::time::sleep(Duration::from_secs(3)).await; // about three more checks
    assert_eq!(purchases(), want, "bought exactly once");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .unwrap()
            .unwrap()
            .success()
    );
}

/// Moves every top-up of the ledger `days` into the past, as if that time had gone by.
fn age_ledger(state: &Path, days: i64) {
    let db = rusqlite::Connection::open(state.join("ledger.sqlite3")).unwrap();
    let ms = days * 86_400_000;
    db.execute("UPDATE top_ups SET created_at = created_at - ?1, sent_at = sent_at - ?1, settled_at = settled_at - ?1", [ms]).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reloadly_line_on_plan_days_renews_once_a_month_exactly_once() {
    let (url, fake) = reloadly_server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
    let config = dir.path().join("renewd.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[daemon]
state_dir = "{state}"
[carriers.airtime]
type = "reloadly"
client_id = "cid"
client_secret_env = "RELOADLY_SECRET"
base_url = "{url}"
auth_url = "{url}"

[[lines]]
id = "att-prepaid"
name = "My AT&T prepaid"
carrier = "airtime"
number = "+15555550123"
operator_id = 1234
renews_on = "{tomorrow}"
check = "every 1s"
[lines.policy]
expires_within = "2d"
plan_days = 30
topup_amount = "25.00 USD"
monthly_cap = "60.00 USD"
"#,
            state = dir.path().join("state").display()
        ),
    )
    .unwrap();
    let purchases = || fake.lock().unwrap().purchases;
    run_until(&config, 1, purchases).await;
    // A month later (29 days on, the plan ends tomorrow): one more, and only one.
    age_ledger(&dir.path().join("state"), 29);
    run_until(&config, 2, purchases).await;
    let bodies = fake.lock().unwrap().last_body.clone().unwrap();
    assert!(
        bodies["customIdentifier"]
            .as_str()
            .unwrap()
            .starts_with("att-prepaid-"),
        "{bodies}"
    );
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ding_line_and_a_command_line_work_through_once() {
    let (url, fake) = ding_server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("renewd.toml");
    let args_file = dir.path().join("args");
    std::fs::write(
        &config,
        format!(
            r#"
[daemon]
state_dir = "{state}"
[carriers.ding]
type = "dingconnect"
api_key_env = "DING_KEY"
base_url = "{url}"
[carriers.modem]
type = "command"
status = ["{scripts}/status_ok.sh", "{{number}}"]
topup = ["{scripts}/record_args.sh", "{args}", "{{number}}", "{{amount}}", "{{reference}}"]
timeout = "10s"

[[lines]]
id = "ding-line"
carrier = "ding"
number = "+15555550123"
sku_code = "XXUS12345"
status_from = "modem"
[lines.policy]
balance_below = "6.00 USD"
topup_amount = "10.00 USD"

[[lines]]
id = "modem-line"
carrier = "modem"
number = "+15555550199"
[lines.policy]
balance_below = "6.00 USD"
topup_amount = "25.00 USD"
"#,
            state = dir.path().join("state").display(),
            scripts = scripts().display(),
            args = args_file.display(),
        ),
    )
    .unwrap();
    let out: Output = renewd(&config, &["once", "--dry-run", "--json"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = fake.lock().map(|f| (f.validations, f.purchases)).unwrap();
    assert_eq!(seen, (1, 0), "dry run validates at Ding, buys nothing");
    assert!(!args_file.exists(), "dry run ran no topup program");

    let out = renewd(&config, &["once", "--json"]).output().await.unwrap();
    let reports: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        out.status.success(),
        "{reports:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        reports
            .iter()
            .all(|r| r["decision"] == "topup" && r["topup"]["state"] == "confirmed"),
        "{reports:?}"
    );
    assert_eq!(fake.lock().unwrap().purchases, 1);
    let args = std::fs::read_to_string(&args_file).unwrap();
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(&lines[..2], &["+15555550199", "25.00"], "{args}");
    assert!(
        lines[2].starts_with("modem-line-"),
        "the reference is passed: {args}"
    );
    let modem = reports.iter().find(|r| r["line"] == "modem-line").unwrap();
    assert_eq!(modem["topup"]["provider_ref"], "cmd-77");
}
