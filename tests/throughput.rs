//! A fleet due at once against a local 1NCE server that enforces the documented `/sims`
//! limit (10 a second): the real daemon checks every line in turn, none fails as rate
//! limited and the server answers no 429, also when two carrier sections share the
//! account; a 429 with `Retry-After` pauses every later request. Behaviour only; the figures are `cargo bench --bench throughput`'s.

#[allow(dead_code)]
#[path = "common/fake.rs"]
mod fake;
#[allow(dead_code)]
#[path = "common/onence_server.rs"]
mod onence_server;

use std::path::PathBuf;
use std::time::Duration;

use fake::Canned;
use onence_server::{PASSWORD, Server, USER, documented_sims_limit};

const LINES: usize = 40;
const LATENCY: Duration = Duration::from_millis(50);

struct Fleet {
    server: Server,
    dir: tempfile::TempDir,
    listen: String,
}

impl Fleet {
    /// The server (any ICCID, 50 ms a reply, 10 a second on `/sims`) and a config of
    /// `LINES` lines never checked, so all are due at start; `extra` goes in the carrier.
    async fn start(extra: &str) -> Self {
        let server = Server::start().await;
        server.with(|s| {
            s.any_iccid = true;
            s.latency = LATENCY;
            s.sims_limit = Some(documented_sims_limit(10));
        });
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .to_string();
        let fleet = Fleet {
            server,
            dir: tempfile::tempdir().unwrap(),
            listen,
        };
        std::fs::write(fleet.config(), fleet.toml(extra)).unwrap();
        fleet
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("renewd.toml")
    }

    fn toml(&self, extra: &str) -> String {
        let mut t = format!(
            "[daemon]\nstate_dir = {:?}\nmax_concurrent_checks = 16\nlisten = \"{}\"\n\
             [carriers.iot]\ntype = \"1nce\"\nusername = \"{USER}\"\npassword_env = \"TEST_1NCE_PASSWORD\"\n\
             base_url = \"{}\"\n{extra}\n[policies.p]\ndata_below = \"1 MB\"\ntopup_amount = \"10.00 EUR\"\n",
            self.dir.path().join("state"),
            self.listen,
            self.server.base
        );
        for i in 0..LINES {
            t.push_str(&format!(
                "[[lines]]\nid = \"sim-{i:03}\"\ncarrier = \"iot\"\niccid = \"89882280000000{i:05}\"\npolicy = \"p\"\n"
            ));
        }
        t
    }

    /// `renewd run`, its log in the temp folder.
    fn run(&self) -> tokio::process::Child {
        let log = std::fs::File::create(self.dir.path().join("daemon.log")).unwrap();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_renewd"))
            .arg("-c")
            .arg(self.config())
            .arg("run")
            .env("TEST_1NCE_PASSWORD", PASSWORD)
            .env("RUST_LOG", "info")
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// Waits (at most 30 s) until `/metrics` says every line was checked; returns the page.
    async fn all_checked(&self) -> String {
        let url = format!("http://{}/metrics", self.listen);
        let want = format!("renewd_lines_checked {LINES}\n");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut page = String::new();
        while tokio::time::Instant::now() < deadline {
            if let Ok(r) = reqwest::get(&url).await {
                page = r.text().await.unwrap_or_default();
                if page.contains(&want) {
                    return page;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("not every line checked in 30 s:\n{page}\n{}", self.log());
    }
}

/// Stops the daemon (SIGTERM) and waits for it.
async fn stop(mut child: tokio::process::Child) {
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let st = tokio::time::timeout(Duration::from_secs(15), child.wait()).await;
    assert!(st.expect("stops").unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_due_at_once_are_checked_in_turn_without_a_429() {
    let f = Fleet::start("").await;
    let daemon = f.run();
    let page = f.all_checked().await;
    stop(daemon).await;
    assert!(page.contains("renewd_lines_failing 0\n"), "{page}");
    assert!(!page.contains("outcome=\"check_failed\""), "{page}");
    assert!(
        page.contains("renewd_carrier_rate_limited_total{carrier=\"iot\"} 0\n"),
        "{page}"
    );
    let hits = f.server.with(|s| s.quota_hits.clone());
    assert_eq!(hits.len(), LINES, "each line read once");
    assert!(hits.iter().all(|h| h.status == 200), "{hits:?}");
    assert_eq!(f.server.with(|s| s.limited), 0, "no 429 from the server");
    assert!(!f.log().contains("rate limited"), "{}", f.log());
}

/// The client's own limit raised out of the way, so only the pause can hold requests back.
#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_pauses_every_later_request() {
    let f = Fleet::start("max_requests_per_second = 1000").await;
    f.server.with(|s| s.sims_limit = None);
    let busy = Canned::new(429, r#"{"message":"Too Many Requests"}"#).header("retry-after", "1");
    f.server.queue("quota", busy);
    let daemon = f.run();
    let page = f.all_checked().await;
    stop(daemon).await;
    assert!(page.contains("renewd_lines_failing 0\n"), "{page}");
    assert!(
        page.contains("renewd_carrier_rate_limited_total{carrier=\"iot\"} 1\n"),
        "{page}"
    );
    let hits = f.server.with(|s| s.quota_hits.clone());
    let limited: Vec<_> = hits.iter().filter(|h| h.status == 429).collect();
    assert_eq!(limited.len(), 1, "{hits:?}");
    assert_eq!(hits.len(), LINES + 1, "the refused read was sent again");
    // The 429 left the server at once: from then on nothing arrives for the second it
    // asked for, but requests already on their way when it reached the daemon (sent in the
    // same burst, within a few ms; a request sent after a 200 would come `LATENCY` later).
    let replied = limited[0].at;
    let on_their_way = replied + LATENCY / 2;
    let during: Vec<_> = hits
        .iter()
        .filter(|h| h.at >= on_their_way && h.at < replied + Duration::from_secs(1))
        .collect();
    assert!(during.is_empty(), "requests during the pause: {during:?}");
    assert!(
        hits.iter()
            .any(|h| h.at >= replied + Duration::from_secs(1)),
        "the rest came after it: {hits:?}"
    );
}

/// Two carrier sections on one 1NCE account count against its one limit: every line is
/// checked and the server, enforcing 10 a second for the account, answers no 429.
#[tokio::test(flavor = "multi_thread")]
async fn two_sections_on_one_account_share_its_limit() {
    let f = Fleet::start("").await;
    let one = f.toml("");
    let second = one
        .split("[policies.p]")
        .next()
        .and_then(|head| head.split("[carriers.iot]").nth(1))
        .map(|section| format!("[carriers.iot2]{section}"))
        .unwrap();
    let mut half = 0;
    let both: String = one
        .replace("[policies.p]", &format!("{second}[policies.p]"))
        .split_inclusive('\n')
        .map(|l| match l {
            "carrier = \"iot\"\n" => {
                half += 1;
                if half % 2 == 0 {
                    "carrier = \"iot2\"\n"
                } else {
                    l
                }
            }
            _ => l,
        })
        .collect();
    assert!(both.contains("carrier = \"iot2\""), "{both}");
    std::fs::write(f.config(), both).unwrap();
    let daemon = f.run();
    let page = f.all_checked().await;
    stop(daemon).await;
    assert!(page.contains("renewd_lines_failing 0\n"), "{page}");
    assert_eq!(f.server.with(|s| s.limited), 0, "no 429 from the server");
    let hits = f.server.with(|s| s.quota_hits.clone());
    assert_eq!(hits.len(), LINES, "each line read once");
}
