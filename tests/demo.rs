//! The README's first command: the demo config tops up and writes receipts within a minute.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::wait_until;

#[test]
fn the_demo_buys_and_writes_receipts_within_a_minute() {
    let dir = tempfile::tempdir().unwrap();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml");
    // The demo keeps its state next to itself (config/state): copy it into a temp clone and
    // run it from the clone's root, as the README says.
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::copy(demo, dir.path().join("config/demo.toml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_renewd"))
        .args(["-c", "config/demo.toml", "run"])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let outbox = dir.path().join("config/state/outbox");
    let receipts = || {
        std::fs::read_dir(&outbox).map_or(0, |d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("receipt"))
                .count()
        })
    };
    let ok = wait_until(Duration::from_secs(60), || receipts() >= 2);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(ok, "the demo wrote {} receipts in 60 s", receipts());
    assert!(status.success());
}
