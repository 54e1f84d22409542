//! Several tasks and several connections planning at once; the cost of a cycle on disk.

use std::sync::Arc;
use std::time::Instant;

use super::*;
use crate::ledger::{LedgerError, Settlement};

const AT: &str = "2026-11-05T10:00:00Z";

#[test]
fn concurrent_plans_for_one_line_commit_exactly_one() {
    let l = Arc::new(mem());
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let l = Arc::clone(&l);
            std::thread::spawn(move || {
                l.plan_top_up(
                    &intent("a", &format!("r{n}"), usd(100), AT),
                    &caps(None, None),
                    &cap_warning,
                )
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Ok(Planned::Ok(_))))
            .count(),
        1
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(LedgerError::OpenTopUp { .. })))
            .count(),
        7
    );
}

#[test]
fn two_connections_on_one_file_never_exceed_the_global_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        Arc::new(SqliteLedger::open(dir.path()).unwrap()),
        Arc::new(SqliteLedger::open(dir.path()).unwrap()),
    );
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let l = Arc::clone(if n % 2 == 0 { &a } else { &b });
            std::thread::spawn(move || {
                let i = intent(&format!("line{n}"), &format!("r{n}"), usd(3000), AT);
                l.plan_top_up(&i, &caps(None, Some(usd(10000))), &cap_warning)
                    .unwrap()
            })
        })
        .collect();
    let planned = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|p| matches!(p, Planned::Ok(_)))
        .count();
    assert_eq!(planned, 3, "3 x 30.00 fit under 100.00, a fourth does not");
    assert_eq!(a.month_spend(None, &november()).unwrap(), vec![usd(9000)]);
}

/// Not a check: prints what one plan -> submitting -> confirmed cycle costs on disk.
/// `cargo test --lib ledger::tests::concurrency::measure -- --ignored --nocapture`
#[test]
#[ignore]
fn measure_cycle_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(dir.path()).unwrap();
    let n = 200;
    let started = Instant::now();
    for k in 0..n {
        let p = plan_ok(
            &l,
            &intent("a", &format!("r{k}"), usd(100), AT),
            &caps(Some(usd(i64::MAX / 2)), None),
        );
        l.mark_submitting(p.id, t(AT)).unwrap();
        let done = Settlement::Confirmed {
            provider_ref: None,
            charged: None,
            detail: None,
        };
        l.settle(p.id, &done, t(AT), Some(&draft(&format!("receipt:{k}"))))
            .unwrap();
    }
    let per = started.elapsed() / n;
    println!("one plan/submit/settle cycle with its receipt: {per:?} ({n} cycles)");
}
