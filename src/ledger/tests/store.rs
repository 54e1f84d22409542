//! Opening, migrations, the state lock, observations and checks.

use std::sync::Arc;

use rusqlite::Connection;

use super::*;
use crate::ledger::migrations::{self, MIGRATIONS};
use crate::ledger::{LedgerError, StateLock};

#[test]
fn migrations_apply_once_and_twice_is_a_no_op() {
    let mut c = Connection::open_in_memory().unwrap();
    migrations::apply(&mut c, MIGRATIONS).unwrap();
    assert_eq!(migrations::version(&c).unwrap(), MIGRATIONS.len() as u32);
    c.execute("INSERT INTO checks (line_id, at) VALUES ('a', 1)", [])
        .unwrap();
    migrations::apply(&mut c, MIGRATIONS).unwrap();
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM checks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "a second run must not recreate tables");
}

#[test]
fn failing_migration_rolls_back_and_names_its_version() {
    let mut c = Connection::open_in_memory().unwrap();
    let bad = [
        "CREATE TABLE a (x INTEGER);",
        "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
    ];
    match migrations::apply(&mut c, &bad) {
        Err(LedgerError::Migration { version: 2, detail }) => {
            assert!(detail.contains("nowhere"), "{detail}")
        }
        other => panic!("expected migration 2 to fail, got {other:?}"),
    }
    assert_eq!(migrations::version(&c).unwrap(), 1);
    let b: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(b, 0, "table b must be rolled back with its migration");
    migrations::apply(
        &mut c,
        &["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);"],
    )
    .unwrap();
    assert_eq!(migrations::version(&c).unwrap(), 2);
}

#[test]
fn a_newer_schema_is_refused() {
    let mut c = Connection::open_in_memory().unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    let err = migrations::apply(&mut c, MIGRATIONS).unwrap_err();
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn reopening_a_file_keeps_data_with_wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    {
        let l = SqliteLedger::open(&state).unwrap();
        plan_ok(
            &l,
            &intent("a", "r1", usd(2500), "2026-11-05T10:00:00Z"),
            &caps(None, None),
        );
        assert!(l.enqueue(&draft("k"), t("2026-11-05T10:00:00Z")).unwrap());
        let (mode, sync, fk): (String, i64, i64) = l.with_conn(|c| {
            let q = |p: &str| {
                c.pragma_query_value(None, p, |r| r.get::<_, rusqlite::types::Value>(0))
                    .unwrap()
            };
            let rusqlite::types::Value::Text(mode) = q("journal_mode") else {
                panic!()
            };
            let rusqlite::types::Value::Integer(sync) = q("synchronous") else {
                panic!()
            };
            let rusqlite::types::Value::Integer(fk) = q("foreign_keys") else {
                panic!()
            };
            (mode, sync, fk)
        });
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }
    assert!(state.join("ledger.sqlite3").is_file());
    let l = SqliteLedger::open(&state).unwrap();
    let h = l.history(None, None).unwrap();
    assert_eq!(
        (h.len(), h[0].reference.as_str(), h[0].amount),
        (1, "r1", usd(2500))
    );
    assert_eq!(l.outbox_counts().unwrap().queued, 1);
}

#[test]
fn a_state_dir_that_is_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    for path in [file.clone(), file.join("below")] {
        let err = SqliteLedger::open(&path).err().expect("must fail");
        let msg = err.to_string();
        assert!(matches!(err, LedgerError::Open { .. }), "{msg}");
        assert!(
            msg.contains("directory") && msg.contains(&path.display().to_string()),
            "{msg}"
        );
        assert!(matches!(
            StateLock::acquire(&path),
            Err(LedgerError::Open { .. })
        ));
    }
}

#[test]
fn a_second_lock_is_refused_with_the_holders_pid() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("new");
    let held = StateLock::acquire(&state).unwrap();
    let pid = std::process::id().to_string();
    assert_eq!(std::fs::read_to_string(held.path()).unwrap().trim(), pid);
    match StateLock::acquire(&state) {
        Err(e @ LedgerError::Locked { .. }) => {
            let LedgerError::Locked { pid: got, .. } = &e else {
                unreachable!()
            };
            assert_eq!(got, &pid);
            assert!(e.to_string().contains(&format!("pid {pid}")), "{e}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(held);
    StateLock::acquire(&state).expect("released on drop");
}

#[test]
fn the_ledger_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SqliteLedger>();
    let _shared: Arc<dyn Ledger> = Arc::new(mem());
}

#[test]
fn observations_come_back_oldest_first_and_last() {
    let l = mem();
    let mut o = Observation::empty(t("2026-11-01T00:00:00Z"));
    for (i, at) in [
        "2026-11-01T00:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T12:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        o.at = t(at);
        o.balance = Some(usd(1000 - i as i64 * 100));
        o.data = Some(crate::money::DataSize::from_mb(500 - i as i64));
        o.expires_at = Some(t("2026-12-01T00:00:00Z"));
        o.note = Some(format!("n{i}"));
        l.record_observation("a", "a", &o).unwrap();
    }
    let recent = l.recent_observations("a", 2).unwrap();
    assert_eq!(
        recent
            .iter()
            .map(|o| o.balance.unwrap().minor)
            .collect::<Vec<_>>(),
        [900, 800]
    );
    assert_eq!(l.last_observation("a").unwrap(), Some(o));
    assert_eq!(l.last_observation("b").unwrap(), None);
    assert!(l.recent_observations("b", 5).unwrap().is_empty());
}

#[test]
fn readings_older_than_ninety_days_are_dropped_per_line() {
    let l = mem();
    let at = |s: &str| Observation::empty(t(s));
    l.record_observation("a", "a", &at("2026-08-01T00:00:00Z"))
        .unwrap();
    l.record_observation("b", "b", &at("2026-08-01T00:00:00Z"))
        .unwrap();
    l.record_observation("a", "a", &at("2026-09-01T00:00:00Z"))
        .unwrap();
    l.record_observation("a", "a", &at("2026-11-30T00:00:00Z"))
        .unwrap(); // Sep 1 is 90 days back
    let kept: Vec<_> = l
        .recent_observations("a", 10)
        .unwrap()
        .iter()
        .map(|o| o.at)
        .collect();
    assert_eq!(kept, [t("2026-09-01T00:00:00Z"), t("2026-11-30T00:00:00Z")]);
    assert_eq!(
        l.recent_observations("b", 10).unwrap().len(),
        1,
        "other lines keep theirs"
    );
}

#[test]
fn failing_checks_keep_their_start_and_a_success_clears_it() {
    let l = mem();
    let first = l
        .record_check_failure("a", t("2026-11-01T00:00:00Z"), "timeout")
        .unwrap();
    assert_eq!(first.failing_since, Some(t("2026-11-01T00:00:00Z")));
    let second = l
        .record_check_failure("a", t("2026-11-01T06:00:00Z"), "HTTP 503")
        .unwrap();
    assert_eq!(
        (second.at, second.failing_since),
        (t("2026-11-01T06:00:00Z"), Some(t("2026-11-01T00:00:00Z")))
    );
    assert_eq!(second.error.as_deref(), Some("HTTP 503"));
    l.record_observation("a", "a", &Observation::empty(t("2026-11-01T12:00:00Z")))
        .unwrap();
    l.record_check_failure("b", t("2026-11-01T13:00:00Z"), "x")
        .unwrap();
    let checks = l.last_checks().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(
        (
            checks[0].line_id.as_str(),
            checks[0].error.as_ref(),
            checks[0].failing_since
        ),
        ("a", None, None)
    );
    let again = l
        .record_check_failure("a", t("2026-11-02T00:00:00Z"), "y")
        .unwrap();
    assert_eq!(
        again.failing_since,
        Some(t("2026-11-02T00:00:00Z")),
        "a new run of failures starts after a success"
    );
}

/// Readings are downsampled as they are stored: a repeat of the previous figures in the
/// same hour is not stored again, changes always are, and past a week one a day is kept.
#[test]
fn readings_keep_changes_one_an_hour_then_one_a_day() {
    let l = mem();
    let at = |s: &str, balance: i64| {
        let mut o = Observation::empty(t(s));
        o.balance = Some(usd(balance));
        o
    };
    // (time, balance, stored?)
    let table = [
        ("2026-11-01T10:00:00Z", 500, true),
        ("2026-11-01T10:05:00Z", 500, false), // same hour, same figures
        ("2026-11-01T10:10:00Z", 480, true),  // a change
        ("2026-11-01T10:50:00Z", 480, false),
        ("2026-11-01T11:00:00Z", 480, true), // a new hour
        ("2026-11-01T23:00:00Z", 470, true),
    ];
    for (s, balance, _) in table {
        l.record_observation("a", "a", &at(s, balance)).unwrap();
    }
    let kept: Vec<_> = l
        .recent_observations("a", 99)
        .unwrap()
        .iter()
        .map(|o| o.at)
        .collect();
    let want: Vec<_> = table.iter().filter(|r| r.2).map(|r| t(r.0)).collect();
    assert_eq!(kept, want);
    // Ten days on, the first of November keeps only its last reading.
    l.record_observation("a", "a", &at("2026-11-11T00:00:00Z", 400))
        .unwrap();
    let kept: Vec<_> = l
        .recent_observations("a", 99)
        .unwrap()
        .iter()
        .map(|o| o.at)
        .collect();
    assert_eq!(kept, [t("2026-11-01T23:00:00Z"), t("2026-11-11T00:00:00Z")]);
    // The check still counts as a success at its own time.
    assert_eq!(l.last_checks().unwrap()[0].at, t("2026-11-11T00:00:00Z"));
}
