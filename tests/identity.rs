//! A line is its SIM: config changes while a top-up is open (rename, move to another
//! carrier section, new amount or caps, removal) never buy it twice, and caps follow the
//! SIM. Real binary against a local server speaking the Airalo API.

#[allow(dead_code)]
#[path = "common/airalo_server.rs"]
mod airalo_server;
#[allow(dead_code)]
#[path = "common/fake.rs"]
mod fake;

use std::process::Output;

use fake::Canned;
use serde_json::{Value, json};

struct Env {
    airalo: airalo_server::Server,
    dir: tempfile::TempDir,
}

/// One Airalo line; `id`, `section` and the policy's extra keys vary per test.
struct Line<'a> {
    id: &'a str,
    section: &'a str,
    policy: &'a str,
}

const BUY: Line = Line {
    id: "travel-esim",
    section: "travel",
    policy: "",
};

impl Env {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), airalo_server::SECRET).unwrap();
        Env {
            airalo: airalo_server::Server::start().await,
            dir,
        }
    }

    /// Writes the config with `lines` (none: the line was removed).
    fn config(&self, lines: &[Line]) {
        let mut text = format!(
            "[daemon]\nstate_dir = \"{}\"\n",
            self.dir.path().join("state").display()
        );
        for section in ["travel", "esim"] {
            text += &format!(
                "[carriers.{section}]\ntype = \"airalo\"\nclient_id = \"cid\"\n\
                 client_secret_file = \"{}\"\nbase_url = \"{}\"\n",
                self.dir.path().join("secret").display(),
                self.airalo.base
            );
        }
        for l in lines {
            text += &format!(
                "[[lines]]\nid = \"{}\"\ncarrier = \"{}\"\niccid = \"{}\"\n[lines.policy]\n\
                 data_below = \"1 GB\"\ntopup_package = \"{}\"\n{}\n",
                l.id,
                l.section,
                airalo_server::ICCID,
                airalo_server::PACKAGE,
                l.policy
            );
        }
        std::fs::write(self.dir.path().join("renewd.toml"), text).unwrap();
    }

    async fn renewd(&self, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_renewd"))
            .arg("-c")
            .arg(self.dir.path().join("renewd.toml"))
            .args(args)
            .output()
            .await
            .unwrap()
    }

    /// `once --json`: the decision for `line`.
    async fn once(&self, line: &str) -> String {
        let out = self.renewd(&["once", "--json"]).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["line"] == line)
            .map(|r| r["decision"].as_str().unwrap().to_string())
            .unwrap_or_else(|| {
                format!("no report: {text} {}", String::from_utf8_lossy(&out.stderr))
            })
    }

    fn posts(&self) -> usize {
        self.airalo.with(|f| f.order_posts.len())
    }

    async fn history(&self) -> Vec<Value> {
        let out = self.renewd(&["history", "--json"]).await;
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["topups"].as_array().unwrap().clone()
    }

    fn usage(&self, remaining_mb: i64) {
        self.airalo.with(|f| {
            f.usage_body = Some(json!({"remaining": remaining_mb, "total": 3072,
                "expired_at": "2027-04-01 00:00:00", "is_unlimited": false, "status": "ACTIVE"}))
        });
    }
}

/// The order's reply is lost (a 500 before anything was placed) and no lookup finds it:
/// the top-up stays unknown through every config change, and nothing else is bought.
#[tokio::test(flavor = "multi_thread")]
async fn config_changes_while_unknown_never_buy_again() {
    let env = Env::start().await;
    env.config(&[BUY]);
    env.airalo
        .queue("order", Canned::new(500, r#"{"message":"Server Error"}"#));
    assert_eq!(env.once("travel-esim").await, "unknown");
    assert_eq!(env.posts(), 1);
    let changes = [
        Line {
            id: "renamed",
            ..BUY
        },
        Line {
            section: "esim",
            ..BUY
        },
        Line {
            policy: "topup_amount = \"20.00 USD\"\nmonthly_cap = \"500.00 USD\"",
            ..BUY
        },
        Line {
            id: "again",
            section: "esim",
            policy: "",
        },
    ];
    for line in changes {
        env.config(&[Line { ..line }]);
        let decision = env.once(line.id).await;
        assert_ne!(decision, "topup", "{}/{}", line.id, line.section);
        assert_eq!(
            env.posts(),
            1,
            "bought again after {}/{}",
            line.id,
            line.section
        );
    }
    // Under the new name, history finds the SIM's top-up bought under the old one.
    let rows = env.renewd(&["history", "--json", "--line", "again"]).await;
    let doc: Value = serde_json::from_slice(&rows.stdout).unwrap();
    assert_eq!(doc["topups"][0]["line"], "travel-esim", "{doc}");
    assert_eq!(doc["topups"][0]["state"], "unknown", "{doc}");
}

/// A line removed while its top-up is unknown: `status` still shows the top-up, and the
/// next `once` looks it up at its carrier and confirms it.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_line_keeps_its_open_top_up_reconciled() {
    let env = Env::start().await;
    env.config(&[BUY]);
    env.airalo
        .with(|f| f.order_mode = airalo_server::OrderMode::PlacedThen500);
    assert_eq!(env.once("travel-esim").await, "unknown");
    env.config(&[]);
    let status = env.renewd(&["status", "--json"]).await;
    let doc: Value = serde_json::from_slice(&status.stdout).unwrap();
    let open = doc["unconfigured_open_topups"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{doc}");
    assert_eq!(open[0]["line"], "travel-esim");
    let table = env.renewd(&["status"]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    let id = open[0]["id"].to_string();
    assert!(
        text.contains(&format!("OPEN top-up #{id} unknown"))
            && text.contains(&format!("renewd resolve {id} --paid|--failed")),
        "{text}"
    );

    let out = env.renewd(&["once"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = env.history().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "confirmed", "{rows:?}");
    assert_eq!(env.posts(), 1);
}

/// The line cap counts the SIM's spend this month, whatever the line was called.
#[tokio::test(flavor = "multi_thread")]
async fn the_line_cap_follows_the_sim_through_a_rename() {
    let env = Env::start().await;
    let capped = "monthly_cap = \"10.00 USD\"";
    env.config(&[Line {
        policy: capped,
        ..BUY
    }]);
    assert_eq!(env.once("travel-esim").await, "topup"); // 8.00 USD (net price)
    env.usage(3000); // the carrier shows the top-up
    assert_eq!(env.once("travel-esim").await, "hold");
    env.usage(500); // used up again, under a new name
    env.config(&[Line {
        id: "renamed",
        policy: capped,
        ..BUY
    }]);
    assert_eq!(env.once("renamed").await, "blocked");
    assert_eq!(env.posts(), 1);
}

/// A confirmed top-up that the carrier never shows: the line waits, and says so once.
#[tokio::test(flavor = "multi_thread")]
async fn a_top_up_that_never_shows_is_not_bought_again() {
    let env = Env::start().await;
    env.config(&[Line { policy: "", ..BUY }]);
    assert_eq!(env.once("travel-esim").await, "topup");
    // Past the settle time (Airalo's 25 minutes), the usage still reads 767 MB.
    age_ledger(&env, 3600);
    for _ in 0..3 {
        assert_eq!(env.once("travel-esim").await, "wait");
    }
    assert_eq!(env.posts(), 1);
    let warnings: Vec<_> = std::fs::read_dir(env.dir.path().join("state/outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("stuck"))
        .collect();
    assert_eq!(warnings.len(), 1, "warned once");
}

/// Moves every stored time back by `secs`, as if that much time had passed.
fn age_ledger(env: &Env, secs: i64) {
    let db = rusqlite::Connection::open(env.dir.path().join("state/ledger.sqlite3")).unwrap();
    let ms = secs * 1000;
    db.execute_batch(&format!(
        "UPDATE top_ups SET created_at = created_at - {ms}, sent_at = sent_at - {ms}, \
         settled_at = settled_at - {ms}; UPDATE observations SET at = at - {ms};"
    ))
    .unwrap();
}
