//! The ledger schema as numbered migrations, tracked in SQLite's `user_version`.
//!
//! Migration N (1-based) is `MIGRATIONS[N - 1]`. Each runs in its own transaction together
//! with the `user_version` bump, so a failure leaves the schema at the previous version.
//! Never edit a released migration: append a new one.

use rusqlite::Connection;

use super::LedgerError;

/// The schema, oldest first. Times are Unix milliseconds (UTC), money minor units + code.
pub const MIGRATIONS: &[&str] = &[
    // 1: observations, last checks, the top-up ledger and the email outbox.
    r#"
    CREATE TABLE observations (
        id INTEGER PRIMARY KEY,
        line_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        balance_minor INTEGER,
        balance_currency TEXT,
        data_kb INTEGER,
        unlimited INTEGER NOT NULL DEFAULT 0 CHECK (unlimited IN (0, 1)),
        expires_at INTEGER,
        state TEXT NOT NULL,
        note TEXT,
        CHECK ((balance_minor IS NULL) = (balance_currency IS NULL))
    ) STRICT;
    CREATE INDEX observations_line_at ON observations (line_id, at);

    CREATE TABLE checks (
        line_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        error TEXT,
        failing_since INTEGER
    ) STRICT;

    CREATE TABLE top_ups (
        id INTEGER PRIMARY KEY,
        line_id TEXT NOT NULL,
        carrier TEXT NOT NULL,
        reference TEXT NOT NULL UNIQUE,
        amount_minor INTEGER NOT NULL,
        currency TEXT NOT NULL,
        package TEXT,
        state TEXT NOT NULL
            CHECK (state IN ('planned', 'submitting', 'confirmed', 'failed', 'unknown')),
        "trigger" TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        settled_at INTEGER,
        provider_ref TEXT,
        detail TEXT,
        before_json TEXT
    ) STRICT;
    CREATE INDEX top_ups_line_created ON top_ups (line_id, created_at);
    CREATE INDEX top_ups_created ON top_ups (created_at);
    -- At most one top-up in flight per line, even if the code above forgot to check.
    CREATE UNIQUE INDEX top_ups_one_open_per_line ON top_ups (line_id)
        WHERE state IN ('planned', 'submitting', 'unknown');

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'failure', 'warning')),
        line_id TEXT,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        sent_at INTEGER,
        last_error TEXT,
        dead INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1))
    ) STRICT;
    CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND dead = 0;
    "#,
    // 2: a line is its SIM. Top-ups and readings are keyed by the SIM (`iccid:...`,
    // `number:...`, or `line:<id>`), not the config id, which becomes a label. Rows written
    // before this are keyed `line:<id>`; `legacy_lines` lists those ids until the first
    // start with a config re-keys them to their SIM (`Ledger::adopt_legacy`).
    // `shown_at`: when a reading first showed a confirmed top-up (old rows: assumed shown).
    r#"
    ALTER TABLE top_ups ADD COLUMN sim TEXT NOT NULL DEFAULT '';
    UPDATE top_ups SET sim = 'line:' || line_id;
    ALTER TABLE top_ups ADD COLUMN shown_at INTEGER;
    UPDATE top_ups SET shown_at = settled_at WHERE state = 'confirmed';
    DROP INDEX top_ups_one_open_per_line;
    CREATE UNIQUE INDEX top_ups_one_open_per_sim ON top_ups (sim)
        WHERE state IN ('planned', 'submitting', 'unknown');
    CREATE INDEX top_ups_sim_created ON top_ups (sim, created_at);

    ALTER TABLE observations RENAME COLUMN line_id TO sim;
    UPDATE observations SET sim = 'line:' || sim;

    CREATE TABLE legacy_lines (line_id TEXT PRIMARY KEY) STRICT;
    INSERT OR IGNORE INTO legacy_lines (line_id) SELECT line_id FROM top_ups;
    INSERT OR IGNORE INTO legacy_lines (line_id) SELECT substr(sim, 6) FROM observations;
    "#,
    // 3: lines a person paused (`renewd pause`): no checks, no purchases until resumed.
    r#"
    CREATE TABLE paused (
        sim TEXT PRIMARY KEY,
        line_id TEXT NOT NULL,
        at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 4: the outbox takes `digest`, the opt-in monthly summary. SQLite cannot change a
    // CHECK, so the table is rebuilt with the same columns and rows.
    r#"
    CREATE TABLE outbox_v4 (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'failure', 'warning', 'digest')),
        line_id TEXT,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        sent_at INTEGER,
        last_error TEXT,
        dead INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1))
    ) STRICT;
    INSERT INTO outbox_v4 SELECT * FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v4 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND dead = 0;
    "#,
    // 5: the outbox's own state: a random install id (globally unique Message-IDs) and
    // the pause a server-wide delivery failure sets (shown by `status` and `/healthz`).
    r#"
    CREATE TABLE outbox_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        at INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    INSERT INTO outbox_state (key, value) VALUES ('install_id', lower(hex(randomblob(12))));
    "#,
    // 6: the [[notify]] channels' outbox (one row per event and channel, each channel
    // once per event) and the pause a channel's refusal sets. Stands alone: it reads and
    // changes no other table.
    r#"
    CREATE TABLE channel_outbox (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'failure', 'warning', 'digest')),
        line_id TEXT,
        language TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        sent_at INTEGER,
        last_error TEXT,
        dead INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),
        UNIQUE (channel, key)
    ) STRICT;
    CREATE INDEX channel_outbox_due ON channel_outbox (channel, next_attempt_at)
        WHERE sent_at IS NULL AND dead = 0;
    CREATE TABLE channel_pause (
        channel TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL
    ) STRICT;
    "#,
    // 7: SIMs with a dead reading, found without scanning every reading (`status` of a
    // fleet lists only the lines that may need a person).
    r#"
    CREATE INDEX IF NOT EXISTS observations_dead ON observations (sim) WHERE state = 'dead';
    "#,
    // 8: `history --carrier` and `history --state` of a fleet's ledger without a full scan;
    // each ends in `created_at`, so one carrier's or one state's rows come in listing order.
    r#"
    CREATE INDEX IF NOT EXISTS top_ups_carrier_created ON top_ups (carrier, created_at);
    CREATE INDEX IF NOT EXISTS top_ups_state_created ON top_ups (state, created_at);
    "#,
];

/// The schema version a database is at.
pub fn version(conn: &Connection) -> Result<u32, LedgerError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| LedgerError::Read {
            doing: "reading the schema version",
            detail: e.to_string(),
        })
}

/// Applies the migrations in `list` the database has not seen yet, each in a transaction.
pub fn apply(conn: &mut Connection, list: &[&str]) -> Result<(), LedgerError> {
    let current = version(conn)?;
    let known = list.len() as u32;
    if current > known {
        return Err(LedgerError::Migration {
            version: current,
            detail: format!(
                "the ledger is at schema version {current} but this renewd knows only {known}; \
                 run the newer renewd that wrote it"
            ),
        });
    }
    for (index, sql) in list.iter().enumerate().skip(current as usize) {
        let version = index as u32 + 1;
        let fail = |e: rusqlite::Error| LedgerError::Migration {
            version,
            detail: e.to_string(),
        };
        // The write lock first, then the version again: another process opening the same
        // fresh ledger at the same moment may have applied this migration meanwhile.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        if self::version(&tx)? >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}
