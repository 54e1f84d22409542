//! Caps at their boundaries, the once-per-key warning, and month spend.

use super::*;

const AT: &str = "2026-11-15T12:00:00Z";

#[test]
fn global_cap_counts_the_right_top_ups_in_the_right_month() {
    // Global cap 100.00 USD; line `a` plans 40.00 after line `b` spent `seeded`.
    let table: &[(TopUpState, Money, &str, bool)] = &[
        (TopUpState::Confirmed, usd(6000), AT, true),
        (TopUpState::Confirmed, usd(6001), AT, false),
        (TopUpState::Planned, usd(6001), AT, false),
        (TopUpState::Submitting, usd(6001), AT, false),
        (TopUpState::Unknown, usd(6001), AT, false),
        (TopUpState::Failed, usd(6001), AT, true),
        (
            TopUpState::Confirmed,
            usd(6001),
            "2026-11-01T00:00:00Z",
            false,
        ),
        (
            TopUpState::Confirmed,
            usd(6001),
            "2026-10-31T23:59:59.999Z",
            true,
        ),
        (
            TopUpState::Confirmed,
            usd(6001),
            "2026-12-01T00:00:00Z",
            true,
        ),
        (TopUpState::Confirmed, eur(6001), AT, true),
    ];
    for (state, seeded, at, allowed) in table {
        let l = mem();
        seed(&l, "b", *state, *seeded, at);
        let got = l
            .plan_top_up(
                &intent("a", "r", usd(4000), AT),
                &caps(None, Some(usd(10000))),
                &cap_warning,
            )
            .unwrap();
        let case = format!("{state} {seeded} at {at}");
        match (got, allowed) {
            (Planned::Ok(t), true) => assert_eq!(t.amount, usd(4000), "{case}"),
            (Planned::Blocked(hit), false) => {
                assert_eq!(
                    (hit.scope, hit.cap, hit.spent, hit.amount),
                    ("global", usd(10000), *seeded, usd(4000)),
                    "{case}"
                );
                assert!(
                    l.history(Some("a"), None).unwrap().is_empty(),
                    "{case}: a blocked plan committed a row"
                );
            }
            (got, _) => panic!("{case}: got {got:?}, want allowed={allowed}"),
        }
    }
}

#[test]
fn line_cap_counts_only_that_line() {
    // Line cap 60.00 USD; line `a` plans 25.00.
    let table: &[(&str, TopUpState, i64, bool)] = &[
        ("a", TopUpState::Confirmed, 3500, true),
        ("a", TopUpState::Confirmed, 3501, false),
        ("a", TopUpState::Failed, 3501, true),
        ("b", TopUpState::Confirmed, 3501, true),
    ];
    for (line, state, minor, allowed) in table {
        let l = mem();
        seed(&l, line, *state, usd(*minor), AT);
        let got = l
            .plan_top_up(
                &intent("a", "r", usd(2500), AT),
                &caps(Some(usd(6000)), None),
                &cap_warning,
            )
            .unwrap();
        match got {
            Planned::Ok(_) => assert!(allowed, "{line} {state} {minor} should block"),
            Planned::Blocked(hit) => {
                assert!(!allowed, "{line} {state} {minor} should pass: {hit:?}");
                assert_eq!((hit.scope, hit.spent), ("line", usd(*minor)));
            }
        }
    }
}

#[test]
fn a_cap_warning_is_queued_once_per_key() {
    let l = mem();
    seed(&l, "a", TopUpState::Confirmed, usd(6000), AT);
    for n in 0..3 {
        let i = intent("a", &format!("r{n}"), usd(1), AT);
        let got = l
            .plan_top_up(&i, &caps(Some(usd(6000)), None), &cap_warning)
            .unwrap();
        assert!(matches!(got, Planned::Blocked(_)));
    }
    let due = l.due_messages(t(AT), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].draft.key, "cap:a:line:2026-11");
    assert_eq!(
        l.history(Some("a"), None).unwrap().len(),
        1,
        "only the seeded row"
    );
}

#[test]
fn a_plan_in_another_currency_than_the_cap_is_blocked() {
    let l = mem();
    let got = l
        .plan_top_up(
            &intent("a", "r", eur(100), AT),
            &caps(Some(usd(6000)), None),
            &cap_warning,
        )
        .unwrap();
    assert!(
        matches!(got, Planned::Blocked(_)),
        "a cap cannot vouch for money it cannot compare"
    );
}

#[test]
fn month_spend_is_per_currency_and_counts_open_and_confirmed() {
    let l = mem();
    seed(&l, "a", TopUpState::Confirmed, usd(1000), AT);
    seed(&l, "b", TopUpState::Unknown, usd(500), AT);
    seed(&l, "c", TopUpState::Planned, eur(700), AT);
    seed(&l, "a", TopUpState::Failed, usd(10000), AT);
    seed(
        &l,
        "a",
        TopUpState::Confirmed,
        usd(100000),
        "2026-10-15T00:00:00Z",
    );
    assert_eq!(
        l.month_spend(None, &november()).unwrap(),
        vec![eur(700), usd(1500)]
    );
    assert_eq!(
        l.month_spend(Some("a"), &november()).unwrap(),
        vec![usd(1000)]
    );
    assert!(l.month_spend(Some("zzz"), &november()).unwrap().is_empty());
}

#[test]
fn the_counting_states_match_the_model() {
    use crate::ledger::topups::{COUNTING, OPEN};
    for s in [
        TopUpState::Planned,
        TopUpState::Submitting,
        TopUpState::Confirmed,
        TopUpState::Failed,
        TopUpState::Unknown,
    ] {
        let quoted = format!("'{}'", s.as_str());
        assert_eq!(COUNTING.contains(&quoted), s.counts_against_caps(), "{s}");
        assert_eq!(OPEN.contains(&quoted), s.is_open(), "{s}");
    }
}
