//! A line's `email_to`: its messages reach `email.to` and the line's own recipients (over
//! a real SMTP server); other lines' messages do not reach them.

#[path = "common/smtp_fixtures.rs"]
mod fixtures;
#[path = "common/smtp.rs"]
mod smtp;

use std::collections::BTreeMap;

use fixtures::{ARRIVES, at, email, receipt};
use mailparse::MailHeaderMap;
use renewd::ledger::{Ledger, SqliteLedger};
use renewd::notify::{SmtpNotifier, deliver_due};
use smtp::{Options, SmtpServer};

#[tokio::test]
async fn a_lines_receipt_reaches_its_own_recipients_too() {
    let server = SmtpServer::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut extra = BTreeMap::new();
    extra.insert(
        "mom-phone".to_string(),
        vec!["kid@example.com".to_string(), "ME@example.com".to_string()],
    );
    let notifier = SmtpNotifier::new(&email(&server.url(), dir.path(), None))
        .unwrap()
        .with_line_recipients(extra);
    let ledger = SqliteLedger::open_in_memory().unwrap();
    let mom = receipt(1);
    let mut other = receipt(2);
    other.line_id = Some("dad-phone".into());
    ledger.enqueue(&mom, at()).unwrap();
    ledger.enqueue(&other, at()).unwrap();
    deliver_due(&ledger, &notifier, at()).await.unwrap();
    let mails = server.wait_for(2, ARRIVES).await;
    let to = |raw: &[u8]| {
        let m = mailparse::parse_mail(raw).unwrap();
        (
            m.headers.get_first_value("Message-ID").unwrap_or_default(),
            m.headers.get_first_value("To").unwrap_or_default(),
        )
    };
    let all: Vec<(String, String)> = mails.iter().map(|m| to(m)).collect();
    let mom_to = &all
        .iter()
        .find(|(id, _)| id.contains("receipt.1"))
        .expect("mom's receipt")
        .1;
    assert!(mom_to.contains("kid@example.com"), "{mom_to}");
    assert_eq!(
        mom_to.matches("me@example.com").count() + mom_to.matches("ME@example.com").count(),
        1,
        "{mom_to}"
    );
    let dad_to = &all
        .iter()
        .find(|(id, _)| id.contains("receipt.2"))
        .expect("dad's receipt")
        .1;
    assert!(!dad_to.contains("kid@"), "{dad_to}");
}
