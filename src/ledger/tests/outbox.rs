//! The outbox: dedupe, due order, retry, giving up, sent.

use super::*;
use crate::ledger::LedgerError;

#[test]
fn enqueue_dedupes_on_key_and_keeps_the_draft() {
    let l = mem();
    assert!(l.enqueue(&draft("k1"), t("2026-11-01T00:00:00Z")).unwrap());
    let mut other = draft("k1");
    other.subject = "changed".into();
    assert!(!l.enqueue(&other, t("2026-11-01T00:01:00Z")).unwrap());
    let due = l.due_messages(t("2026-11-01T00:00:00Z"), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].draft, draft("k1"));
    assert_eq!(
        (due[0].attempts, due[0].created_at, due[0].dead),
        (0, t("2026-11-01T00:00:00Z"), false)
    );
}

#[test]
fn due_messages_respect_time_order_and_limit() {
    let l = mem();
    for (k, at) in [
        ("a", "2026-11-01T00:00:00Z"),
        ("b", "2026-11-01T01:00:00Z"),
        ("c", "2026-11-01T02:00:00Z"),
    ] {
        l.enqueue(&draft(k), t(at)).unwrap();
    }
    let keys = |v: Vec<crate::ledger::OutboxMessage>| {
        v.into_iter().map(|m| m.draft.key).collect::<Vec<_>>()
    };
    assert_eq!(
        keys(l.due_messages(t("2026-11-01T01:00:00Z"), 10).unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        keys(l.due_messages(t("2026-11-02T00:00:00Z"), 2).unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        l.next_message_due().unwrap(),
        Some(t("2026-11-01T00:00:00Z"))
    );
}

#[test]
fn a_failed_attempt_retries_later_then_gives_up() {
    let l = mem();
    let start = t("2026-11-01T00:00:00Z");
    l.enqueue(&draft("k"), start).unwrap();
    let id = l.due_messages(start, 1).unwrap()[0].id;
    let retry = t("2026-11-01T00:05:00Z");
    l.mark_attempt_failed(id, "421 try later", Some(retry))
        .unwrap();
    assert!(
        l.due_messages(t("2026-11-01T00:04:59Z"), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(l.next_message_due().unwrap(), Some(retry));
    let m = l.due_messages(retry, 10).unwrap().remove(0);
    assert_eq!(
        (m.attempts, m.last_error.as_deref(), m.next_attempt_at),
        (1, Some("421 try later"), retry)
    );
    l.mark_attempt_failed(id, "550 no such user", None).unwrap();
    assert!(
        l.due_messages(t("2027-01-01T00:00:00Z"), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(l.next_message_due().unwrap(), None);
    let dead = l.dead_messages().unwrap();
    assert_eq!((dead.len(), dead[0].attempts, dead[0].dead), (1, 2, true));
    assert_eq!(
        l.outbox_counts().unwrap(),
        crate::ledger::OutboxCounts {
            queued: 0,
            dead: 1,
            sent: 0
        }
    );
}

#[test]
fn a_sent_message_is_done_and_unknown_ids_are_errors() {
    let l = mem();
    l.enqueue(&draft("k"), t("2026-11-01T00:00:00Z")).unwrap();
    l.enqueue(&draft("other"), t("2026-11-01T00:00:00Z"))
        .unwrap();
    let id = l.due_messages(t("2026-11-01T00:00:00Z"), 1).unwrap()[0].id;
    l.mark_sent(id, t("2026-11-01T00:00:05Z")).unwrap();
    l.mark_sent(id, t("2026-11-01T00:09:00Z")).unwrap();
    let left: Vec<_> = l
        .due_messages(t("2026-11-02T00:00:00Z"), 10)
        .unwrap()
        .into_iter()
        .map(|m| m.draft.key)
        .collect();
    assert_eq!(left, ["other"]);
    assert_eq!(
        l.outbox_counts().unwrap(),
        crate::ledger::OutboxCounts {
            queued: 1,
            dead: 0,
            sent: 1
        }
    );
    assert!(matches!(
        l.mark_attempt_failed(id, "late", None),
        Err(LedgerError::Write { .. })
    ));
    assert!(matches!(
        l.mark_sent(999, t("2026-11-01T00:00:00Z")),
        Err(LedgerError::NoSuchMessage(999))
    ));
    assert!(matches!(
        l.mark_attempt_failed(999, "x", None),
        Err(LedgerError::NoSuchMessage(999))
    ));
    let sent_at: i64 = l.with_conn(|c| {
        c.query_row("SELECT sent_at FROM outbox WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    });
    assert_eq!(
        sent_at,
        t("2026-11-01T00:00:05Z").timestamp_millis(),
        "marking twice keeps the first time"
    );
}

#[test]
fn install_id_is_random_per_ledger_and_kept_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let id_of = |l: &SqliteLedger| l.unsent_messages().unwrap()[0].install_id.clone();
    let first = {
        let l = SqliteLedger::open(dir.path()).unwrap();
        l.enqueue(&draft("k"), t("2026-11-01T00:00:00Z")).unwrap();
        id_of(&l)
    };
    assert_eq!(first.len(), 24);
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
    assert_eq!(id_of(&SqliteLedger::open(dir.path()).unwrap()), first);
    let other = mem();
    other
        .enqueue(&draft("k"), t("2026-11-01T00:00:00Z"))
        .unwrap();
    assert_ne!(id_of(&other), first, "two installs share an id");
}

#[test]
fn retry_dead_queues_one_or_all_dead_messages_again() {
    let l = mem();
    let now = t("2026-11-01T00:00:00Z");
    for k in ["a", "b", "c"] {
        l.enqueue(&draft(k), now).unwrap();
    }
    let ids: Vec<i64> = l.unsent_messages().unwrap().iter().map(|m| m.id).collect();
    l.mark_attempt_failed(ids[0], "550 no such user", None)
        .unwrap();
    l.mark_attempt_failed(ids[1], "550 no such user", None)
        .unwrap();
    assert_eq!(l.outbox_counts().unwrap().dead, 2);
    let later = t("2026-11-02T00:00:00Z");
    assert_eq!(l.retry_dead(Some(ids[0]), later).unwrap(), 1);
    assert_eq!(l.retry_dead(Some(ids[2]), later).unwrap(), 0, "not dead");
    assert!(matches!(
        l.retry_dead(Some(999), later),
        Err(LedgerError::NoSuchMessage(999))
    ));
    let again = &l.unsent_messages().unwrap()[0];
    assert_eq!(
        (again.dead, again.attempts, again.next_attempt_at),
        (false, 0, later)
    );
    assert_eq!(l.retry_dead(None, later).unwrap(), 1);
    assert_eq!(l.outbox_counts().unwrap().dead, 0);
    assert_eq!(l.due_messages(later, 10).unwrap().len(), 3);
}

#[test]
fn the_pause_keeps_its_reason_and_clears() {
    let l = mem();
    assert_eq!(l.outbox_pause().unwrap(), None);
    let p = crate::ledger::OutboxPause {
        reason: "SMTP 535".into(),
        since: t("2026-11-01T00:00:00Z"),
    };
    l.set_outbox_pause(Some(&p)).unwrap();
    assert_eq!(l.outbox_pause().unwrap(), Some(p));
    l.set_outbox_pause(None).unwrap();
    assert_eq!(l.outbox_pause().unwrap(), None);
}

#[test]
fn processes_opening_a_fresh_ledger_together_migrate_it_once() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let opens: Vec<_> = (0..6)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || SqliteLedger::open(&p).map(|_| ()))
            })
            .collect();
        for o in opens {
            o.join().unwrap().expect("a concurrent open failed");
        }
    }
}

#[test]
fn the_state_dir_is_private_and_the_ledger_0600_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let l = SqliteLedger::open(&state).unwrap();
    l.enqueue(&draft("k"), t("2026-11-01T00:00:00Z")).unwrap();
    assert_eq!(mode(&state), 0o700);
    for f in ["ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"] {
        assert_eq!(mode(&state.join(f)), 0o600, "{f}");
    }
    drop(l);
    // An older ledger left readable by others is narrowed when opened.
    let db = state.join("ledger.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    SqliteLedger::open(&state).unwrap();
    assert_eq!(mode(&db), 0o600);
}
