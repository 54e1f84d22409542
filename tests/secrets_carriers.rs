//! Carrier secrets canary: a distinctive secret for every carrier type, fake servers that
//! echo the whole request (headers with the bearer token or API key, the form with the
//! client secret) into 4xx/5xx bodies, token endpoints that answer with a canary token or
//! a cut-off reply holding it. No canary may appear in any `CarrierError` (Display, Debug).

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use renewd::carriers::{Carrier, Order};
use renewd::config::TopUpChoice;
use renewd::model::Offer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Secrets as configured: short plain words too (no "token-like" look to give them away).
const CANARIES: &[&str] = &[
    "airalo-secret-canary",
    "pw-canary-1nce",
    "reloadly-csecret-canary",
    "dingkey-canary",
    TOKEN,
];
/// What the token endpoints hand out.
const TOKEN: &str = "tok-canary-bearer";

/// How the fake answers: token requests, then every other request.
#[derive(Clone, Copy, Debug)]
enum Token {
    /// A valid token reply for every provider's shape, with the canary token.
    Good,
    /// A reply cut off in the middle, after the token.
    Cut,
    /// The echo, like any other request.
    Echo,
}

#[derive(Clone, Copy, Debug)]
struct Mode {
    token: Token,
    status: u16,
}

/// A server on 127.0.0.1 answering with `mode`; the body echoes the request.
async fn echo_server(mode: Arc<Mutex<Mode>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mode = *mode.lock().unwrap();
            tokio::spawn(async move {
                let request = read_request(&mut sock).await;
                let head = request.lines().next().unwrap_or_default().to_lowercase();
                let is_token = head.contains("token") || head.contains("oauth");
                let (status, body) = match (is_token, mode.token) {
                    (true, Token::Good) => (
                        200,
                        format!(
                            r#"{{"access_token":"{TOKEN}","expires_in":3600,"token_type":"bearer","status_code":200,"data":{{"access_token":"{TOKEN}","expires_in":3600}}}}"#
                        ),
                    ),
                    (true, Token::Cut) => (
                        200,
                        format!(r#"{{"data":{{"access_token":"{TOKEN}","expires_in":36"#),
                    ),
                    _ => (mode.status, echo_body(&request)),
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

/// The request as every documented error field: message, reason, code, Context...
fn echo_body(request: &str) -> String {
    let r = serde_json::Value::String(request.to_string());
    format!(
        r#"{{"message":{r},"reason":{r},"code":{r},"errorCode":{r},"error_token":{r},"meta":{{"message":{r}}},"data":{{"field":{r}}},"ResultCode":4,"ErrorCodes":[{{"Code":"ParameterInvalid","Context":{r}}}]}}"#
    )
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = sock.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn config(url: &str, dir: &Path) -> String {
    format!(
        r#"
[daemon]
state_dir = "{state}"
[carriers.air]
type = "airalo"
client_id = "cid"
client_secret = "airalo-secret-canary"
base_url = "{url}"
timeout = "2s"
[carriers.iot]
type = "1nce"
username = "user"
password = "pw-canary-1nce"
base_url = "{url}"
timeout = "2s"
[carriers.rl]
type = "reloadly"
client_id = "cid"
client_secret = "reloadly-csecret-canary"
base_url = "{url}"
auth_url = "{url}"
timeout = "2s"
[carriers.ding]
type = "dingconnect"
api_key = "dingkey-canary"
base_url = "{url}"
timeout = "2s"
[[lines]]
id = "air"
carrier = "air"
iccid = "8910300000000000001"
[lines.policy]
data_below = "1 GB"
topup_package = "pkg-1"
[[lines]]
id = "iot"
carrier = "iot"
iccid = "8988228000000000001"
[lines.policy]
data_below = "10 MB"
topup_amount = "10.00 EUR"
[[lines]]
id = "rl"
carrier = "rl"
number = "+15555550123"
[lines.policy]
expires_within = "2d"
plan_days = 30
topup_amount = "15.00 USD"
[[lines]]
id = "ding"
carrier = "ding"
number = "+15555550124"
sku_code = "XXUS1"
[lines.policy]
expires_within = "2d"
plan_days = 30
topup_amount = "10.00 USD"
"#,
        state = dir.display()
    )
}

/// Every file under `dir`, the ledger database included, as bytes.
fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p.display().to_string(), b));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_shows_and_stores_no_carrier_secret() {
    let mode = Arc::new(Mutex::new(Mode {
        token: Token::Good,
        status: 400,
    }));
    let url = echo_server(mode.clone()).await;
    let env = common::Env::new("");
    let body = config(&url, Path::new("/unused"));
    let body = body
        .split_once("[carriers.air]")
        .map(|(_, rest)| format!("[carriers.air]{rest}"))
        .unwrap();
    env.write_config(&body);
    let mut outputs = Vec::new();
    for token in [Token::Good, Token::Cut, Token::Echo] {
        for status in [400, 401, 422, 500, 502] {
            *mode.lock().unwrap() = Mode { token, status };
            for args in [
                &["once"][..],
                &["status"],
                &["history"],
                &["check"],
                &["status", "--json"],
            ] {
                let out = tokio::task::block_in_place(|| {
                    env.command(args).env("RUST_LOG", "debug").output().unwrap()
                });
                let what = format!("renewd {args:?} {token:?} HTTP {status}");
                outputs.push((format!("{what} stdout"), out.stdout));
                outputs.push((format!("{what} stderr"), out.stderr));
            }
        }
    }
    let mut stored = Vec::new();
    files(&env.state(), &mut stored);
    assert!(
        stored.iter().any(|(p, _)| p.ends_with(".eml")),
        "emails were written: {:?}",
        stored.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    let all: Vec<_> = outputs.into_iter().chain(stored).collect();
    let mut hits = 0;
    for (what, bytes) in &all {
        let text = String::from_utf8_lossy(bytes);
        for c in CANARIES {
            if text.contains(c) {
                hits += 1;
                eprintln!("{what} contains {c:?}");
            }
        }
    }
    assert_eq!(
        hits,
        0,
        "canary occurrences in {} outputs and files",
        all.len()
    );
    let errors = all
        .iter()
        .filter(|(w, b)| w.ends_with("stdout") && String::from_utf8_lossy(b).contains("HTTP"))
        .count();
    eprintln!(
        "scanned {} outputs and state files; {errors} outputs reported carrier errors; 0 canaries",
        all.len()
    );
}

fn assert_clean(what: &str, text: &str) {
    for c in CANARIES {
        assert!(!text.contains(c), "{what} leaks {c:?}: {text}");
    }
}

#[tokio::test]
async fn no_carrier_error_carries_a_secret() {
    let mode = Arc::new(Mutex::new(Mode {
        token: Token::Good,
        status: 400,
    }));
    let url = echo_server(mode.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = renewd::config::from_str(&config(&url, dir.path()), Path::new("t.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut errors = 0;
    for token in [Token::Good, Token::Cut, Token::Echo] {
        for status in [400, 401, 403, 404, 409, 422, 429, 500, 502, 503] {
            *mode.lock().unwrap() = Mode { token, status };
            // A fresh build: no token cached from an earlier mode.
            let carriers = renewd::carriers::build(&cfg.carriers, dir.path()).unwrap();
            for line in &cfg.lines {
                let c: &Arc<dyn Carrier> = &carriers[&line.carrier];
                let offer = Offer {
                    amount: match &line.policy.topup {
                        TopUpChoice::Amount(a) => *a,
                        _ => "5.00 USD".parse().unwrap(),
                    },
                    package: Some("pkg-1".into()),
                    label: None,
                };
                let order = Order {
                    reference: format!("ref-{}", line.id),
                    offer: offer.clone(),
                    created_at: Utc::now(),
                    provider_ref: Some("123".into()),
                    before: None,
                };
                let results = [
                    c.status(line).await.err(),
                    c.quote(line, &line.policy.topup).await.err(),
                    c.dry_run(line, &offer).await.err(),
                    c.top_up(line, &order).await.err(),
                    c.lookup(line, &order).await.err(),
                ];
                for e in results.into_iter().flatten() {
                    errors += 1;
                    let what = format!("{} {token:?} HTTP {status}", line.id);
                    assert_clean(&what, &e.to_string());
                    assert_clean(&what, &format!("{e:?}"));
                }
            }
        }
    }
    assert!(errors > 300, "the paths were driven into errors ({errors})");
}
