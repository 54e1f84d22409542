//! The channels' outbox: fan-out in the event's transaction, once per channel and event,
//! each copy in its channel's language; pauses; dead letters.

use super::*;
use crate::i18n::Lang;
use crate::ledger::{Localized, Route, Routes, Settlement};

fn routes() -> Routes {
    Routes {
        email_language: Lang::ZhCn,
        channels: vec![
            Route {
                channel: "mom-telegram".into(),
                language: Lang::ZhCn,
                lines: Some(vec!["a".into()]),
                kinds: vec![MessageKind::Receipt, MessageKind::Warning],
            },
            Route {
                channel: "ops-webhook".into(),
                language: Lang::En,
                lines: None,
                kinds: vec![MessageKind::Warning],
            },
        ],
    }
}

fn bilingual(key: &str, line: &str) -> Draft {
    let mut d = draft(key);
    d.line_id = Some(line.into());
    d.translations = vec![Localized {
        lang: Lang::ZhCn,
        subject: format!("主题 {key}"),
        text: "正文".into(),
        html: "<p>正文</p>".into(),
    }];
    d
}

#[test]
fn each_channel_gets_one_copy_in_its_language() {
    let l = mem();
    l.set_routes(routes());
    let at = t("2026-11-01T00:00:00Z");
    l.enqueue(&bilingual("w1", "a"), at).unwrap();
    l.enqueue(&bilingual("w1", "a"), at).unwrap();
    l.enqueue(&bilingual("w2", "b"), at).unwrap();
    let tg = l.channel_due("mom-telegram", at, 10).unwrap();
    assert_eq!(
        tg.len(),
        1,
        "line b is not mom-telegram's; w1 twice is once"
    );
    assert_eq!(
        (tg[0].subject.as_str(), tg[0].language),
        ("主题 w1", Lang::ZhCn)
    );
    let hook = l.channel_due("ops-webhook", at, 10).unwrap();
    let subjects: Vec<&str> = hook.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["subject w1", "subject w2"],
        "English, every line"
    );
    let email = l.due_messages(at, 10).unwrap();
    assert_eq!(email.len(), 2);
    assert_eq!(
        email[0].draft.subject, "主题 w1",
        "the email copy is in email.language"
    );
}

#[test]
fn a_settled_top_up_and_its_copies_commit_together() {
    let l = mem();
    l.set_routes(routes());
    let at = "2026-11-05T10:00:00Z";
    let Planned::Ok(top) = l
        .plan_top_up(&intent("a", "r1", usd(2500), at), &caps(None, None), &|h| {
            cap_warning(h)
        })
        .unwrap()
    else {
        panic!("planned");
    };
    l.mark_submitting(top.id, t(at)).unwrap();
    let mut receipt = bilingual("receipt:1", "a");
    receipt.kind = MessageKind::Receipt;
    let confirmed = Settlement::Confirmed {
        provider_ref: Some("p".into()),
        charged: None,
        detail: None,
    };
    l.settle(top.id, &confirmed, t(at), Some(&receipt)).unwrap();
    assert_eq!(l.channel_due("mom-telegram", t(at), 10).unwrap().len(), 1);
    assert!(
        l.channel_due("ops-webhook", t(at), 10).unwrap().is_empty(),
        "receipts are not in its send list"
    );
}

#[test]
fn failures_retries_dead_letters_and_pauses() {
    let l = mem();
    l.set_routes(routes());
    let at = t("2026-11-01T00:00:00Z");
    l.enqueue(&bilingual("w1", "a"), at).unwrap();
    let row = &l.channel_due("mom-telegram", at, 10).unwrap()[0];
    l.channel_mark_failed(row.id, "HTTP 502", Some(t("2026-11-01T00:01:00Z")))
        .unwrap();
    assert!(l.channel_due("mom-telegram", at, 10).unwrap().is_empty());
    assert_eq!(
        l.channel_next_due("mom-telegram").unwrap(),
        Some(t("2026-11-01T00:01:00Z"))
    );
    l.channel_mark_failed(row.id, "HTTP 400", None).unwrap();
    assert!(l.channel_unsent().unwrap()[0].dead);
    assert_eq!(l.channel_retry_dead(None, at).unwrap(), 1);
    l.channel_mark_sent(row.id, at).unwrap();
    let counts = l.channel_counts().unwrap();
    assert_eq!(
        (counts[0].channel.as_str(), counts[0].sent, counts[0].queued),
        ("mom-telegram", 1, 0)
    );

    l.set_channel_pause("mom-telegram", Some(("bot blocked", at)))
        .unwrap();
    l.set_channel_pause(
        "mom-telegram",
        Some(("bot blocked again", t("2026-11-02T00:00:00Z"))),
    )
    .unwrap();
    let p = &l.channel_pauses().unwrap()[0];
    assert_eq!(
        (p.reason.as_str(), p.since),
        ("bot blocked again", at),
        "the first since is kept"
    );
    l.set_channel_pause("mom-telegram", None).unwrap();
    assert!(l.channel_pauses().unwrap().is_empty());
}

#[test]
fn without_routes_only_email_is_queued_in_english() {
    let l = mem();
    let at = t("2026-11-01T00:00:00Z");
    l.enqueue(&bilingual("w1", "a"), at).unwrap();
    assert_eq!(
        l.due_messages(at, 10).unwrap()[0].draft.subject,
        "subject w1"
    );
    assert!(l.channel_counts().unwrap().is_empty());
}
