//! Tests of the SQLite ledger, on in-memory databases and temp files.

mod caps;
mod caps_prop;
mod channels;
mod concurrency;
mod history;
mod history_plan;
mod lifecycle;
mod outbox;
mod per_sim;
mod store;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Caps, Draft, Intent, Ledger, Month, Planned, SqliteLedger};
use crate::config::MessageKind;
use crate::model::{Observation, TopUp, TopUpState};
use crate::money::{Currency, Money};
use crate::policy::{CapHit, month_of};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").unwrap())
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::new("EUR").unwrap())
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// November 2026 in UTC: the month most tests plan in.
fn november() -> Month {
    month_of(t("2026-11-15T12:00:00Z"), chrono_tz::UTC)
}

fn mem() -> SqliteLedger {
    SqliteLedger::open_in_memory().unwrap()
}

fn intent(line: &str, reference: &str, amount: Money, at: &str) -> Intent {
    let mut before = Observation::empty(t(at));
    before.balance = Some(usd(312));
    Intent {
        line_id: line.into(),
        sim: line.into(),
        carrier: "demo".into(),
        reference: reference.into(),
        amount,
        package: None,
        trigger: "balance 3.12 USD < 5.00 USD".into(),
        before: Some(before),
        at: t(at),
    }
}

fn caps(line: Option<Money>, global: Option<Money>) -> Caps {
    Caps {
        line,
        global,
        month: november(),
    }
}

fn draft(key: &str) -> Draft {
    Draft {
        key: key.into(),
        kind: MessageKind::Warning,
        line_id: Some("a".into()),
        subject: format!("subject {key}"),
        text: "text".into(),
        html: "<p>html</p>".into(),
        translations: Vec::new(),
    }
}

/// The cap warning: one key per line, scope and month, as the daemon builds it.
fn cap_warning(hit: &CapHit) -> Draft {
    draft(&format!("cap:a:{}:2026-11", hit.scope))
}

/// Plans a top-up that must be accepted.
fn plan_ok(l: &SqliteLedger, i: &Intent, c: &Caps) -> TopUp {
    match l.plan_top_up(i, c, &cap_warning).unwrap() {
        Planned::Ok(t) => t,
        Planned::Blocked(hit) => panic!("blocked: {hit:?}"),
    }
}

/// Inserts a top-up row directly, in any state, to set up cap and spend cases.
fn seed(l: &SqliteLedger, line: &str, state: TopUpState, amount: Money, at: &str) {
    l.with_conn(|c| {
        let n: i64 = c.query_row("SELECT COUNT(*) FROM top_ups", [], |r| r.get(0)).unwrap();
        c.execute(
            "INSERT INTO top_ups (line_id, sim, carrier, reference, amount_minor, currency, state, \"trigger\", created_at) \
             VALUES (?1, ?1, 'demo', ?2, ?3, ?4, ?5, 'seed', ?6)",
            params![line, format!("seed-{n}"), amount.minor, amount.currency.code(), state.as_str(), t(at).timestamp_millis()],
        )
        .unwrap();
    });
}
