//! The index each `history` query walks, read from `EXPLAIN QUERY PLAN`: never a scan of
//! the whole table, and no sort where the index gives the order (a page stops early).

use rusqlite::{Connection, params_from_iter};

use super::history::{BASE, at, schema};
use crate::ledger::history::{self, Driver, HistoryQuery, driver};
use crate::model::TopUpState::{Confirmed, Failed, Unknown};

/// The plan's detail lines for `q` (as if continuing after a row).
fn plan(c: &Connection, q: &HistoryQuery) -> String {
    let after = q.after.map(|id| (BASE, id));
    let (sql, args) = history::sql(q, after);
    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let details = stmt
        .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
        .unwrap();
    details.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

/// `q` (a page of 50) walks `index` through `by`; `ordered`: without a temporary sort.
fn walks(f: &dyn Fn(&mut HistoryQuery), by: Driver, index: &str, ordered: bool) {
    let mut q = HistoryQuery {
        limit: Some(50),
        ..Default::default()
    };
    f(&mut q);
    assert_eq!(driver(&q), by, "{q:?}");
    let p = plan(&schema(), &q);
    assert!(p.contains(&format!("USING INDEX {index}")), "{q:?}:\n{p}");
    let scans_table = p
        .lines()
        .any(|l| l.starts_with("SCAN") && !l.contains("USING"));
    assert!(!scans_table, "{q:?}:\n{p}");
    if ordered {
        assert!(!p.contains("TEMP B-TREE"), "{q:?}:\n{p}");
    }
}

#[test]
fn pages_and_time_ranges_walk_the_time_index_in_order() {
    let time = Driver::Time;
    walks(&|_| (), time, "top_ups_created", true);
    walks(
        &|q| q.after = Some(5),
        time,
        "top_ups_created (created_at>?)",
        true,
    );
    let range = "top_ups_created (created_at>? AND created_at<?)";
    walks(
        &|q| (q.since, q.until) = (Some(at(1)), Some(at(9))),
        time,
        range,
        true,
    );
    // Most rows are confirmed: their index would find them all, then sort them.
    walks(
        &|q| q.states = vec![Confirmed],
        time,
        "top_ups_created",
        true,
    );
}

#[test]
fn a_carrier_walks_its_index_in_order() {
    let by = Driver::Carrier;
    let x = || Some("x".to_string());
    walks(
        &|q| q.carrier = x(),
        by,
        "top_ups_carrier_created (carrier=?)",
        true,
    );
    let since = "top_ups_carrier_created (carrier=? AND created_at>?)";
    walks(
        &|q| (q.carrier, q.since) = (x(), Some(at(1))),
        by,
        since,
        true,
    );
    let common = vec![Confirmed, Failed];
    let both = |q: &mut HistoryQuery| (q.carrier, q.states) = (x(), common.clone());
    walks(&both, by, "top_ups_carrier_created (carrier=?)", true);
}

#[test]
fn rare_states_walk_the_state_index() {
    let (by, index) = (Driver::State, "top_ups_state_created (state=?)");
    walks(&|q| q.states = vec![Unknown], by, index, true);
    let two = |q: &mut HistoryQuery| {
        q.states = vec![Unknown, Failed];
        q.carrier = Some("x".into());
    };
    walks(&two, by, index, false);
}

#[test]
fn a_line_walks_its_sim_and_id_indexes_whatever_else_is_asked() {
    walks(
        &|q| q.line = Some("a".into()),
        Driver::Line,
        "top_ups_sim_created (sim=?)",
        false,
    );
    let all = |q: &mut HistoryQuery| {
        q.line = Some("a".into());
        q.carrier = Some("x".into());
        q.states = vec![Confirmed];
        q.since = Some(at(1));
        q.after = Some(3);
    };
    let index = "top_ups_line_created (line_id=? AND created_at>?)";
    walks(&all, Driver::Line, index, false);
}
