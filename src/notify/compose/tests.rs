//! What each email says: the fields a person needs are present, and HTML is escaped.

use chrono::TimeZone;

use super::*;
use crate::config::{Policy, TopUpChoice};
use crate::model::{LineState, Observation, TopUpState};
use crate::money::{Currency, DataSize};
use crate::policy::CapHit;
use crate::schedule::Schedule;

pub(super) const NY: Tz = chrono_tz::America::New_York;

pub(super) fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").unwrap())
}

pub(super) fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 19, 5, 0).unwrap()
}

pub(super) fn line() -> Line {
    Line {
        id: "mom".into(),
        name: "Mom <T&M>".into(),
        carrier: "airtime".into(),
        number: None,
        iccid: None,
        schedule: Schedule::parse("every 6h").unwrap(),
        operator_id: None,
        sku_code: None,
        status_from: None,
        renews_on: None,
        policy: Policy {
            balance_below: None,
            data_below: Some(DataSize::from_mb(500)),
            expires_within: None,
            runs_out_within: None,
            topup: TopUpChoice::Amount(usd(2500)),
            monthly_cap: Some(usd(6000)),
            plan_days: None,
        }
        .into(),
    }
}

pub(super) fn top_up() -> TopUp {
    TopUp {
        id: 42,
        line_id: "mom".into(),
        carrier: "airtime".into(),
        reference: "renewd-mom-42".into(),
        amount: usd(2500),
        package: Some("3 GB - 30 Days".into()),
        state: TopUpState::Confirmed,
        trigger: "data 312 MB < 500 MB".into(),
        created_at: at(),
        sent_at: Some(at()),
        settled_at: Some(at()),
        provider_ref: Some("RLD-7781".into()),
        detail: None,
        before: None,
        sim: "number:+15551234567".into(),
        shown_at: None,
    }
}

fn has_all(d: &Draft, wants: &[&str]) {
    for w in wants {
        assert!(d.text.contains(w), "text lacks {w:?}:\n{}", d.text);
        assert!(d.html.contains(&esc(w)), "html lacks {w:?}:\n{}", d.html);
    }
    assert!(!d.html.contains("<T&M>"), "html not escaped:\n{}", d.html);
}

#[test]
fn receipt_says_everything_a_person_needs() {
    let after = Observation {
        balance: Some(usd(2740)),
        data: Some(DataSize::from_mb(3072)),
        expires_at: Some(at()),
        state: LineState::Active,
        ..Observation::empty(at())
    };
    let spend = Spend {
        line: Some(usd(2500)),
        line_cap: Some(usd(6000)),
        global: Some(usd(4000)),
        global_cap: None,
    };
    let d = receipt(&line(), &top_up(), Some(&after), &spend, NY);
    assert_eq!(d.subject, "renewd: topped up Mom <T&M>: 25.00 USD");
    assert_eq!(
        (d.key.as_str(), d.kind, d.line_id.as_deref()),
        ("receipt:42", MessageKind::Receipt, Some("mom"))
    );
    has_all(
        &d,
        &[
            "Mom <T&M> (mom)",
            "airtime",
            "3 GB - 30 Days",
            "25.00 USD",
            "data 312 MB < 500 MB",
            "RLD-7781",
            "renewd-mom-42",
            "42",
            "2026-11-30 14:05 EST",
            "27.40 USD",
            "3 GB",
            "25.00 USD of 60.00 USD",
            "40.00 USD (no cap)",
        ],
    );
}

#[test]
fn failure_gives_the_provider_words_and_the_next_steps() {
    let note = FailureNote {
        provider_text: "Insufficient wallet balance".into(),
        provider_code: Some("INSUFFICIENT_BALANCE".into()),
        next: Some(Text::raw("tries again at the next check")),
        next_at: Some(at() + chrono::Duration::hours(6)),
        you_can: Some(Text::raw("add funds to the Reloadly wallet")),
    };
    let d = topup_failed_with(&line(), &top_up(), &note, NY);
    assert_eq!(d.subject, "renewd: top-up FAILED for Mom <T&M>");
    assert_eq!(
        (d.key.as_str(), d.kind),
        ("failed:42", MessageKind::Failure)
    );
    has_all(
        &d,
        &[
            "Insufficient wallet balance (code INSUFFICIENT_BALANCE)",
            "tries again at the next check (2026-11-30 20:05 EST)",
            "add funds to the Reloadly wallet",
            "Nothing was charged",
        ],
    );
    let note = FailureNote {
        provider_text: "declined".into(),
        next: Some(Text::raw("tries again")),
        ..FailureNote::default()
    };
    let plain = topup_failed_with(&line(), &top_up(), &note, NY);
    has_all(&plain, &["declined", "tries again"]);
}

#[test]
fn warnings_name_the_way_out() {
    let u = unknown_outcome(&line(), &top_up(), "timeout after 30s");
    assert!(u.subject.contains("UNKNOWN") && u.subject.contains("needs you"));
    has_all(
        &u,
        &[
            "renewd resolve 42 --paid",
            "timeout after 30s",
            "renewd-mom-42",
        ],
    );

    let hit = CapHit {
        scope: "line",
        cap: usd(6000),
        spent: usd(5000),
        amount: usd(2500),
    };
    let c = cap_blocked(&line(), &hit, (2026, 11), "data 312 MB < 500 MB");
    assert_eq!(c.key, "cap:mom:2026-11");
    has_all(&c, &["50.00 USD of 60.00 USD", "monthly_cap"]);

    let f = check_failing(&line(), at(), "HTTP 503 <html>", NY);
    assert_eq!(f.kind, MessageKind::Failure);
    has_all(&f, &["HTTP 503 <html>", "2026-11-30 14:05 EST"]);

    let dr = dry_run(&line(), "data 312 MB < 500 MB", "25.00 USD", at(), NY);
    assert_eq!(
        (dr.key.as_str(), dr.kind),
        ("dryrun:mom:2026-11-30", MessageKind::Warning)
    );
    has_all(&dr, &["25.00 USD", "dry_run = false"]);
}

#[test]
fn test_message_belongs_to_no_line() {
    let d = test_message("smtps://smtp.example.com:465", at());
    assert_eq!(d.line_id, None);
    assert!(d.key.starts_with("test:") && d.text.contains("smtps://smtp.example.com:465"));
}
