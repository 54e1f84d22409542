//! A receipt, a failure and a warning in each language, compared with the files in
//! `snapshots/` (subject, then plain text). `RENEWD_UPDATE_SNAPSHOTS=1 cargo test` rewrites
//! them after a deliberate wording change; review the diff before committing.

use chrono::TimeZone;

use super::*;
use crate::config::{Policy, TopUpChoice};
use crate::i18n::Lang;
use crate::model::{Observation, TopUpState};
use crate::money::{Currency, DataSize};
use crate::schedule::Schedule;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").unwrap())
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 19, 5, 0).unwrap()
}

fn line() -> Line {
    Line {
        id: "mom-tmobile".into(),
        name: "Mom's T-Mobile".into(),
        carrier: "airtime".into(),
        number: Some("+15551234567".into()),
        iccid: None,
        schedule: Schedule::parse("every 6h").unwrap(),
        operator_id: None,
        sku_code: None,
        status_from: None,
        renews_on: None,
        policy: Policy {
            balance_below: Some(usd(500)),
            data_below: None,
            expires_within: None,
            runs_out_within: None,
            topup: TopUpChoice::Amount(usd(2500)),
            monthly_cap: Some(usd(6000)),
            plan_days: None,
        }
        .into(),
    }
}

fn top_up() -> TopUp {
    TopUp {
        id: 42,
        line_id: "mom-tmobile".into(),
        carrier: "airtime".into(),
        reference: "renewd-mom-tmobile-42".into(),
        amount: usd(2500),
        package: None,
        state: TopUpState::Confirmed,
        trigger: "balance 3.12 USD < 5.00 USD".into(),
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

fn check(name: &str, draft: &Draft) {
    for lang in Lang::ALL {
        let d = draft.in_language(lang);
        let got = format!("{}\n\n{}", d.subject, d.text);
        let path = format!(
            "{}/src/notify/compose/snapshots/{name}.{}.txt",
            env!("CARGO_MANIFEST_DIR"),
            lang.code()
        );
        if std::env::var_os("RENEWD_UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}; run with RENEWD_UPDATE_SNAPSHOTS=1"));
        assert_eq!(got, want, "{name} in {lang} differs from {path}");
    }
}

#[test]
fn receipt_in_each_language() {
    let after = Observation {
        balance: Some(usd(2812)),
        data: Some(DataSize::from_mb(1536)),
        expires_at: Some(Utc.with_ymd_and_hms(2026, 12, 30, 5, 0, 0).unwrap()),
        ..Observation::empty(at())
    };
    let spend = Spend {
        line: Some(usd(2500)),
        line_cap: Some(usd(6000)),
        global: Some(usd(123_450)),
        global_cap: None,
    };
    let d = receipt(
        &line(),
        &top_up(),
        Some(&after),
        &spend,
        chrono_tz::America::New_York,
    );
    check("receipt", &d);
}

#[test]
fn failure_and_warning_in_each_language() {
    let note = FailureNote {
        provider_text: "Insufficient wallet balance".into(),
        provider_code: Some("INSUFFICIENT_BALANCE".into()),
        next: Some(Text::id("note-next-pause")),
        next_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 1, 5, 0).unwrap()),
        you_can: Some(Text::id("note-read-provider")),
    };
    let tz = chrono_tz::America::New_York;
    check("failure", &topup_failed_with(&line(), &top_up(), &note, tz));
    let hit = crate::policy::CapHit {
        scope: "line",
        cap: usd(6000),
        spent: usd(5000),
        amount: usd(2500),
    };
    check(
        "cap_warning",
        &cap_blocked(&line(), &hit, (2026, 11), "balance 3.12 USD < 5.00 USD"),
    );
}

#[test]
fn known_triggers_read_in_each_language_others_stay_as_written() {
    let table = [
        (
            "balance 3.12 USD < 5.00 USD",
            Lang::ZhCn,
            "余额 3.12 美元，低于 5.00 美元",
        ),
        (
            "balance 3.12 USD < 5.00 USD",
            Lang::En,
            "balance 3.12 USD < 5.00 USD",
        ),
        (
            "data 312 MB < 500 MB",
            Lang::ZhCn,
            "流量 312 MB，低于 500 MB",
        ),
        ("the plan has expired", Lang::ZhCn, "套餐已过期"),
        (
            "forecast runs out in 12h (within 2d)",
            Lang::ZhCn,
            "forecast runs out in 12h (within 2d)",
        ),
        (
            "balance oops < 5.00 USD",
            Lang::ZhCn,
            "balance oops < 5.00 USD",
        ),
    ];
    for (written, lang, want) in table {
        assert_eq!(trigger(written).render(lang), want, "{written}");
    }
}
