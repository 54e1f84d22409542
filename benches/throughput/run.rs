//! One scenario: the fake provider with its latency and enforced limit, a config of N lines
//! all due at start, `renewd run` as a child until every line was read, then the figures.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fake::Hit;
use crate::{CONCURRENCY, LATENCY, airalo_server, onence_server};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    OneNce,
    Airalo,
}

pub struct Scenario {
    pub name: &'static str,
    pub kind: Kind,
    pub lines: usize,
    /// Requests a second the server accepts (429 beyond).
    pub server_limit: usize,
    /// The carrier's `max_requests_per_second`, when set.
    pub client_limit: Option<u32>,
}

pub struct Row {
    pub name: &'static str,
    pub lines: usize,
    /// Checks a second at best: `CONCURRENCY / LATENCY`, or the server's limit if lower.
    pub bound: f64,
    pub per_sec: f64,
    pub rate_limited: u32,
    /// `renewd_lines_failing` after the round.
    pub failing: u64,
    /// From the first read to the last at the server, in seconds.
    pub took: f64,
}

/// The running fake provider.
enum Server {
    OneNce(onence_server::Server),
    Airalo(airalo_server::Server),
}

impl Server {
    async fn start(s: &Scenario) -> Self {
        match s.kind {
            Kind::OneNce => {
                let server = onence_server::Server::start().await;
                server.with(|f| {
                    f.any_iccid = true;
                    f.latency = LATENCY;
                    f.sims_limit = Some(onence_server::documented_sims_limit(s.server_limit));
                });
                Server::OneNce(server)
            }
            Kind::Airalo => {
                let server = airalo_server::Server::start().await;
                server.with(|f| {
                    f.any_iccid = true;
                    f.latency = LATENCY;
                    f.limits = Some(airalo_server::Limits::documented(s.server_limit));
                    f.usage_body = Some(serde_json::json!({"remaining": 767, "total": 2048,
                        "expired_at": "2099-01-01 00:00:00", "is_unlimited": false, "status": "ACTIVE"}));
                });
                Server::Airalo(server)
            }
        }
    }

    /// The reads so far and the 429s the limit gave.
    fn seen(&self) -> (Vec<Hit>, u32) {
        match self {
            Server::OneNce(s) => s.with(|f| (f.quota_hits.clone(), f.limited)),
            Server::Airalo(s) => s.with(|f| (f.usage_hits.clone(), f.limited)),
        }
    }

    /// The `[carriers.c]` section pointing at this server.
    fn section(&self, client_limit: Option<u32>) -> String {
        let limit = client_limit.map_or(String::new(), |n| {
            format!("max_requests_per_second = {n}\n")
        });
        match self {
            Server::OneNce(s) => format!(
                "[carriers.c]\ntype = \"1nce\"\nusername = \"{}\"\npassword_env = \"RENEWD_BENCH_SECRET\"\nbase_url = \"{}\"\n{limit}\
                 [policies.p]\ndata_below = \"1 MB\"\ntopup_amount = \"10.00 EUR\"\n",
                onence_server::USER,
                s.base
            ),
            Server::Airalo(s) => format!(
                "[carriers.c]\ntype = \"airalo\"\nclient_id = \"bench\"\nclient_secret_env = \"RENEWD_BENCH_SECRET\"\nbase_url = \"{}\"\n{limit}\
                 [policies.p]\ndata_below = \"1 MB\"\ntopup_package = \"{}\"\ntopup_amount = \"10.00 USD\"\n",
                s.base,
                airalo_server::PACKAGE
            ),
        }
    }

    fn secret(&self) -> &'static str {
        match self {
            Server::OneNce(_) => onence_server::PASSWORD,
            Server::Airalo(_) => airalo_server::SECRET,
        }
    }
}

/// Runs one scenario to its end.
pub async fn run(s: &Scenario) -> Row {
    let server = Server::start(s).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let listen = free_port();
    let config = dir.path().join("renewd.toml");
    std::fs::write(&config, toml(s, &server, dir.path(), &listen)).expect("write config");
    let child = daemon(&config, server.secret(), &dir.path().join("daemon.log"));
    let limit = Duration::from_secs(60 + (s.lines / s.server_limit.min(320)) as u64 * 3);
    let all_read = wait(limit, || {
        server.seen().0.iter().filter(|h| h.status == 200).count() >= s.lines
    })
    .await;
    let failing = lines_failing(&listen, s.lines).await;
    stop(child);
    let (hits, rate_limited) = server.seen();
    assert!(
        all_read,
        "{}: only {} of {} lines read within {limit:?}",
        s.name,
        hits.len(),
        s.lines
    );
    let mut ok: Vec<Instant> = hits
        .iter()
        .filter(|h| h.status == 200)
        .map(|h| h.at)
        .collect();
    ok.sort();
    let concurrency = CONCURRENCY as f64 / LATENCY.as_secs_f64();
    Row {
        name: s.name,
        lines: s.lines,
        bound: concurrency.min(s.server_limit as f64),
        per_sec: slope(&ok),
        rate_limited,
        failing,
        took: ok
            .last()
            .zip(ok.first())
            .map_or(0.0, |(l, f)| l.duration_since(*f).as_secs_f64()),
    }
}

fn toml(s: &Scenario, server: &Server, dir: &Path, listen: &str) -> String {
    let mut t = format!(
        "[daemon]\nstate_dir = {:?}\nmax_concurrent_checks = {CONCURRENCY}\nlisten = \"{listen}\"\n{}",
        dir.join("state"),
        server.section(s.client_limit)
    );
    for i in 0..s.lines {
        t.push_str(&format!(
            "[[lines]]\nid = \"sim-{i:06}\"\ncarrier = \"c\"\niccid = \"8988228000{i:09}\"\npolicy = \"p\"\n"
        ));
    }
    t
}

/// `renewd -c CONFIG run`: the binary cargo built, or `RENEWD_BENCH_BIN`.
fn daemon(config: &Path, secret: &str, log: &Path) -> Child {
    let bin =
        std::env::var_os("RENEWD_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_renewd").into());
    Command::new(bin)
        .arg("-c")
        .arg(config)
        .arg("run")
        .env("RENEWD_BENCH_SECRET", secret)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn renewd run")
}

/// SIGTERM, then waits for the daemon to exit.
fn stop(mut child: Child) {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let _ = child.wait();
}

/// Polls `cond` every 50 ms until it holds or `limit` passes.
async fn wait(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// `renewd_lines_failing` once `/metrics` counts every line checked (at most 10 s).
async fn lines_failing(listen: &str, lines: usize) -> u64 {
    let url = format!("http://{listen}/metrics");
    let gauge = |page: &str, name: &str| {
        page.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
    };
    let end = Instant::now() + Duration::from_secs(10);
    let mut page = String::new();
    while Instant::now() < end {
        if let Ok(r) = reqwest::get(&url).await {
            page = r.text().await.unwrap_or_default();
            if gauge(&page, "renewd_lines_checked ") == Some(lines as u64) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    gauge(&page, "renewd_lines_failing ").unwrap_or(u64::MAX)
}

/// Reads a second: the slope of the least-squares line through (arrival time, count),
/// `at` in time order.
fn slope(at: &[Instant]) -> f64 {
    let Some(first) = at.first() else {
        return 0.0;
    };
    let x: Vec<f64> = at
        .iter()
        .map(|t| t.duration_since(*first).as_secs_f64())
        .collect();
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, (n - 1.0) / 2.0);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, xi) in x.iter().enumerate() {
        sxy += (xi - mx) * (i as f64 - my);
        sxx += (xi - mx) * (xi - mx);
    }
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}
