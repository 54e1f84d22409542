//! Helpers for the integration tests: temp state dirs, the real binary, waiting with deadlines.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A temp folder holding a config file and its state dir.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// A config whose `state_dir` is inside the temp folder; `body` is the rest of the TOML.
    pub fn new(body: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env { dir };
        env.write_config(body);
        env
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("renewd.toml")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn write_config(&self, body: &str) {
        let text = format!(
            "[daemon]\nstate_dir = {:?}\n{body}",
            self.state().display().to_string()
        );
        std::fs::write(self.config(), text).expect("write config");
    }

    /// Runs `renewd -c CONFIG args...` to completion.
    pub fn renewd(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run renewd")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_renewd"));
        c.arg("-c")
            .arg(self.config())
            .args(args)
            // Holds are DEBUG (a fleet would log one per line per round); tests watch them.
            .env("RUST_LOG", "info,renewd::check=debug")
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET");
        c
    }

    /// Starts `renewd run` in the background, its stderr going to `daemon.log`.
    pub fn spawn_daemon(&self) -> Daemon {
        let log = self
            .dir
            .path()
            .join(format!("daemon-{}.log", rand_suffix()));
        let file = std::fs::File::create(&log).expect("log file");
        let child = self
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn renewd run");
        Daemon { child, log }
    }

    /// The `.eml` files in the outbox folder whose names start with `prefix`.
    pub fn outbox(&self, prefix: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.state().join("outbox"))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.retain(|p| {
            p.extension().is_some_and(|e| e == "eml")
                && p.file_name().unwrap().to_string_lossy().starts_with(prefix)
        });
        v.sort();
        v
    }

    /// `renewd history --json` parsed.
    pub fn history(&self) -> Vec<serde_json::Value> {
        let out = self.renewd(&["history", "--json"]);
        assert!(out.status.success(), "history failed: {}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history json");
        doc["topups"].as_array().cloned().unwrap_or_default()
    }
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A running `renewd run` process.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle`; panics with the log after `secs`.
    pub fn wait_log(&self, needle: &str, secs: u64) {
        let ok = wait_until(Duration::from_secs(secs), || {
            self.log_text().contains(needle)
        });
        assert!(
            ok,
            "no {needle:?} in the daemon log within {secs}s:\n{}",
            self.log_text()
        );
    }

    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(st.success(), "kill -{sig} failed");
    }

    /// Waits for the process to exit, at most `secs`.
    pub fn wait_exit(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 20 ms until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}
