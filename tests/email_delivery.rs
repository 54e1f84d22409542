//! Outbox delivery against a real SMTP server on 127.0.0.1 (aiosmtpd): content, retries,
//! no duplicates, permanent failures, STARTTLS with AUTH, and no password in the logs.

#[path = "common/smtp_fixtures.rs"]
mod fixtures;
#[path = "common/smtp.rs"]
mod smtp;

use std::sync::Arc;

use chrono::Duration;
use fixtures::{ARRIVES, Logs, at, email, receipt};
use mailparse::MailHeaderMap;
use renewd::config::MessageKind;
use renewd::ledger::{Ledger, SqliteLedger};
use renewd::notify::{DeliveryReport, Notifier, SmtpNotifier, deliver_due, message_id, run_sender};
use smtp::{Options, SmtpServer, Tls};

fn report(sent: usize, retry: usize, dead: usize) -> DeliveryReport {
    DeliveryReport {
        sent,
        retry,
        dead,
        paused: None,
    }
}

/// The Message-ID the ledger's messages get for `key` from `renewd@example.com`.
fn mid(ledger: &SqliteLedger, key: &str) -> String {
    let install = ledger.unsent_messages().unwrap()[0].install_id.clone();
    assert_eq!(install.len(), 24, "install id {install:?}");
    message_id(&install, key, "renewd@example.com")
}

fn notifier(server: &SmtpServer, dir: &std::path::Path, password: Option<&str>) -> SmtpNotifier {
    let e = email(&server.url(), dir, password);
    match &server.cert {
        Some(c) => {
            SmtpNotifier::with_root_certificate(&e, c.cert_pem.as_bytes()).expect("notifier")
        }
        None => SmtpNotifier::new(&e).expect("notifier"),
    }
}

/// Messages still queued, due or not.
fn queued(ledger: &SqliteLedger) -> Vec<renewd::ledger::OutboxMessage> {
    ledger
        .due_messages(at() + Duration::days(365), 100)
        .unwrap()
}

fn sent_queued_dead(ledger: &SqliteLedger) -> (u64, u64, u64) {
    let c = ledger.outbox_counts().unwrap();
    (c.sent, c.queued, c.dead)
}

/// The text and HTML parts of a received message.
fn parts(raw: &[u8]) -> (mailparse::ParsedMail<'_>, String, String) {
    let mail = mailparse::parse_mail(raw).expect("parse received message");
    let body = |ct: &str| {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == ct)
            .map(|p| p.get_body().expect("decode part"))
            .unwrap_or_default()
    };
    let (text, html) = (body("text/plain"), body("text/html"));
    (mail, text, html)
}

#[tokio::test]
async fn receipt_arrives_over_starttls_with_auth_and_the_password_is_never_logged() {
    let (logs, _guard) = Logs::capture();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        tls: Tls::Starttls,
        auth: true,
        ..Options::default()
    });
    let ledger = SqliteLedger::open_in_memory().unwrap();
    ledger.enqueue(&receipt(42), at()).unwrap();
    let want_id = mid(&ledger, "receipt:42");
    assert!(want_id.ends_with("@example.com>"), "{want_id}");

    let r = deliver_due(
        &ledger,
        &notifier(&server, dir.path(), Some(smtp::PASSWORD)),
        at(),
    )
    .await
    .unwrap();
    assert_eq!(r, report(1, 0, 0));
    let msgs = server.wait_for(1, ARRIVES).await;
    let (mail, text, html) = parts(&msgs[0]);
    let h = mail.get_headers();
    assert_eq!(
        h.get_first_value("Subject").unwrap(),
        "renewd: topped up Mom's <Phone> & SIM: 25.00 USD"
    );
    assert_eq!(h.get_first_value("Message-ID").unwrap(), want_id);
    assert_eq!(
        h.get_first_value("To").unwrap(),
        "me@example.com, partner@example.com"
    );
    for want in [
        "Mom's <Phone> & SIM (mom-phone)",
        "airtime",
        "25.00 USD",
        "data 312 MB < 500 MB",
        "RLD-7781",
        "renewd-mom-phone-42",
        "Ledger id",
        "2026-11-30 14:05 EST",
        "27.40 USD",
        "2360 MB",
        "25.00 USD of 60.00 USD",
        "40.00 USD of 150.00 USD",
    ] {
        assert!(text.contains(want), "text part lacks {want:?}:\n{text}");
    }
    assert!(
        html.contains("Mom&#39;s &lt;Phone&gt; &amp; SIM")
            || html.contains("Mom's &lt;Phone&gt; &amp; SIM"),
        "{html}"
    );
    assert!(
        !html.contains("<Phone>"),
        "HTML must escape the line name: {html}"
    );
    assert_eq!(sent_queued_dead(&ledger), (1, 0, 0));
    let log = logs.text();
    assert!(log.contains("email sent"), "{log}");
    assert!(!log.contains(smtp::PASSWORD), "password in the log:\n{log}");
}

#[tokio::test]
async fn queued_while_the_server_is_down_then_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = SmtpServer::start(Options::default());
    let n = notifier(&server, dir.path(), None);
    server.stop();
    let ledger = SqliteLedger::open_in_memory().unwrap();
    ledger.enqueue(&receipt(7), at()).unwrap();

    let r = deliver_due(&ledger, &n, at()).await.unwrap();
    assert!(
        r.paused.as_deref().is_some_and(|p| p.contains("refused")),
        "{r:?}"
    );
    assert_eq!((r.sent, r.retry, r.dead), (0, 0, 0));
    // A server-wide failure leaves the message as it was and pauses the outbox.
    let m = &queued(&ledger)[0];
    assert_eq!((m.attempts, m.next_attempt_at, m.dead), (0, at(), false));
    let pause = ledger.outbox_pause().unwrap().expect("paused");
    assert!(pause.reason.contains("refused"), "{pause:?}");

    server.restart();
    assert_eq!(
        deliver_due(&ledger, &n, at() + Duration::seconds(61))
            .await
            .unwrap(),
        report(1, 0, 0)
    );
    assert_eq!(
        ledger.outbox_pause().unwrap(),
        None,
        "delivery lifts the pause"
    );
    assert_eq!(
        deliver_due(&ledger, &n, at() + Duration::hours(5))
            .await
            .unwrap(),
        report(0, 0, 0)
    );
    assert_eq!(server.wait_for(1, ARRIVES).await.len(), 1);
    assert_eq!(server.messages().len(), 1, "delivered twice");
}

#[tokio::test]
async fn a_451_then_250_delivers_one_message_not_two() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        fail_first: 1,
        ..Options::default()
    });
    let n = notifier(&server, dir.path(), None);
    let ledger = SqliteLedger::open_in_memory().unwrap();
    ledger.enqueue(&receipt(8), at()).unwrap();

    assert_eq!(
        deliver_due(&ledger, &n, at()).await.unwrap(),
        report(0, 1, 0)
    );
    assert!(
        queued(&ledger)[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("451")
    );
    assert_eq!(
        deliver_due(&ledger, &n, at() + Duration::minutes(2))
            .await
            .unwrap(),
        report(1, 0, 0)
    );
    assert_eq!(
        deliver_due(&ledger, &n, at() + Duration::hours(3))
            .await
            .unwrap(),
        report(0, 0, 0)
    );
    assert_eq!(server.wait_for(1, ARRIVES).await.len(), 1);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_550_is_given_up_on_after_the_first_attempt() {
    let (logs, _guard) = Logs::capture();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        reject: true,
        ..Options::default()
    });
    let n = notifier(&server, dir.path(), None);
    let ledger = SqliteLedger::open_in_memory().unwrap();
    ledger.enqueue(&receipt(9), at()).unwrap();

    assert_eq!(
        deliver_due(&ledger, &n, at()).await.unwrap(),
        report(0, 0, 1)
    );
    for later in [Duration::minutes(2), Duration::hours(2), Duration::days(3)] {
        assert_eq!(
            deliver_due(&ledger, &n, at() + later).await.unwrap(),
            report(0, 0, 0)
        );
    }
    let dead = ledger.dead_messages().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 1);
    assert!(
        dead[0].last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        dead[0].last_error
    );
    assert!(logs.text().contains("given up"), "{}", logs.text());
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_refused_login_pauses_the_outbox_and_the_password_stays_out_of_the_log() {
    let (logs, _guard) = Logs::capture();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options {
        tls: Tls::Starttls,
        auth: true,
        ..Options::default()
    });
    let wrong = "wr0ng-Pa55word-abc";
    let ledger = SqliteLedger::open_in_memory().unwrap();
    ledger.enqueue(&receipt(10), at()).unwrap();
    ledger.enqueue(&receipt(11), at()).unwrap();

    let bad = notifier(&server, dir.path(), Some(wrong));
    for later in [0, 5, 60] {
        let r = deliver_due(&ledger, &bad, at() + Duration::minutes(later))
            .await
            .unwrap();
        assert_eq!((r.sent, r.retry, r.dead), (0, 0, 0), "{r:?}");
        assert!(
            r.paused.as_deref().is_some_and(|p| p.contains("535")),
            "{r:?}"
        );
    }
    assert_eq!(
        sent_queued_dead(&ledger),
        (0, 2, 0),
        "a bad password kills nothing"
    );
    let pause = ledger.outbox_pause().unwrap().expect("paused");
    assert!(
        pause.reason.contains("535") && !pause.reason.contains(wrong),
        "{pause:?}"
    );
    assert_eq!(pause.since, at(), "the pause keeps its first time");
    let log = logs.text();
    assert_eq!(
        log.matches("email delivery paused").count(),
        1,
        "alarm once:\n{log}"
    );
    assert!(!log.contains(wrong), "password in the log:\n{log}");

    let good = notifier(&server, dir.path(), Some(smtp::PASSWORD));
    let r = deliver_due(&ledger, &good, at() + Duration::minutes(61))
        .await
        .unwrap();
    assert_eq!(r, report(2, 0, 0));
    assert_eq!(ledger.outbox_pause().unwrap(), None);
    assert_eq!(server.wait_for(2, ARRIVES).await.len(), 2);
}

#[tokio::test]
async fn kinds_left_out_of_send_are_marked_done_without_sending() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(Options::default());
    let mut e = email(&server.url(), dir.path(), None);
    e.send = vec![MessageKind::Failure];
    let n = SmtpNotifier::new(&e).unwrap();
    let ledger = SqliteLedger::open_in_memory().unwrap();
    ledger.enqueue(&receipt(11), at()).unwrap();

    assert_eq!(
        deliver_due(&ledger, &n, at()).await.unwrap(),
        report(1, 0, 0)
    );
    assert_eq!(sent_queued_dead(&ledger), (1, 0, 0));
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn the_sender_task_delivers_after_a_daemon_restart_and_on_wake_up() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut server = SmtpServer::start(Options {
        tls: Tls::Implicit,
        auth: true,
        ..Options::default()
    });
    // A first daemon queues the receipt while the server is down, tries once, and stops.
    server.stop();
    let queued_at = chrono::Utc::now() - Duration::minutes(10);
    {
        let ledger = SqliteLedger::open(&state).unwrap();
        ledger.enqueue(&receipt(12), queued_at).unwrap();
        let first = notifier(&server, dir.path(), Some(smtp::PASSWORD));
        let r = deliver_due(&ledger, &first, queued_at).await.unwrap();
        assert!(r.paused.is_some(), "{r:?}");
    }

    // The server is back; a new daemon opens the same state and starts its sender.
    server.restart();
    let ledger: Arc<SqliteLedger> = Arc::new(SqliteLedger::open(&state).unwrap());
    let n: Arc<dyn Notifier> = Arc::new(notifier(&server, dir.path(), Some(smtp::PASSWORD)));
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (_keep, n) = tokio::sync::watch::channel(n);
    let first_id = mid(&ledger, "receipt:12");
    let task = tokio::spawn(run_sender(ledger.clone(), n, wake.clone(), stopped));
    let msgs = server.wait_for(1, ARRIVES).await;
    assert!(String::from_utf8_lossy(&msgs[0]).contains(&first_id));

    ledger.enqueue(&receipt(13), chrono::Utc::now()).unwrap();
    let second_id = mid(&ledger, "receipt:13");
    assert_ne!(first_id, second_id);
    wake.notify_one();
    let msgs = server.wait_for(2, ARRIVES).await;
    assert!(String::from_utf8_lossy(&msgs[1]).contains(&second_id));

    stop.send(()).unwrap();
    tokio::time::timeout(ARRIVES, task)
        .await
        .expect("sender stops on shutdown")
        .unwrap();
    assert_eq!(server.messages().len(), 2);
    assert_eq!(sent_queued_dead(&ledger), (2, 0, 0));
}
