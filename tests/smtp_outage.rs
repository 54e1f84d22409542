//! A wrong SMTP password with the real binary and a real SMTP server (aiosmtpd) on
//! loopback: receipts stay queued (never dead), `status`, `/healthz`, `outbox` and
//! `test-email` say why; after the password file is fixed and SIGHUP, every receipt
//! arrives exactly once with its own Message-ID. No password shows anywhere.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::{Env, stderr, stdout, wait_until};
use smtp::{Options, SmtpServer};

/// A distinctive wrong password: must appear in no output and no file.
const CANARY: &str = "CANARY-smtp-pw-7Qx91";
const LINES: usize = 3;

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn config(smtp_url: &str, password_file: &Path, port: u16) -> String {
    let mut body = format!(
        r#"listen = "127.0.0.1:{port}"

[email]
smtp_url = "{smtp_url}"
username = "{user}"
password_file = "{pw}"
from = "renewd <renewd@example.org>"
to = ["me@example.com"]

[carriers.sim]
type = "simulated"
balance = "4.00 USD"
"#,
        user = smtp::USER,
        pw = password_file.display()
    );
    for i in 0..LINES {
        body.push_str(&format!(
            "\n[[lines]]\nid = \"line-{i}\"\ncarrier = \"sim\"\ncheck = \"every 6h\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n"
        ));
    }
    body
}

/// GET over HTTP/1.1: (status, body), or None while nothing listens.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((head.split(' ').nth(1)?.parse().ok()?, body.to_string()))
}

fn outbox(env: &Env) -> serde_json::Value {
    let out = env.renewd(&["outbox", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("outbox --json")
}

/// Every file under `dir`, as lossy text.
fn files_text(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_text(&p, into);
        } else if let Ok(bytes) = std::fs::read(&p) {
            into.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_password_pauses_mail_and_a_reload_delivers_every_receipt_once() {
    let server = SmtpServer::start(Options {
        auth: true,
        ..Options::default()
    });
    let port = free_port();
    let secrets = tempfile::tempdir().unwrap();
    let pw = secrets.path().join("smtp-password");
    std::fs::write(&pw, format!("{CANARY}\n")).unwrap();
    let env = Env::new(&config(&server.url(), &pw, port));
    let mut seen = String::new();

    let d = env.spawn_daemon();
    d.wait_log("email delivery paused", 60);
    assert!(
        wait_until(Duration::from_secs(60), || {
            outbox(&env)["messages"].as_array().unwrap().len() == LINES
        }),
        "{}",
        d.log_text()
    );
    let ob = outbox(&env);
    seen.push_str(&ob.to_string());
    for m in ob["messages"].as_array().unwrap() {
        assert_eq!(
            (m["state"].as_str(), m["kind"].as_str()),
            (Some("queued"), Some("receipt")),
            "{m}"
        );
    }
    assert!(
        ob["paused"]["reason"].as_str().unwrap().contains("535"),
        "{ob}"
    );

    let status = env.renewd(&["status"]);
    seen.push_str(&stdout(&status));
    seen.push_str(&stderr(&status));
    assert!(
        stdout(&status).contains("EMAIL PAUSED"),
        "{}",
        stdout(&status)
    );
    assert!(
        stdout(&status).contains(&format!("{LINES} queued")),
        "{}",
        stdout(&status)
    );

    let (code, body) = get(port, "/healthz").expect("healthz");
    seen.push_str(&body);
    assert_eq!(code, 503, "{body}");
    assert!(
        body.starts_with("degraded: email delivery paused") && body.contains("535"),
        "{body}"
    );

    let test = env.renewd(&["test-email"]);
    seen.push_str(&stdout(&test));
    seen.push_str(&stderr(&test));
    assert_eq!(test.status.code(), Some(1));
    assert!(
        stderr(&test).contains("refused the login"),
        "{}",
        stderr(&test)
    );

    // Fix the password, reload: the new sender delivers everything, once.
    std::fs::write(&pw, format!("{}\n", smtp::PASSWORD)).unwrap();
    d.signal("HUP");
    let msgs = server.wait_for(LINES, Duration::from_secs(30)).await;
    d.wait_log("email delivery resumed", 30);
    let ids: HashSet<String> = msgs
        .iter()
        .map(|m| {
            let text = String::from_utf8_lossy(m);
            let line = text
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .expect("Message-ID");
            line.split_once(':').unwrap().1.trim().to_string()
        })
        .collect();
    assert_eq!(ids.len(), LINES, "Message-IDs repeat: {ids:?}");
    assert!(
        ids.iter().all(|id| id.ends_with("@example.org>")),
        "{ids:?}"
    );
    let (code, body) = get(port, "/healthz").expect("healthz");
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    assert!(outbox(&env)["messages"].as_array().unwrap().is_empty());

    // Stop; nothing arrives twice.
    let mut d = d;
    d.signal("TERM");
    assert!(d.wait_exit(20).expect("stops").success());
    assert_eq!(server.messages().len(), LINES, "a receipt arrived twice");

    seen.push_str(&d.log_text());
    files_text(&env.state(), &mut seen);
    for m in server.messages() {
        seen.push_str(&String::from_utf8_lossy(&m));
    }
    assert_eq!(seen.matches(CANARY).count(), 0, "the wrong password leaked");
    assert_eq!(
        seen.matches(smtp::PASSWORD).count(),
        0,
        "the password leaked"
    );
}
