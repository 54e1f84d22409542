//! The per-SIM reads a check makes (open top-up, last failure), blank readings, and how
//! long readings are kept.

use super::*;
use crate::model::LineState;

#[test]
fn a_blank_reading_marks_the_check_and_stores_nothing() {
    let l = mem();
    let mut blank = Observation::empty(t("2026-11-01T00:00:00Z"));
    blank.state = LineState::Unknown;
    blank.note = Some("Reloadly does not report balance, data or expiry".into());
    l.record_observation("a", "sim-a", &blank).unwrap();
    assert!(l.recent_observations("sim-a", 10).unwrap().is_empty());
    let checks = l.last_checks().unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!((checks[0].at, checks[0].error.as_deref()), (blank.at, None));
    let one = l.last_check("a").unwrap().expect("checked");
    assert_eq!((one.at, one.error), (blank.at, None));
    assert!(l.last_check("b").unwrap().is_none());

    // Anything reported, even only a state, is a reading.
    let mut active = blank.clone();
    active.state = LineState::Active;
    l.record_observation("a", "sim-a", &active).unwrap();
    assert_eq!(l.recent_observations("sim-a", 10).unwrap(), [active]);
}

#[test]
fn readings_are_kept_as_long_as_the_setting_says() {
    let l = mem();
    let mut o = Observation::empty(t("2026-09-01T00:00:00Z"));
    o.balance = Some(usd(100));
    l.record_observation("a", "a", &o).unwrap();
    l.set_keep_readings(chrono::Duration::days(40));
    o.at = t("2026-10-05T00:00:00Z"); // 34 days later: the first is kept
    o.balance = Some(usd(90));
    l.record_observation("a", "a", &o).unwrap();
    assert_eq!(l.recent_observations("a", 10).unwrap().len(), 2);
    o.at = t("2026-10-12T00:00:00Z"); // 41 days after the first
    o.balance = Some(usd(80));
    l.record_observation("a", "a", &o).unwrap();
    let kept: Vec<_> = l
        .recent_observations("a", 10)
        .unwrap()
        .iter()
        .map(|o| o.at)
        .collect();
    assert_eq!(kept, [t("2026-10-05T00:00:00Z"), t("2026-10-12T00:00:00Z")]);
}

#[test]
fn open_top_ups_of_a_sim_leave_other_sims_and_settled_ones_out() {
    let l = mem();
    seed(
        &l,
        "a",
        TopUpState::Confirmed,
        usd(500),
        "2026-11-01T00:00:00Z",
    );
    seed(
        &l,
        "b",
        TopUpState::Unknown,
        usd(500),
        "2026-11-02T00:00:00Z",
    );
    seed(
        &l,
        "a",
        TopUpState::Submitting,
        usd(700),
        "2026-11-03T00:00:00Z",
    );
    let open = l.open_top_ups_of("a").unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].state, open[0].amount),
        (TopUpState::Submitting, usd(700))
    );
    assert!(l.open_top_ups_of("c").unwrap().is_empty());
}

#[test]
fn last_failed_since_is_the_newest_failure_of_that_sim_in_the_window() {
    let l = mem();
    seed(
        &l,
        "a",
        TopUpState::Failed,
        usd(100),
        "2026-11-01T00:00:00Z",
    );
    seed(
        &l,
        "a",
        TopUpState::Failed,
        usd(200),
        "2026-11-02T00:00:00Z",
    );
    seed(
        &l,
        "a",
        TopUpState::Confirmed,
        usd(300),
        "2026-11-03T00:00:00Z",
    );
    seed(
        &l,
        "b",
        TopUpState::Failed,
        usd(400),
        "2026-11-04T00:00:00Z",
    );
    let amount = |since: &str| {
        l.last_failed_since("a", t(since))
            .unwrap()
            .map(|t| t.amount)
    };
    assert_eq!(amount("2026-11-01T00:00:00Z"), Some(usd(200)));
    assert_eq!(
        amount("2026-11-02T00:00:01Z"),
        None,
        "older failures are out"
    );
    assert_eq!(
        l.last_failed_since("c", t("2026-11-01T00:00:00Z")).unwrap(),
        None
    );
}

/// A check's per-SIM queries stay compiled from run to run (the planner may not look at
/// the bound SIM to match a partial index), so a fleet does not parse SQL at every check.
#[test]
fn per_sim_queries_are_not_compiled_again_at_every_run() {
    let l = mem();
    let sql = "SELECT id FROM top_ups WHERE sim = ?1 AND state IN ('planned', 'submitting', 'unknown') \
               ORDER BY created_at, id";
    l.with_conn(|c| {
        for i in 0..20 {
            let mut stmt = c.prepare_cached(sql).unwrap();
            let mut rows = stmt.query([format!("sim-{i}")]).unwrap();
            while rows.next().unwrap().is_some() {}
        }
        let stmt = c.prepare_cached(sql).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    });
}
