//! A ledger for `tests/history.rs`, written through the library: three lines on two carrier
//! sections, a rename, every state, and a row whose day depends on the daemon's zone.

use chrono::{DateTime, Duration, Utc};

use renewd::ledger::{Caps, Intent, Ledger, Planned, Settlement, SqliteLedger};
use renewd::model::TopUpState;
use renewd::money::{Currency, Money};
use renewd::policy::month_of;

use super::common::Env;

pub const CONFIG: &str = r#"
timezone = "America/New_York"
[carriers.travel]
type = "simulated"
[carriers.airtime]
type = "simulated"
[policies.p]
balance_below = "5.00 USD"
topup_amount = "10.00 USD"
[[lines]]
id = "mom"
carrier = "travel"
iccid = "8901260000000000001"
policy = "p"
[[lines]]
id = "dad"
carrier = "airtime"
number = "+15551230002"
policy = "p"
[[lines]]
id = "iot"
carrier = "travel"
iccid = "8901260000000000003"
policy = "p"
"#;

/// What the test wrote, to filter in Rust.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub line: &'static str,
    pub carrier: &'static str,
    pub state: TopUpState,
    pub at: DateTime<Utc>,
}

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The row that `day` boundaries in New York decide: Nov 30, 23:30 EST.
pub const LATE_NOV_30: &str = "2026-12-01T04:30:00Z";

/// 24 closed top-ups a day apart from Nov 3 and two open ones (listed by time, not id).
/// `mom` bought its first three under the id `mom-old` and through `airtime`.
pub fn write_ledger(env: &Env) -> Vec<Row> {
    let ledger = SqliteLedger::open(&env.state()).unwrap();
    let mut rows = Vec::new();
    for i in 0..24i64 {
        let line = ["mom", "dad", "iot"][(i % 3) as usize];
        let line = if line == "mom" && i < 9 {
            "mom-old"
        } else {
            line
        };
        let carrier = if line == "dad" || line == "mom-old" {
            "airtime"
        } else {
            "travel"
        };
        let state = if i % 5 == 3 {
            TopUpState::Failed
        } else {
            TopUpState::Confirmed
        };
        let at = if i == 23 {
            t(LATE_NOV_30)
        } else {
            t("2026-11-03T15:00:00Z") + Duration::days(i)
        };
        rows.push(buy(&ledger, i, line, carrier, state, at));
    }
    rows.push(buy(
        &ledger,
        24,
        "dad",
        "airtime",
        TopUpState::Unknown,
        t("2026-11-10T01:00:00Z"),
    ));
    rows.push(buy(
        &ledger,
        25,
        "iot",
        "travel",
        TopUpState::Planned,
        t("2026-11-04T12:00:00Z"),
    ));
    rows.sort_by_key(|r| (r.at, r.id));
    rows
}

fn buy(
    l: &SqliteLedger,
    i: i64,
    line: &'static str,
    carrier: &'static str,
    state: TopUpState,
    at: DateTime<Utc>,
) -> Row {
    let sim = match line {
        "mom" | "mom-old" => "iccid:8901260000000000001",
        "dad" => "number:+15551230002",
        _ => "iccid:8901260000000000003",
    };
    let intent = Intent {
        line_id: line.into(),
        sim: sim.into(),
        carrier: carrier.into(),
        reference: format!("{line}-{i}"),
        amount: Money::new(1000, Currency::new("USD").unwrap()),
        package: None,
        trigger: "balance 3.00 USD < 5.00 USD".into(),
        before: None,
        at,
    };
    let caps = Caps {
        line: None,
        global: None,
        month: month_of(at, chrono_tz::UTC),
    };
    let planned = match l.plan_top_up(&intent, &caps, &|_| unreachable!()).unwrap() {
        Planned::Ok(t) => t,
        other => panic!("{other:?}"),
    };
    let settle = |s: Settlement| l.settle(planned.id, &s, at, None).unwrap();
    if state != TopUpState::Planned {
        l.mark_submitting(planned.id, at).unwrap();
    }
    match state {
        TopUpState::Confirmed => drop(settle(Settlement::Confirmed {
            provider_ref: None,
            charged: None,
            detail: None,
        })),
        TopUpState::Failed => drop(settle(Settlement::Failed {
            reason: "refused".into(),
        })),
        TopUpState::Unknown => drop(settle(Settlement::Unknown {
            reason: "timeout".into(),
        })),
        _ => {}
    }
    Row {
        id: planned.id,
        line,
        carrier,
        state,
        at,
    }
}
