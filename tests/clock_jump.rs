//! Wall clock steps and the purchase decision: a top-up or failure stamped in the future
//! (the clock went back after it) stalls nothing, and no reading that does not show a
//! confirmed top-up buys again before the settle time, whichever way the clock moved.
//! (The scheduler's side, one check per line per step, is tested in src/scheduler.)

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use renewd::carriers::Reports;
use renewd::config::Line;
use renewd::model::{Observation, TopUp, TopUpState};
use renewd::money::{Currency, Money};
use renewd::policy::{Decision, Facts, decide};

fn line() -> Line {
    let text = "[carriers.c]\ntype = \"simulated\"\n[[lines]]\nid = \"a\"\ncarrier = \"c\"\n\
                [lines.policy]\nbalance_below = \"5.00 USD\"\ntopup_amount = \"10.00 USD\"\n";
    let config = renewd::config::validate(text, Path::new("/x/r.toml")).expect("valid");
    config.lines[0].clone()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").expect("USD"))
}

fn reading(at: DateTime<Utc>, balance: i64) -> Observation {
    let mut o = Observation::empty(at);
    o.balance = Some(usd(balance));
    o
}

fn top_up(state: TopUpState, at: DateTime<Utc>, before: i64) -> TopUp {
    TopUp {
        id: 1,
        line_id: "a".into(),
        sim: "line:a".into(),
        carrier: "c".into(),
        reference: "a-1".into(),
        amount: usd(1000),
        package: None,
        state,
        trigger: "balance".into(),
        created_at: at,
        sent_at: Some(at),
        settled_at: Some(at),
        provider_ref: Some("P1".into()),
        detail: None,
        before: Some(reading(at, before)),
        shown_at: None,
    }
}

/// The decision at `now` on a reading of `balance`, with a confirmed or failed top-up.
fn decide_at(
    now: DateTime<Utc>,
    balance: i64,
    confirmed: Option<&TopUp>,
    failed: Option<&TopUp>,
) -> Decision {
    let obs = reading(now, balance);
    let facts = Facts {
        now,
        tz: chrono_tz::Tz::UTC,
        observation: Some(&obs),
        history: std::slice::from_ref(&obs),
        reports: Reports {
            balance: true,
            data: false,
            expiry: false,
        },
        open: None,
        last_confirmed: confirmed,
        last_failed: failed,
        settle: Duration::from_secs(30 * 60),
    };
    decide(&line(), &facts)
}

fn is_wait(d: &Decision) -> bool {
    matches!(d, Decision::Wait { .. })
}

fn is_buy(d: &Decision) -> bool {
    matches!(d, Decision::TopUp { .. })
}

#[test]
fn a_step_back_after_a_top_up_stalls_nothing_and_buys_nothing_on_a_stale_reading() {
    let bought = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let t = top_up(TopUpState::Confirmed, bought, 400);
    for back in [
        TimeDelta::minutes(5),
        TimeDelta::hours(3),
        TimeDelta::days(40),
    ] {
        let now = bought - back;
        // The carrier shows the top-up (balance rose): settled, the line holds.
        let d = decide_at(now, 1400, Some(&t), None);
        assert!(matches!(d, Decision::Hold { .. }), "{back}: {d:?}");
        // A stale reading (balance as before the top-up): never buy again.
        let d = decide_at(now, 400, Some(&t), None);
        assert!(!is_buy(&d), "{back}: {d:?}");
    }
}

#[test]
fn a_failure_stamped_in_the_future_does_not_pause_the_line() {
    let failed_at = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let t = top_up(TopUpState::Failed, failed_at, 400);
    // Same clock, within the 15 min pause: waits.
    let d = decide_at(failed_at + TimeDelta::minutes(5), 400, None, Some(&t));
    assert!(is_wait(&d), "{d:?}");
    // The clock went back a day: not stalled until it passes the old time.
    let d = decide_at(failed_at - TimeDelta::days(1), 400, None, Some(&t));
    assert!(matches!(d, Decision::TopUp { .. }), "{d:?}");
}

#[test]
fn a_step_forward_within_settle_still_needs_the_reading_to_show_the_top_up() {
    let bought = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let t = top_up(TopUpState::Confirmed, bought, 400);
    let d = decide_at(bought + TimeDelta::minutes(10), 400, Some(&t), None);
    assert!(!is_buy(&d), "{d:?}");
}
