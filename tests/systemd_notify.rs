//! `renewd run` under a fake service manager: a unix datagram socket as NOTIFY_SOCKET
//! receives READY, STATUS, WATCHDOG, RELOADING/READY around SIGHUP and STOPPING on SIGTERM;
//! with JOURNAL_STREAM naming its stderr, log lines carry `<N>` priorities, no timestamps.

mod common;

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Daemon, Env};

fn config(lines: &[&str]) -> String {
    let mut body = "[carriers.sim]\ntype = \"simulated\"\nbalance = \"4.00 USD\"\n".to_string();
    for id in lines {
        body.push_str(&format!(
            "\n[[lines]]\nid = \"{id}\"\ncarrier = \"sim\"\ncheck = \"every 6h\"\n[lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n"
        ));
    }
    body
}

/// The fake service manager's end: every datagram received so far, in order.
struct Manager {
    sock: UnixDatagram,
    got: Vec<String>,
}

impl Manager {
    /// Receives until some message after index `from` satisfies `want`; returns its index.
    fn wait_for(&mut self, from: usize, what: &str, want: impl Fn(&str) -> bool) -> usize {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(i) = (from..self.got.len()).find(|&i| want(&self.got[i])) {
                return i;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within 20 s; got {:#?}",
                self.got
            );
            let mut buf = [0u8; 4096];
            if let Ok(n) = self.sock.recv(&mut buf) {
                self.got
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
    }
}

/// Starts `renewd run` with NOTIFY_SOCKET, WATCHDOG_USEC = 1 s and JOURNAL_STREAM set to
/// its stderr's device:inode (no WATCHDOG_PID: the pid is not known before the spawn).
fn start(env: &Env) -> (Daemon, Manager) {
    let path = env.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind notify socket");
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let log = env.dir.path().join("daemon.log");
    let file = std::fs::File::create(&log).expect("log file");
    let meta = file.metadata().unwrap();
    let child = env
        .command(&["run"])
        .env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "1000000")
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn renewd run");
    (
        Daemon { child, log },
        Manager {
            sock,
            got: Vec::new(),
        },
    )
}

#[test]
fn notify_protocol_through_start_reload_and_stop() {
    let env = Env::new(&config(&["phone"]));
    let (mut d, mut m) = start(&env);

    let ready = m.wait_for(0, "READY=1", |s| s.lines().any(|l| l == "READY=1"));
    m.wait_for(0, "a status naming one line", |s| {
        s.contains("STATUS=1 line, next check")
    });
    let first = m.wait_for(ready, "WATCHDOG=1", |s| s == "WATCHDOG=1\n");
    m.wait_for(first + 1, "a second WATCHDOG=1", |s| s == "WATCHDOG=1\n");

    env.write_config(&config(&["phone", "tablet"]));
    d.signal("HUP");
    let reloading = m.wait_for(0, "RELOADING=1", |s| s.starts_with("RELOADING=1\n"));
    let usec: u64 = m.got[reloading]
        .lines()
        .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("RELOADING=1 without MONOTONIC_USEC: {:?}", m.got[reloading]));
    assert!(usec > 0);
    m.wait_for(reloading, "READY=1 after the reload", |s| s == "READY=1\n");
    m.wait_for(reloading, "a status naming two lines", |s| {
        s.starts_with("STATUS=2 lines, next check")
    });

    std::fs::write(env.config(), "[daemon]\nbogus = 1\n").unwrap();
    d.signal("HUP");
    let refused = m.wait_for(reloading + 1, "RELOADING=1", |s| {
        s.starts_with("RELOADING=1\n")
    });
    m.wait_for(refused, "READY=1 after a refused reload", |s| {
        s.starts_with("READY=1\nSTATUS=reload refused")
    });

    d.signal("TERM");
    m.wait_for(refused, "STOPPING=1", |s| s.starts_with("STOPPING=1\n"));
    let st = d.wait_exit(15).expect("stopped within 15 s");
    assert!(st.success(), "exit {st:?}:\n{}", d.log_text());

    let log = d.log_text();
    assert!(log.contains("<6>renewd running lines=1\n"), "{log}");
    assert!(log.contains("<3>reload refused"), "{log}");
    for line in log.lines() {
        assert!(
            line.starts_with('<'),
            "a journald line without a priority: {line:?}\n{log}"
        );
        assert!(
            !line.contains("Z "),
            "a journald line with a timestamp: {line:?}"
        );
    }
}

#[test]
fn without_notify_socket_nothing_is_sent_and_logs_keep_timestamps() {
    let env = Env::new(&config(&["phone"]));
    let mut d = env.spawn_daemon();
    d.wait_log("renewd running", 20);
    d.signal("TERM");
    assert!(d.wait_exit(15).expect("stopped").success());
    let log = d.log_text();
    assert!(!log.contains("cannot notify systemd"), "{log}");
    assert!(log.lines().all(|l| !l.starts_with('<')), "{log}");
}
