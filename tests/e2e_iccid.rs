//! `renewd check`, `once` and `run` against local servers speaking the Airalo and 1NCE APIs.

#[allow(dead_code)]
#[path = "common/airalo_server.rs"]
mod airalo_server;
#[allow(dead_code)]
#[path = "common/fake.rs"]
mod fake;
#[allow(dead_code)]
#[path = "common/onence_server.rs"]
mod onence_server;

use std::process::Output;
use std::time::Duration;

use serde_json::Value;

struct Servers {
    airalo: airalo_server::Server,
    onence: onence_server::Server,
    dir: tempfile::TempDir,
}

impl Servers {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("airalo-secret"), airalo_server::SECRET).unwrap();
        let s = Servers {
            airalo: airalo_server::Server::start().await,
            onence: onence_server::Server::start().await,
            dir,
        };
        std::fs::write(s.config(), s.toml()).unwrap();
        s
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("renewd.toml")
    }

    fn toml(&self) -> String {
        format!(
            r#"
[daemon]
state_dir = "{state}"

[carriers.travel]
type = "airalo"
client_id = "cid"
client_secret_file = "{secret}"
base_url = "{airalo}"

[carriers.iot]
type = "1nce"
username = "{user}"
password_env = "TEST_1NCE_PASSWORD"
base_url = "{onence}"

[[lines]]
id = "travel-esim"
carrier = "travel"
iccid = "{a_iccid}"
check = "every 1s"
[lines.policy]
data_below = "1 GB"
topup_package = "examplemobile-30days-3gb-topup"
topup_amount = "10.00 USD"

[[lines]]
id = "pump-7"
carrier = "iot"
iccid = "{o_iccid}"
check = "every 1s"
[lines.policy]
data_below = "500 MB"
topup_amount = "10.00 EUR"
"#,
            state = self.dir.path().join("state").display(),
            secret = self.dir.path().join("airalo-secret").display(),
            airalo = self.airalo.base,
            onence = self.onence.base,
            user = onence_server::USER,
            a_iccid = airalo_server::ICCID,
            o_iccid = onence_server::ICCID,
        )
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_renewd"));
        c.arg("-c")
            .arg(self.config())
            .args(args)
            .env("TEST_1NCE_PASSWORD", onence_server::PASSWORD)
            .env("RUST_LOG", "info")
            .kill_on_drop(true);
        c
    }

    async fn renewd(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    fn orders(&self) -> (usize, u32) {
        (
            self.airalo.with(|f| f.order_posts.len()),
            self.onence.with(|f| f.topup_posts),
        )
    }

    fn receipts(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("state/outbox")).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("receipt")
            })
            .count()
        })
    }
}

fn reports(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_then_once_buys_exactly_what_the_policy_says() {
    let s = Servers::start().await;
    let check = s.renewd(&["check"]).await;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("travel (airalo)") && text.contains("iot (1nce)"),
        "{text}"
    );

    let out = s.renewd(&["once", "--json"]).await;
    let r = reports(&out);
    assert!(
        out.status.success(),
        "{r:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by = |id: &str| r.iter().find(|x| x["line"] == id).cloned().unwrap();
    assert_eq!(by("travel-esim")["decision"], "topup", "{r:?}");
    assert_eq!(by("pump-7")["decision"], "topup", "{r:?}");
    assert_eq!(s.orders(), (1, 1));
    assert_eq!(s.receipts(), 2);
    let posted = s.airalo.with(|f| f.order_posts[0].clone());
    assert_eq!(posted["package_id"], "examplemobile-30days-3gb-topup");
    assert!(
        posted["description"]
            .as_str()
            .unwrap()
            .contains("travel-esim"),
        "{posted}"
    );

    // Right after: Airalo still shows the cached figure (settle holds it), 1NCE shows the rise.
    let again = s.renewd(&["once", "--json"]).await;
    let r = reports(&again);
    assert_eq!(s.orders(), (1, 1), "nothing bought twice: {r:?}");
    assert_eq!(
        r.iter().find(|x| x["line"] == "travel-esim").unwrap()["decision"],
        "wait"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_buys_once_per_line_and_stops_cleanly() {
    let s = Servers::start().await;
    let mut child = s
        .command(&["run"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while s.receipts() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.receipts(), 2, "two receipts within 30 s");
    tokio::time::sleep(Duration::from_secs(3)).await; // three more checks of each line
    assert_eq!(s.orders(), (1, 1));
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let st = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert!(st.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_the_esim_is_not_offered_buys_nothing_and_warns_once() {
    let s = Servers::start().await;
    let text = s.toml().replace(
        "topup_package = \"examplemobile-30days-3gb-topup\"",
        "topup_package = \"no-such-package\"",
    );
    std::fs::write(s.config(), text).unwrap();
    for _ in 0..2 {
        let out = s.renewd(&["once", "--json", "--line", "travel-esim"]).await;
        assert_eq!(out.status.code(), Some(1));
        let r = reports(&out);
        assert_eq!(r[0]["decision"], "failed", "{r:?}");
        assert!(
            r[0]["detail"].as_str().unwrap().contains("no-such-package"),
            "{r:?}"
        );
    }
    assert_eq!(s.orders(), (0, 0));
    let warnings: Vec<_> = std::fs::read_dir(s.dir.path().join("state/outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("nooffer"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning a day, not one per check");
}
