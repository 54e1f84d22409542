//! The top-up life cycle, its guarded transitions, resolve and history.

use super::*;
use crate::ledger::{LedgerError, Settlement};

const AT: &str = "2026-11-05T10:00:00Z";

fn confirmed(charged: Option<Money>) -> Settlement {
    Settlement::Confirmed {
        provider_ref: Some("P-1".into()),
        charged,
        detail: Some("ok".into()),
    }
}

fn failed() -> Settlement {
    Settlement::Failed {
        reason: "declined".into(),
    }
}

fn unknown() -> Settlement {
    Settlement::Unknown {
        reason: "timeout".into(),
    }
}

#[test]
fn a_top_up_goes_from_planned_to_confirmed_with_its_messages() {
    let l = mem();
    let i = intent("a", "r1", usd(2500), AT);
    let planned = plan_ok(&l, &i, &caps(Some(usd(6000)), Some(usd(15000))));
    assert_eq!(
        (planned.state, planned.amount, planned.before.clone()),
        (TopUpState::Planned, usd(2500), i.before.clone())
    );
    assert_eq!(l.open_top_ups().unwrap(), vec![planned.clone()]);
    l.mark_submitting(planned.id, t("2026-11-05T10:00:01Z"))
        .unwrap();
    l.set_provider_ref(planned.id, "P-0").unwrap();
    let u = l
        .settle(
            planned.id,
            &unknown(),
            t("2026-11-05T10:00:30Z"),
            Some(&draft("unknown:1")),
        )
        .unwrap();
    assert_eq!(
        (u.state, u.settled_at, u.detail.as_deref()),
        (TopUpState::Unknown, None, Some("timeout"))
    );
    assert_eq!(l.open_top_ups().unwrap().len(), 1);
    let done = l
        .settle(
            planned.id,
            &confirmed(Some(usd(2450))),
            t("2026-11-05T11:00:00Z"),
            Some(&draft("receipt:1")),
        )
        .unwrap();
    assert_eq!(done.state, TopUpState::Confirmed);
    assert_eq!(
        done.amount,
        usd(2450),
        "the charged amount replaces the planned one"
    );
    assert_eq!(done.sent_at, Some(t("2026-11-05T10:00:01Z")));
    assert_eq!(done.settled_at, Some(t("2026-11-05T11:00:00Z")));
    assert_eq!(
        (done.provider_ref.as_deref(), done.detail.as_deref()),
        (Some("P-1"), Some("ok"))
    );
    assert_eq!(l.top_up(planned.id).unwrap(), Some(done.clone()));
    assert_eq!(l.last_confirmed("a").unwrap(), Some(done));
    assert!(l.open_top_ups().unwrap().is_empty());
    let keys: Vec<String> = l
        .due_messages(t("2026-11-05T12:00:00Z"), 10)
        .unwrap()
        .into_iter()
        .map(|m| m.draft.key)
        .collect();
    assert_eq!(keys, ["unknown:1", "receipt:1"]);
    plan_ok(&l, &intent("a", "r2", usd(2500), AT), &caps(None, None));
}

#[test]
fn a_charge_in_another_currency_keeps_the_planned_amount_and_notes_it() {
    let l = mem();
    let p = plan_ok(&l, &intent("a", "r1", usd(2500), AT), &caps(None, None));
    l.mark_submitting(p.id, t(AT)).unwrap();
    let done = l
        .settle(p.id, &confirmed(Some(eur(2300))), t(AT), None)
        .unwrap();
    assert_eq!(done.amount, usd(2500));
    assert!(done.detail.unwrap().contains("23.00 EUR"));
}

#[test]
fn a_second_open_top_up_for_a_line_is_refused() {
    let l = mem();
    let first = plan_ok(&l, &intent("a", "r1", usd(100), AT), &caps(None, None));
    match l.plan_top_up(
        &intent("a", "r2", usd(100), AT),
        &caps(None, None),
        &cap_warning,
    ) {
        Err(LedgerError::OpenTopUp { line, id }) => {
            assert_eq!((line.as_str(), id), ("a", first.id))
        }
        other => panic!("expected OpenTopUp, got {other:?}"),
    }
    plan_ok(&l, &intent("b", "r3", usd(100), AT), &caps(None, None));
    assert_eq!(l.history(None, None).unwrap().len(), 2);
}

#[test]
fn a_duplicate_reference_is_a_write_error() {
    let l = mem();
    plan_ok(&l, &intent("a", "same", usd(100), AT), &caps(None, None));
    let err = l
        .plan_top_up(
            &intent("b", "same", usd(100), AT),
            &caps(None, None),
            &cap_warning,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::Write { .. }), "{err:?}");
}

/// Drives a fresh top-up on line `a` into `state`.
fn in_state(l: &SqliteLedger, state: TopUpState) -> i64 {
    let id = plan_ok(l, &intent("a", "r", usd(100), AT), &caps(None, None)).id;
    let at = t(AT);
    match state {
        TopUpState::Planned => {}
        TopUpState::Submitting => l.mark_submitting(id, at).unwrap(),
        TopUpState::Failed => drop(l.settle(id, &failed(), at, None).unwrap()),
        TopUpState::Unknown | TopUpState::Confirmed => {
            l.mark_submitting(id, at).unwrap();
            let outcome = if state == TopUpState::Unknown {
                unknown()
            } else {
                confirmed(None)
            };
            l.settle(id, &outcome, at, None).unwrap();
        }
    }
    assert_eq!(l.top_up(id).unwrap().unwrap().state, state);
    id
}

#[test]
fn transitions_from_the_wrong_state_are_errors_and_change_nothing() {
    use TopUpState::*;
    type Op = fn(&SqliteLedger, i64) -> Result<(), LedgerError>;
    let ops: [(&str, Op); 6] = [
        ("submit", |l, id| l.mark_submitting(id, t(AT))),
        ("confirm", |l, id| {
            l.settle(id, &confirmed(None), t(AT), Some(&draft("m")))
                .map(drop)
        }),
        ("fail", |l, id| {
            l.settle(id, &failed(), t(AT), Some(&draft("m"))).map(drop)
        }),
        ("unknown", |l, id| {
            l.settle(id, &unknown(), t(AT), Some(&draft("m"))).map(drop)
        }),
        ("provider_ref", |l, id| l.set_provider_ref(id, "P")),
        ("resolve", |l, id| {
            l.resolve(id, true, t(AT), Some(&draft("m"))).map(drop)
        }),
    ];
    // Which operations each state allows, in the order of `ops`.
    let table = [
        // `resolve` (last) takes only `unknown`: renewd itself settles planned/submitting.
        (Planned, [true, false, true, false, true, false]),
        (Submitting, [false, true, true, true, true, false]),
        (Unknown, [false, true, true, true, true, true]),
        (Confirmed, [false; 6]),
        (Failed, [false; 6]),
    ];
    for (state, allowed) in table {
        for ((name, op), ok) in ops.iter().zip(allowed) {
            let l = mem();
            let id = in_state(&l, state);
            let got = op(&l, id);
            assert_eq!(got.is_ok(), ok, "{name} from {state}: {got:?}");
            if !ok {
                let err = got.unwrap_err();
                assert!(
                    matches!(
                        err,
                        LedgerError::WrongState { .. } | LedgerError::NotOpen { .. }
                    ),
                    "{err:?}"
                );
                assert!(err.to_string().contains(state.as_str()), "{err}");
                assert_eq!(
                    l.top_up(id).unwrap().unwrap().state,
                    state,
                    "{name} from {state} changed the row"
                );
                assert_eq!(
                    l.outbox_counts().unwrap().queued,
                    0,
                    "{name} from {state} queued its message"
                );
            }
        }
    }
    let l = mem();
    assert!(matches!(
        l.mark_submitting(99, t(AT)),
        Err(LedgerError::NoSuchTopUp(99))
    ));
    assert!(matches!(
        l.settle(99, &failed(), t(AT), None),
        Err(LedgerError::NoSuchTopUp(99))
    ));
    assert!(matches!(
        l.resolve(99, true, t(AT), None),
        Err(LedgerError::NoSuchTopUp(99))
    ));
}

#[test]
fn resolve_settles_an_unknown_top_up_by_hand() {
    for (paid, want) in [(true, TopUpState::Confirmed), (false, TopUpState::Failed)] {
        let l = mem();
        let id = in_state(&l, TopUpState::Unknown);
        let r = l
            .resolve(
                id,
                paid,
                t("2026-11-06T09:00:00Z"),
                Some(&draft("resolved:1")),
            )
            .unwrap();
        assert_eq!(
            (r.state, r.settled_at),
            (want, Some(t("2026-11-06T09:00:00Z")))
        );
        assert!(r.detail.unwrap().starts_with("timeout; resolved by hand"));
        assert_eq!(l.outbox_counts().unwrap().queued, 1);
        match l.resolve(id, paid, t(AT), None) {
            Err(LedgerError::NotOpen { id: got, state }) => {
                assert_eq!((got, state.as_str()), (id, want.as_str()))
            }
            other => panic!("expected NotOpen, got {other:?}"),
        }
    }
}

#[test]
fn history_filters_by_line_and_time() {
    let l = mem();
    for (line, reference, at) in [
        ("a", "1", "2026-10-01T00:00:00Z"),
        ("b", "2", "2026-11-01T00:00:00Z"),
        ("a", "3", "2026-11-02T00:00:00Z"),
    ] {
        let p = plan_ok(
            &l,
            &intent(line, reference, usd(100), at),
            &caps(None, None),
        );
        l.settle(p.id, &failed(), t(at), None).unwrap();
    }
    let refs = |h: Vec<TopUp>| h.into_iter().map(|t| t.reference).collect::<Vec<_>>();
    assert_eq!(refs(l.history(None, None).unwrap()), ["1", "2", "3"]);
    assert_eq!(refs(l.history(Some("a"), None).unwrap()), ["1", "3"]);
    assert_eq!(
        refs(l.history(None, Some(t("2026-11-01T00:00:00Z"))).unwrap()),
        ["2", "3"]
    );
    assert_eq!(
        refs(
            l.history(Some("a"), Some(t("2026-11-01T00:00:00Z")))
                .unwrap()
        ),
        ["3"]
    );
    assert!(l.history(Some("zzz"), None).unwrap().is_empty());
}
