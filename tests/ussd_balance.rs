//! contrib/ussd-balance against a fake `mmcli` on PATH: the reply is parsed into the command
//! carrier's JSON, multi-line replies are read between the first and last quote, the session
//! is always cancelled, and a busy modem is "try again later" (75).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// A fake mmcli that logs its arguments and answers the initiate with `reply` (exit `code`).
fn fake_mmcli(dir: &Path, reply: &str, code: i32) {
    std::fs::write(dir.join("reply"), format!("{reply}\n")).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> \"{log}\"\ncase \"$*\" in\n  *ussd-initiate*) cat \"{reply}\"; exit {code} ;;\n  *ussd-cancel*) echo 'successfully cancelled USSD session' ;;\nesac\n",
        log = dir.join("calls").display(),
        reply = dir.join("reply").display(),
    );
    let path = dir.join("mmcli");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let path = format!("{}:/usr/bin:/bin", dir.display());
    Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/ussd-balance"))
        .args(args)
        .env_clear()
        .env("PATH", path)
        .output()
        .unwrap()
}

fn calls(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("calls")).unwrap_or_default()
}

#[test]
fn a_multi_line_reply_becomes_balance_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    fake_mmcli(
        dir.path(),
        "USSD session initiated; new reply from network: 'Bal: $12.34\nPlan ends 12/15/2026. Reply 1 for 'more''",
        0,
    );
    let out = run(dir.path(), &["--modem", "3", "--code", "*777#"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["balance"], "12.34 USD");
    assert_eq!(v["expiry"], "2026-12-15");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Reply 1 for 'more'"),
        "{v}"
    );
    let log = calls(dir.path());
    assert!(
        log.contains("-m 3") && log.contains("--3gpp-ussd-initiate=*777#"),
        "{log}"
    );
    assert!(
        log.contains("--3gpp-ussd-cancel"),
        "the session is cancelled: {log}"
    );
}

#[test]
fn a_busy_modem_is_retryable_and_still_cancels() {
    let dir = tempfile::tempdir().unwrap();
    fake_mmcli(
        dir.path(),
        "error: couldn't initiate USSD session: 'busy'",
        1,
    );
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(75));
    assert!(calls(dir.path()).contains("--3gpp-ussd-cancel"));
}

#[test]
fn a_reply_without_a_balance_is_a_permanent_error() {
    let dir = tempfile::tempdir().unwrap();
    fake_mmcli(
        dir.path(),
        "USSD session initiated; new reply from network: 'Service unavailable'",
        0,
    );
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no balance matching"));
}
