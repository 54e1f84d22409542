//! The SQLite ledger: a connection behind a mutex, opened with WAL and `synchronous=FULL`,
//! and a second one with `synchronous=NORMAL` that writes only readings.
//!
//! The SQL lives in `observations.rs`, `topups.rs`, `history.rs`, `transitions.rs` and
//! `outbox.rs`; this file opens the database and maps the `Ledger` trait onto them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::channel_outbox::{ChannelCounts, ChannelPause, ChannelRow};
use super::identity;
use super::lock::ensure_dir;
use super::{
    Caps, CheckRecord, CheckSummary, Draft, FleetIndex, HistoryQuery, Intent, Ledger, LedgerError,
    Month, OutboxCounts, OutboxMessage, OutboxPause, Planned, Routes, Settlement, channel_outbox,
    history, migrations, observations, outbox, topups, transitions,
};
use crate::model::{Observation, TopUp, TopUpState};
use crate::money::Money;
use crate::policy::CapHit;

/// The database file's name inside the state directory.
pub const DB_FILE: &str = "ledger.sqlite3";

/// How long a statement waits for another process's write lock (e.g. `renewd resolve`
/// while the daemon writes) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection (rusqlite keeps 16 by default).
const STATEMENT_CACHE: usize = 64;

/// The SQLite-backed ledger. `Send + Sync`: calls from several tasks take turns on the
/// connection; each call is short.
pub struct SqliteLedger {
    /// The connection for money, messages and every read; a mutex because rusqlite
    /// connections are not `Sync`.
    conn: Mutex<Connection>,
    /// The connection that writes readings (observations, check records: never money)
    /// with `synchronous = NORMAL`: committed to the WAL without waiting for the disk, so
    /// readings reach it in batches (at the next checkpoint, or with the next top-up or
    /// message, whose `FULL` commit syncs the WAL). A crash of renewd loses none; a power
    /// cut may lose the last few readings, which the next check reads again. Its own
    /// connection, because switching one connection's sync mode per write makes SQLite
    /// prepare every cached statement again. `None` in memory and read-only.
    readings: Option<Mutex<Connection>>,
    /// The database file, for messages; `None` in memory.
    path: Option<PathBuf>,
    /// Who gets each queued message beyond `[email]`, from the config this process runs on.
    routes: RwLock<Arc<Routes>>,
    /// How long readings are kept, in ms (`daemon.keep_readings`).
    keep_readings_ms: std::sync::atomic::AtomicI64,
}

impl SqliteLedger {
    /// Opens (creating if missing) `<state_dir>/ledger.sqlite3` and brings its schema up
    /// to date. Creates `state_dir` when it does not exist.
    pub fn open(state_dir: &Path) -> Result<SqliteLedger, LedgerError> {
        ensure_dir(state_dir)?;
        let path = state_dir.join(DB_FILE);
        let open_err = |e: rusqlite::Error| LedgerError::Open {
            path: path.display().to_string(),
            detail: format!("{e}; check that the state directory is writable by renewd"),
        };
        create_private(&path).map_err(|e| LedgerError::Open {
            path: path.display().to_string(),
            detail: format!("cannot create the ledger file 0600: {e}"),
        })?;
        let conn = Connection::open(&path).map_err(open_err)?;
        let conn = Self::setup(conn).map_err(|e| match e {
            LedgerError::Read { detail, .. } | LedgerError::Write { detail, .. } => {
                LedgerError::Open {
                    path: path.display().to_string(),
                    detail,
                }
            }
            other => other,
        })?;
        let readings = Self::readings_connection(&path).map_err(|e| LedgerError::Open {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(SqliteLedger {
            conn: Mutex::new(conn),
            readings: Some(Mutex::new(readings)),
            path: Some(path),
            routes: RwLock::default(),
            keep_readings_ms: keep_default(),
        })
    }

    /// The readings' connection to a ledger the main one has brought up to date.
    fn readings_connection(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        stable_plans(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Ok(conn)
    }

    /// Opens an existing ledger read-only, for `status` and `history` beside a running
    /// daemon: no migration and no write. Refused when its schema is not this renewd's.
    pub fn open_read_only(state_dir: &Path) -> Result<SqliteLedger, LedgerError> {
        let path = state_dir.join(DB_FILE);
        let fail = |detail: String| LedgerError::Open {
            path: path.display().to_string(),
            detail,
        };
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| fail(e.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(e.to_string()))?;
        stable_plans(&conn).map_err(|e| fail(e.to_string()))?;
        let (have, want) = (migrations::version(&conn)?, migrations::MIGRATIONS.len());
        if have as usize != want {
            return Err(fail(format!(
                "its schema is version {have} and this renewd reads version {want}; use the renewd that wrote it, or let `renewd run` bring it up to date"
            )));
        }
        Ok(SqliteLedger {
            conn: Mutex::new(conn),
            readings: None,
            path: Some(path),
            routes: RwLock::default(),
            keep_readings_ms: keep_default(),
        })
    }

    /// A fresh ledger in memory, for tests and dry runs.
    /// (The file ledger is 0600; SQLite gives its -wal and -shm files the same mode.)
    pub fn open_in_memory() -> Result<SqliteLedger, LedgerError> {
        let conn = Connection::open_in_memory().map_err(|e| LedgerError::Open {
            path: ":memory:".into(),
            detail: e.to_string(),
        })?;
        Ok(SqliteLedger {
            conn: Mutex::new(Self::setup(conn)?),
            readings: None,
            path: None,
            routes: RwLock::default(),
            keep_readings_ms: keep_default(),
        })
    }

    /// Pragmas, then migrations.
    fn setup(mut conn: Connection) -> Result<Connection, LedgerError> {
        let doing = "configuring the database";
        let fail = |e: rusqlite::Error| LedgerError::Write {
            doing,
            detail: e.to_string(),
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        stable_plans(&conn).map_err(fail)?;
        // In memory the journal mode stays "memory"; on disk it becomes "wal".
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(fail)?;
        migrations::apply(&mut conn, migrations::MIGRATIONS)?;
        Ok(conn)
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection. A panic while it was held cannot leave a half-written transaction
    /// (rusqlite rolls back on drop), so a poisoned mutex is safe to take over.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The connection that writes readings: its own on disk, the main one in memory.
    fn readings(&self) -> MutexGuard<'_, Connection> {
        self.readings
            .as_ref()
            .unwrap_or(&self.conn)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The routes in force (a cheap clone of an `Arc`).
    fn routes(&self) -> Arc<Routes> {
        self.routes
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    #[cfg(test)]
    pub(super) fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.conn())
    }
}

/// The default retention of readings, in ms.
fn keep_default() -> std::sync::atomic::AtomicI64 {
    std::sync::atomic::AtomicI64::new(observations::KEEP_READINGS.num_milliseconds())
}

/// Prepared statements that stay prepared: room for every statement a check and the
/// senders run, and plans that do not depend on bound values (SQLite's query planner
/// stability guarantee). Without it, a query on a table with a partial index (one open
/// top-up per SIM, dead readings) is compiled again at every run, because the planner
/// compared its parameters with the index's condition.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

impl Ledger for SqliteLedger {
    fn record_observation(
        &self,
        line_id: &str,
        sim: &str,
        obs: &Observation,
    ) -> Result<(), LedgerError> {
        let ms = self
            .keep_readings_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        let keep = chrono::Duration::milliseconds(ms);
        observations::record(&mut self.readings(), line_id, sim, obs, keep)
    }
    fn recent_observations(
        &self,
        sim: &str,
        limit: usize,
    ) -> Result<Vec<Observation>, LedgerError> {
        observations::recent(&self.conn(), sim, limit)
    }
    fn record_check_failure(
        &self,
        line_id: &str,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<CheckRecord, LedgerError> {
        observations::record_failure(&self.readings(), line_id, at, error)
    }
    fn last_observation(&self, sim: &str) -> Result<Option<Observation>, LedgerError> {
        observations::last(&self.conn(), sim)
    }
    fn last_checks(&self) -> Result<Vec<CheckRecord>, LedgerError> {
        observations::last_checks(&self.conn())
    }
    fn last_check(&self, line_id: &str) -> Result<Option<CheckRecord>, LedgerError> {
        observations::last_check(&self.conn(), line_id)
    }
    fn check_summary(&self) -> Result<CheckSummary, LedgerError> {
        super::fleet::check_summary(&self.conn())
    }
    fn fleet_index(&self, since: DateTime<Utc>) -> Result<Option<FleetIndex>, LedgerError> {
        super::fleet::index(&self.conn(), since).map(Some)
    }
    fn topup_counts(&self) -> Result<Vec<(TopUpState, u64)>, LedgerError> {
        super::fleet::topup_counts(&self.conn())
    }

    fn plan_top_up(
        &self,
        intent: &Intent,
        caps: &Caps,
        warning: &dyn Fn(&CapHit) -> Draft,
    ) -> Result<Planned, LedgerError> {
        topups::plan(&mut self.conn(), intent, caps, warning, &self.routes())
    }
    fn mark_submitting(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
        transitions::mark_submitting(&self.conn(), id, at)
    }
    fn set_provider_ref(&self, id: i64, provider_ref: &str) -> Result<(), LedgerError> {
        transitions::set_provider_ref(&self.conn(), id, provider_ref)
    }
    fn settle(
        &self,
        id: i64,
        outcome: &Settlement,
        at: DateTime<Utc>,
        message: Option<&Draft>,
    ) -> Result<TopUp, LedgerError> {
        transitions::settle(&mut self.conn(), id, outcome, at, message, &self.routes())
    }
    fn resolve(
        &self,
        id: i64,
        paid: bool,
        at: DateTime<Utc>,
        message: Option<&Draft>,
    ) -> Result<TopUp, LedgerError> {
        transitions::resolve(&mut self.conn(), id, paid, at, message, &self.routes())
    }
    fn top_up(&self, id: i64) -> Result<Option<TopUp>, LedgerError> {
        topups::get(&self.conn(), id)
    }
    fn open_top_ups(&self) -> Result<Vec<TopUp>, LedgerError> {
        topups::open(&self.conn())
    }
    fn open_top_ups_of(&self, sim: &str) -> Result<Vec<TopUp>, LedgerError> {
        topups::open_of(&self.conn(), sim)
    }
    fn last_failed_since(
        &self,
        sim: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<TopUp>, LedgerError> {
        topups::last_failed_since(&self.conn(), sim, since)
    }
    fn last_confirmed(&self, sim: &str) -> Result<Option<TopUp>, LedgerError> {
        topups::last_confirmed(&self.conn(), sim)
    }
    fn mark_shown(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
        transitions::mark_shown(&self.conn(), id, at)
    }
    fn history(
        &self,
        line: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<TopUp>, LedgerError> {
        let q = HistoryQuery {
            line: line.map(str::to_string),
            since,
            ..HistoryQuery::default()
        };
        history::collect(&self.conn(), &q)
    }
    fn history_page(
        &self,
        q: &HistoryQuery,
        each: &mut dyn FnMut(TopUp) -> std::ops::ControlFlow<()>,
    ) -> Result<Option<i64>, LedgerError> {
        history::page(&self.conn(), q, each)
    }
    fn month_spend(&self, sim: Option<&str>, month: &Month) -> Result<Vec<Money>, LedgerError> {
        topups::month_spend(&self.conn(), sim, month)
    }
    fn set_paused(
        &self,
        line_id: &str,
        sim: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, LedgerError> {
        identity::set_paused(&self.conn(), line_id, sim, at)
    }
    fn paused_since(&self, sim: &str) -> Result<Option<DateTime<Utc>>, LedgerError> {
        identity::paused_since(&self.conn(), sim)
    }
    fn adopt_legacy(&self, lines: &[(String, String)]) -> Result<usize, LedgerError> {
        identity::adopt(&mut self.conn(), lines)
    }

    fn enqueue(&self, draft: &Draft, at: DateTime<Utc>) -> Result<bool, LedgerError> {
        outbox::enqueue_routed(&self.conn(), &self.routes(), draft, at)
    }
    fn due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, LedgerError> {
        outbox::due(&self.conn(), now, limit)
    }
    fn next_message_due(&self) -> Result<Option<DateTime<Utc>>, LedgerError> {
        outbox::next_due(&self.conn())
    }
    fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
        outbox::mark_sent(&self.conn(), id, at)
    }
    fn mark_attempt_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError> {
        outbox::mark_attempt_failed(&self.conn(), id, error, retry_at)
    }
    fn outbox_counts(&self) -> Result<OutboxCounts, LedgerError> {
        outbox::counts(&self.conn())
    }
    fn dead_messages(&self) -> Result<Vec<OutboxMessage>, LedgerError> {
        outbox::dead(&self.conn())
    }

    fn set_keep_readings(&self, keep: chrono::Duration) {
        let ms = keep.num_milliseconds();
        self.keep_readings_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn set_routes(&self, routes: Routes) {
        *self
            .routes
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(routes);
    }
    fn channel_due(
        &self,
        channel: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ChannelRow>, LedgerError> {
        channel_outbox::due(&self.conn(), channel, now, limit)
    }
    fn channel_next_due(&self, channel: &str) -> Result<Option<DateTime<Utc>>, LedgerError> {
        channel_outbox::next_due(&self.conn(), channel)
    }
    fn channel_mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
        channel_outbox::mark_sent(&self.conn(), id, at)
    }
    fn channel_mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError> {
        channel_outbox::mark_failed(&self.conn(), id, error, retry_at)
    }
    fn set_channel_pause(
        &self,
        channel: &str,
        pause: Option<(&str, DateTime<Utc>)>,
    ) -> Result<(), LedgerError> {
        channel_outbox::set_pause(&self.conn(), channel, pause)
    }
    fn channel_pauses(&self) -> Result<Vec<ChannelPause>, LedgerError> {
        channel_outbox::pauses(&self.conn())
    }
    fn channel_counts(&self) -> Result<Vec<ChannelCounts>, LedgerError> {
        channel_outbox::counts(&self.conn())
    }
    fn channel_unsent(&self) -> Result<Vec<ChannelRow>, LedgerError> {
        channel_outbox::unsent(&self.conn())
    }
    fn channel_retry_dead(
        &self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<usize, LedgerError> {
        channel_outbox::retry_dead(&self.conn(), id, now)
    }
    fn unsent_messages(&self) -> Result<Vec<OutboxMessage>, LedgerError> {
        outbox::unsent(&self.conn())
    }
    fn retry_dead(&self, id: Option<i64>, now: DateTime<Utc>) -> Result<usize, LedgerError> {
        outbox::retry_dead(&self.conn(), id, now)
    }
    fn set_outbox_pause(&self, pause: Option<&OutboxPause>) -> Result<(), LedgerError> {
        outbox::set_pause(&self.conn(), pause)
    }
    fn outbox_pause(&self) -> Result<Option<OutboxPause>, LedgerError> {
        outbox::pause(&self.conn())
    }
}

/// Creates the ledger file 0600 when missing, and narrows an older one (and its -wal,
/// -shm) made readable by group or others.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        super::lock::private_file(Path::new(&p))?;
    }
    Ok(())
}
