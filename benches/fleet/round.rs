//! One round of the daemon: `renewd run` until every line has been checked once, then
//! what it cost (checks per second, resident memory, log lines, a /metrics scrape).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::proc::{reap, renewd, rss_mib, wait_for, wait_for_every};

pub struct Round {
    pub checks_per_sec: f64,
    pub rss_mib: f64,
    pub peak_mib: f64,
    pub log_lines: usize,
    pub metrics_ms: f64,
    pub metrics_kib: f64,
    pub ledger_bytes: u64,
    /// SIGHUP to "config reloaded" in the log, and the checks the reload started at once
    /// (0 when every unchanged line kept its schedule).
    pub reload_secs: f64,
    pub rechecked: u64,
}

/// `count(*)`, first and last check time (ms) in the ledger's `checks` table.
fn progress(db: &Path) -> Option<(u64, i64, i64)> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.busy_timeout(Duration::from_secs(5)).ok()?;
    conn.query_row(
        "SELECT count(*), coalesce(min(at), 0), coalesce(max(at), 0) FROM checks",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

/// Runs the daemon on `config` until `n` lines were checked; `listen` is its /metrics.
pub fn run(config: &Path, state: &Path, n: u64, listen: &str) -> Round {
    let log = state.with_extension("log");
    let child = renewd()
        .arg("-c")
        .arg(config)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn renewd run");
    let pid = child.id();
    let db = state.join("ledger.sqlite3");
    let limit = Duration::from_secs(30 + n / 50);
    let done = wait_for(limit, || progress(&db).is_some_and(|(c, _, _)| c >= n));
    let (count, first, last) = progress(&db).unwrap_or_default();
    assert!(done, "only {count} of {n} lines checked within {limit:?}");
    let (rss, peak) = rss_mib(pid);
    let (metrics_ms, metrics_kib) = scrape(listen);
    let (reload_secs, rechecked) = reload(pid, &log, &db);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    reap(child);
    let span_ms = (last - first).max(1) as f64;
    Round {
        checks_per_sec: (count.saturating_sub(1)) as f64 * 1000.0 / span_ms,
        rss_mib: rss,
        peak_mib: peak,
        log_lines: std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()),
        metrics_ms,
        metrics_kib,
        ledger_bytes: ledger_bytes(&db),
        reload_secs,
        rechecked,
    }
}

/// Sends SIGHUP (the same file: every line unchanged) and times it to the daemon's
/// "config reloaded"; then counts checks made in the next second (none are due).
fn reload(pid: u32, log: &Path, db: &Path) -> (f64, u64) {
    let reloads =
        || std::fs::read_to_string(log).map_or(0, |t| t.matches("config reloaded").count());
    let before = reloads();
    let last_check = progress(db).map_or(0, |(_, _, last)| last);
    let start = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGHUP) };
    let fast = Duration::from_millis(10);
    if !wait_for_every(Duration::from_secs(60), fast, || reloads() > before) {
        return (f64::NAN, 0);
    }
    let secs = start.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(1));
    (secs, rechecked_after(db, last_check))
}

/// Lines whose check time moved past `at` (ms).
fn rechecked_after(db: &Path, at: i64) -> u64 {
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM checks WHERE at > ?1", [at], |r| {
        r.get::<_, i64>(0)
    })
    .map_or(0, |n| n as u64)
}

/// Live bytes of the ledger (pages in use, WAL checkpointed by the daemon's close).
pub fn ledger_bytes(db: &Path) -> u64 {
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return 0;
    };
    let q = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(0);
    let used = q("PRAGMA page_count") - q("PRAGMA freelist_count");
    (used * q("PRAGMA page_size")) as u64
}

/// One GET /metrics: how long it took and how big the page was.
fn scrape(listen: &str) -> (f64, f64) {
    let start = Instant::now();
    let Ok(mut s) = TcpStream::connect(listen) else {
        return (f64::NAN, f64::NAN);
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    let mut body = Vec::new();
    let _ = s.read_to_end(&mut body);
    (
        start.elapsed().as_secs_f64() * 1000.0,
        body.len() as f64 / 1024.0,
    )
}
