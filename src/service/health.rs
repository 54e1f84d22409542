//! Is the daemon alive: the scheduler loop's heartbeat and a read-only ledger probe.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::ledger::sqlite::DB_FILE;

/// When the scheduler loop was last seen publishing its snapshot, on the monotonic clock
/// (a wall clock step cannot make a live loop look stuck).
#[derive(Clone, Debug)]
pub struct Liveness {
    /// Updated by the watch loop on every snapshot the scheduler publishes.
    last_seen: Arc<Mutex<Instant>>,
    /// Silent longer than this counts as stuck (a few scheduler ticks).
    stale_after: Duration,
}

impl Liveness {
    /// Starts as seen now: a daemon that just started has not had a chance to be stuck.
    pub fn new(stale_after: Duration) -> Self {
        Self {
            last_seen: Arc::new(Mutex::new(Instant::now())),
            stale_after,
        }
    }

    /// The scheduler loop just ran.
    pub fn seen(&self) {
        if let Ok(mut t) = self.last_seen.lock() {
            *t = Instant::now();
        }
    }

    /// How long since the loop last ran.
    pub fn age(&self) -> Duration {
        self.last_seen
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or(Duration::MAX)
    }

    /// Whether the loop ran within `stale_after`.
    pub fn fresh(&self) -> bool {
        self.age() <= self.stale_after
    }
}

/// Reads the ledger read-only (its own connection, never creating the file, no write
/// lock): `Ok(Some(reason))` when email delivery is paused. The error says what failed.
pub fn probe_ledger(state_dir: &Path) -> Result<Option<String>, String> {
    let path = state_dir.join(DB_FILE);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&path, flags)
        .map_err(|e| format!("cannot open the ledger {}: {e}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(2))
        .and_then(|()| {
            conn.query_row(
                "SELECT (SELECT value || ' (since ' || datetime(at / 1000, 'unixepoch') || ' UTC)' \
                 FROM outbox_state WHERE key = 'paused')",
                [],
                |r| r.get(0),
            )
        })
        .map_err(|e| format!("cannot read the ledger {}: {e}", path.display()))
}

/// Lines whose last check crashed (a panic, contained by `contain`): `line: error` each.
pub fn crashed_lines(ledger: &dyn crate::ledger::Ledger) -> Result<Vec<String>, String> {
    let checks = ledger.last_checks().map_err(|e| e.to_string())?;
    Ok(checks
        .into_iter()
        .filter_map(|c| Some((c.line_id, c.error?)))
        .filter(|(_, e)| e.starts_with(crate::contain::CRASH_PREFIX))
        .map(|(line, e)| format!("line {line}: {e}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_goes_stale_without_a_heartbeat() {
        let live = Liveness::new(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        assert!(!live.fresh());
        let live = Liveness::new(Duration::from_secs(60));
        assert!(live.fresh());
    }

    #[test]
    fn probe_reads_the_pause_without_creating_or_writing() {
        use crate::ledger::{Ledger, OutboxPause};
        let dir = tempfile::tempdir().unwrap();
        let err = probe_ledger(dir.path()).unwrap_err();
        assert!(err.contains("cannot open the ledger"), "{err}");
        assert!(
            !dir.path().join(DB_FILE).exists(),
            "the probe created the ledger"
        );
        let ledger = crate::ledger::SqliteLedger::open(dir.path()).unwrap();
        assert_eq!(probe_ledger(dir.path()), Ok(None));
        let since = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let pause = OutboxPause {
            reason: "SMTP 535: bad login".into(),
            since,
        };
        ledger.set_outbox_pause(Some(&pause)).unwrap();
        // A write transaction held elsewhere does not block the read-only probe.
        let other = Connection::open(dir.path().join(DB_FILE)).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let got = probe_ledger(dir.path()).unwrap().unwrap();
        assert!(got.starts_with("SMTP 535: bad login (since 2025-"), "{got}");
    }
}
