//! `history`'s query: every filter combination against a filter written in Rust, and pages
//! walked to the end (the index each query walks: `history_plan.rs`).

use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::ledger::LedgerError;
use crate::ledger::history::{self, HistoryQuery};
use crate::ledger::migrations::{self, MIGRATIONS};
use crate::model::TopUpState::{self, Confirmed, Failed, Planned, Submitting, Unknown};

/// One stored top-up as the Rust-side filter sees it.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    line_id: String,
    sim: String,
    carrier: &'static str,
    state: TopUpState,
    at: i64,
}

pub(super) const BASE: i64 = 1_790_000_000_000;
const MINUTE: i64 = 60_000;

pub(super) fn schema() -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    migrations::apply(&mut c, MIGRATIONS).unwrap();
    c
}

/// 240 top-ups on five SIMs and three carriers. SIM `iccid:a` was bought under `old-a`
/// before its line was renamed `a`; times tie in pairs and a clock step makes later ids
/// older, so the order is `(created_at, id)`, not the id. One open top-up per SIM at most.
fn ledger() -> (Connection, Vec<Row>) {
    let c = schema();
    let mut rows = Vec::new();
    let mut seed = 7u64;
    for i in 0..240i64 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let r = (seed >> 33) as usize;
        let sim = ["a", "b", "c", "d", "e"][r % 5];
        let line_id = if sim == "a" && i < 100 { "old-a" } else { sim };
        let state = match (i, r % 10) {
            (10, _) => Unknown,
            (11, _) => Planned,
            (12, _) => Submitting,
            (_, 0..=2) => Failed,
            _ => Confirmed,
        };
        let step_back = if (150..170).contains(&i) { 90 } else { 0 };
        let row = Row {
            id: i + 1,
            line_id: line_id.into(),
            sim: format!("iccid:{sim}"),
            carrier: ["demo", "travel", "airtime"][(r / 5) % 3],
            state,
            at: BASE + (i / 2 - step_back) * MINUTE,
        };
        c.execute(
            "INSERT INTO top_ups (id, line_id, carrier, reference, amount_minor, currency, state, \
             \"trigger\", created_at, sim) VALUES (?1, ?2, ?3, ?4, 100, 'USD', ?5, 'test', ?6, ?7)",
            params![
                row.id,
                row.line_id,
                row.carrier,
                format!("ref-{i}"),
                row.state.as_str(),
                row.at,
                row.sim
            ],
        )
        .unwrap();
        rows.push(row);
    }
    rows.sort_by_key(|r| (r.at, r.id));
    (c, rows)
}

pub(super) fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(BASE + minutes * MINUTE).unwrap()
}

/// What `q` should list, by plain Rust over every row (ignores `after` and `limit`).
fn expected(rows: &[Row], q: &HistoryQuery) -> Vec<i64> {
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    rows.iter()
        .filter(|r| {
            q.line
                .as_ref()
                .is_none_or(|l| &r.sim == l || &r.line_id == l)
        })
        .filter(|r| q.carrier.as_ref().is_none_or(|c| r.carrier == c))
        .filter(|r| q.states.is_empty() || q.states.contains(&r.state))
        .filter(|r| q.since.is_none_or(|t| r.at >= ms(t)))
        .filter(|r| q.until.is_none_or(|t| r.at < ms(t)))
        .map(|r| r.id)
        .collect()
}

fn ids(c: &Connection, q: &HistoryQuery) -> Vec<i64> {
    history::collect(c, q)
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect()
}

/// Every combination of line, carrier, states and time range.
fn queries() -> Vec<HistoryQuery> {
    let lines = [None, Some("iccid:a"), Some("old-a"), Some("b")];
    let carriers = [None, Some("travel")];
    let states: [&[TopUpState]; 5] = [
        &[],
        &[Failed],
        &[Unknown, Failed],
        &[Confirmed],
        &[Planned, Confirmed],
    ];
    let ranges = [
        (None, None),
        (Some(at(30)), None),
        (None, Some(at(80))),
        (Some(at(20)), Some(at(60))),
    ];
    let mut out = Vec::new();
    for line in lines {
        for carrier in carriers {
            for s in states {
                for (since, until) in ranges {
                    out.push(HistoryQuery {
                        line: line.map(str::to_string),
                        carrier: carrier.map(str::to_string),
                        states: s.to_vec(),
                        since,
                        until,
                        ..HistoryQuery::default()
                    });
                }
            }
        }
    }
    out
}

#[test]
fn every_filter_combination_lists_what_the_filters_say_in_order() {
    let (c, rows) = ledger();
    let mut nonempty = 0;
    for q in queries() {
        let want = expected(&rows, &q);
        nonempty += usize::from(!want.is_empty());
        assert_eq!(ids(&c, &q), want, "{q:?}");
    }
    assert!(nonempty > 100, "the data exercises the filters: {nonempty}");
    // The rename: the SIM's key finds rows bought under both ids, the old id only its own.
    let by = |line: &str| {
        ids(
            &c,
            &HistoryQuery {
                line: Some(line.into()),
                ..Default::default()
            },
        )
    };
    assert!(by("iccid:a").len() > by("old-a").len() && !by("old-a").is_empty());
}

/// Walks every page of `q` with `limit`; checks the hint is there exactly when cut.
fn walk(c: &Connection, q: &HistoryQuery, limit: u64) -> Vec<i64> {
    let (mut all, mut after) = (Vec::new(), None);
    loop {
        let page_q = HistoryQuery {
            after,
            limit: Some(limit),
            ..q.clone()
        };
        let mut page = Vec::new();
        let next = history::page(c, &page_q, &mut |t| {
            page.push(t.id);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert!(page.len() as u64 <= limit, "{q:?}");
        all.extend(&page);
        match next {
            Some(id) => {
                assert_eq!(page.len() as u64, limit, "a cut page is full: {q:?}");
                assert_eq!(Some(&id), page.last(), "next_after is the last id shown");
                after = Some(id);
            }
            None => return all,
        }
    }
}

#[test]
fn walking_the_pages_yields_every_row_once_in_order() {
    let (c, rows) = ledger();
    for q in queries().into_iter().step_by(3) {
        let want = expected(&rows, &q);
        for limit in [1, 7, 50] {
            assert_eq!(walk(&c, &q, limit), want, "limit {limit}, {q:?}");
        }
        // A limit the list fits in exactly is not cut.
        if !want.is_empty() {
            assert_eq!(walk(&c, &q, want.len() as u64), want);
        }
    }
}

#[test]
fn a_page_after_an_unknown_id_is_an_error_and_break_stops() {
    let (c, _) = ledger();
    let q = HistoryQuery {
        after: Some(9999),
        ..Default::default()
    };
    let err = history::page(&c, &q, &mut |_| ControlFlow::Continue(())).unwrap_err();
    assert!(matches!(err, LedgerError::NoSuchTopUp(9999)), "{err}");
    let mut seen = 0;
    let next = history::page(&c, &HistoryQuery::default(), &mut |_| {
        seen += 1;
        ControlFlow::Break(())
    });
    assert_eq!((seen, next.unwrap()), (1, None));
}
