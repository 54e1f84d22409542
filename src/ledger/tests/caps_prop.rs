//! Property: random sequences of readings, plans (some under a renamed config id: caps
//! follow the SIM), confirmations (possibly charged less),
//! failures and unknowns, across month ends, DST changes and non-UTC zones, driven
//! through the real `plan_top_up`/`settle` and `policy::month_of` as the daemon calls
//! them: no line and no household ever has more counted against a cap than the cap, in
//! any calendar month of the daemon's zone; and a plan is refused only when it would not
//! fit. The months here are computed independently from the local date of each row.
//!
//! `PROPTEST_CASES` sets the case count (default 64).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;
use crate::ledger::Settlement;

const ZONES: [Tz; 5] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::Paris,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Pacific::Chatham,
    chrono_tz::UTC,
];

/// Instants a little before a DST change or a local month end in one of the zones.
const STARTS: [&str; 8] = [
    "2026-03-06T12:00:00Z", // New York springs forward on 8 March
    "2026-10-30T12:00:00Z", // New York falls back on 1 November, a month start
    "2026-03-27T12:00:00Z", // Paris springs forward on 29 March, month end 31 March
    "2026-10-23T12:00:00Z", // Paris falls back on 25 October
    "2026-04-02T12:00:00Z", // Chatham (+13:45 -> +12:45) on 5 April
    "2026-09-24T12:00:00Z", // Chatham (+12:45 -> +13:45) on 27 September, month end
    "2026-01-30T12:00:00Z", // Kathmandu (+05:45) across 1 February
    "2026-12-29T12:00:00Z", // every zone across the new year
];

/// The SIMs; a plan goes out under one of two config ids per SIM (a rename), and the
/// line cap follows the SIM, not the id.
const LINES: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Op {
    Reading(usize, i64),
    /// SIM, amount, and whether the line was renamed (its config id differs).
    Plan(usize, i64, bool),
    /// Settles the line's open top-up as paid, charged this much less (never below 1).
    Confirm(usize, i64),
    Fail(usize),
    Unknown(usize),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let line = 0..LINES.len();
    prop_oneof![
        1 => (line.clone(), 0..2000i64).prop_map(|(l, b)| Op::Reading(l, b)),
        4 => (line.clone(), 100..3000i64, any::<bool>()).prop_map(|(l, m, r)| Op::Plan(l, m, r)),
        2 => (line.clone(), 0..500i64).prop_map(|(l, d)| Op::Confirm(l, d)),
        1 => line.clone().prop_map(Op::Fail),
        1 => line.prop_map(Op::Unknown),
        // Minutes: up to four days, so runs cross several month ends.
        3 => (0..5760i64).prop_map(Op::Advance),
    ]
}

/// One run: a zone, a start, the caps and the operations.
#[derive(Debug, Clone)]
struct Run {
    tz: Tz,
    start: DateTime<Utc>,
    line_cap: i64,
    global_cap: i64,
    ops: Vec<Op>,
}

fn run() -> impl Strategy<Value = Run> {
    (
        0..ZONES.len(),
        0..STARTS.len(),
        0..(3 * 1440i64),
        1000..6000i64,
        2000..12000i64,
        proptest::collection::vec(op(), 1..80),
    )
        .prop_map(|(z, s, offset, line_cap, global_cap, ops)| Run {
            tz: ZONES[z],
            start: t(STARTS[s]) + Duration::minutes(offset),
            line_cap,
            global_cap,
            ops,
        })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn spend_never_exceeds_a_cap_in_any_local_month(r in run()) {
        let l = mem();
        let mut now = r.start;
        for (n, op) in r.ops.iter().enumerate() {
            step(&l, &r, &mut now, n, op)?;
            check_months(&l, &r)?;
        }
    }
}

/// Applies one operation at `now`, checking a refused plan against the independent sums.
fn step(
    l: &SqliteLedger,
    r: &Run,
    now: &mut DateTime<Utc>,
    n: usize,
    op: &Op,
) -> Result<(), TestCaseError> {
    match *op {
        Op::Advance(minutes) => *now += Duration::minutes(minutes),
        Op::Reading(line, minor) => {
            let mut obs = Observation::empty(*now);
            obs.balance = Some(usd(minor));
            l.record_observation(LINES[line], LINES[line], &obs)
                .unwrap();
        }
        Op::Plan(line, minor, renamed) => plan(l, r, *now, (n, renamed), line, minor)?,
        Op::Confirm(line, less) => settle_open(l, line, *now, |amount| Settlement::Confirmed {
            provider_ref: Some(format!("P-{n}")),
            charged: Some(usd((amount - less).max(1))),
            detail: None,
        }),
        Op::Fail(line) => settle_open(l, line, *now, |_| Settlement::Failed {
            reason: "declined".into(),
        }),
        Op::Unknown(line) => settle_open(l, line, *now, |_| Settlement::Unknown {
            reason: "timeout".into(),
        }),
    }
    Ok(())
}

/// Plans a top-up at `now` as the daemon does; a refusal must be one the independent
/// sums agree with (same month, and the amount really does not fit).
fn plan(
    l: &SqliteLedger,
    r: &Run,
    now: DateTime<Utc>,
    (n, renamed): (usize, bool),
    line: usize,
    minor: i64,
) -> Result<(), TestCaseError> {
    let caps = Caps {
        line: Some(usd(r.line_cap)),
        global: Some(usd(r.global_cap)),
        month: month_of(now, r.tz),
    };
    let mut i = intent(
        LINES[line],
        &format!("ref-{n}"),
        usd(minor),
        &now.to_rfc3339(),
    );
    if renamed {
        i.line_id = format!("{}-renamed", LINES[line]);
    }
    let hit = match l.plan_top_up(&i, &caps, &cap_warning) {
        Ok(Planned::Ok(_)) | Err(crate::ledger::LedgerError::OpenTopUp { .. }) => return Ok(()),
        Ok(Planned::Blocked(hit)) => hit,
        Err(e) => return Err(TestCaseError::fail(format!("plan: {e}"))),
    };
    let key = local_month(now, r.tz);
    let (line_sum, all) = sums(l, r.tz);
    let (spent, cap) = if hit.scope == "line" {
        (
            line_sum
                .get(&(LINES[line].to_string(), key))
                .copied()
                .unwrap_or(0),
            r.line_cap,
        )
    } else {
        (all.get(&key).copied().unwrap_or(0), r.global_cap)
    };
    prop_assert!(
        spent + minor > cap,
        "refused {minor} at {now} with {spent} of {cap} spent ({})",
        hit.scope
    );
    prop_assert_eq!(hit.spent.minor, spent, "the cap saw another month's spend");
    Ok(())
}

/// Settles the line's open top-up (if any), first marking a `planned` one submitting as the
/// daemon does, except for a failure, which a `planned` row may take directly.
fn settle_open(
    l: &SqliteLedger,
    line: usize,
    now: DateTime<Utc>,
    outcome: impl Fn(i64) -> Settlement,
) {
    let open = l.open_top_ups().unwrap();
    let Some(top) = open.into_iter().find(|t| t.sim == LINES[line]) else {
        return;
    };
    let s = outcome(top.amount.minor);
    if top.state == TopUpState::Planned && !matches!(s, Settlement::Failed { .. }) {
        l.mark_submitting(top.id, now).unwrap();
    }
    l.settle(top.id, &s, now, None).unwrap();
}

/// The calendar month of `at` in `tz`, from the local date alone.
fn local_month(at: DateTime<Utc>, tz: Tz) -> (i32, u32) {
    let local = at.with_timezone(&tz);
    (local.year(), local.month())
}

type LineSums = BTreeMap<(String, (i32, u32)), i64>;

/// What counts against the caps per (SIM, local month) and per local month.
fn sums(l: &SqliteLedger, tz: Tz) -> (LineSums, BTreeMap<(i32, u32), i64>) {
    let mut per_line = BTreeMap::new();
    let mut all = BTreeMap::new();
    for top in l.history(None, None).unwrap() {
        if top.state == TopUpState::Failed {
            continue;
        }
        let key = local_month(top.created_at, tz);
        *per_line.entry((top.sim.clone(), key)).or_insert(0) += top.amount.minor;
        *all.entry(key).or_insert(0) += top.amount.minor;
    }
    (per_line, all)
}

fn check_months(l: &SqliteLedger, r: &Run) -> Result<(), TestCaseError> {
    let (per_line, all) = sums(l, r.tz);
    for ((line, month), spent) in &per_line {
        prop_assert!(
            *spent <= r.line_cap,
            "line {line} spent {spent} in {month:?}, cap {}",
            r.line_cap
        );
    }
    for (month, spent) in &all {
        prop_assert!(
            *spent <= r.global_cap,
            "all lines spent {spent} in {month:?}, cap {}",
            r.global_cap
        );
    }
    Ok(())
}
