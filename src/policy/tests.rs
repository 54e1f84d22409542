//! Table-driven tests of the policy: triggers, settle, retry pause, plan_days, caps, months.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::model::TopUpState;
use crate::money::{Currency, DataSize, Money};

const CONFIG: &str = r#"
[carriers.sim]
type = "simulated"
[[lines]]
id = "l"
carrier = "sim"
"#;

/// A line with these policy keys; a `renews_on` key goes to the line itself.
fn line(policy: &str) -> Line {
    let (own, policy): (Vec<&str>, Vec<&str>) =
        policy.lines().partition(|l| l.starts_with("renews_on"));
    let text = format!(
        "{CONFIG}{}\n[lines.policy]\ntopup_amount = \"10.00 USD\"\n{}\n",
        own.join("\n"),
        policy.join("\n")
    );
    let mut c =
        crate::config::from_str(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    c.lines.remove(0)
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::new("USD").unwrap())
}

fn obs(at: &str, balance: Option<i64>, data_mb: Option<i64>, expires: Option<&str>) -> Observation {
    Observation {
        balance: balance.map(usd),
        data: data_mb.map(DataSize::from_mb),
        expires_at: expires.map(t),
        ..Observation::empty(t(at))
    }
}

fn topup(id: i64, state: TopUpState, at: &str, before: Option<Observation>) -> TopUp {
    TopUp {
        id,
        line_id: "l".into(),
        carrier: "sim".into(),
        reference: format!("r{id}"),
        amount: usd(1000),
        package: None,
        state,
        trigger: "x".into(),
        created_at: t(at),
        sent_at: Some(t(at)),
        settled_at: Some(t(at)),
        provider_ref: None,
        detail: None,
        before,
        sim: "line:l".into(),
        shown_at: None,
    }
}

const ALL: Reports = Reports {
    balance: true,
    data: true,
    expiry: true,
};
const NONE: Reports = Reports {
    balance: false,
    data: false,
    expiry: false,
};
const NOW: &str = "2026-11-30T12:00:00Z";

fn facts<'a>(o: Option<&'a Observation>, reports: Reports) -> Facts<'a> {
    Facts {
        now: t(NOW),
        tz: Tz::UTC,
        observation: o,
        history: &[],
        reports,
        open: None,
        last_confirmed: None,
        last_failed: None,
        settle: Duration::from_secs(1800),
    }
}

fn kind(d: &Decision) -> &'static str {
    match d {
        Decision::Hold { .. } => "hold",
        Decision::TopUp { .. } => "topup",
        Decision::Wait { .. } => "wait",
        Decision::CannotAct { .. } => "cannot_act",
        Decision::Dead { .. } => "dead",
        Decision::Stuck { .. } => "stuck",
    }
}

#[test]
fn thresholds() {
    let exp_soon = Some("2026-12-01T06:00:00Z");
    let exp_late = Some("2026-12-20T00:00:00Z");
    // (policy, balance cents, data MB, expiry, expected, text fragment)
    type Row<'a> = (
        &'a str,
        Option<i64>,
        Option<i64>,
        Option<&'a str>,
        &'a str,
        &'a str,
    );
    let table: &[Row] = &[
        (
            "balance_below = \"5.00 USD\"",
            Some(499),
            None,
            None,
            "topup",
            "balance 4.99 USD < 5.00 USD",
        ),
        (
            "balance_below = \"5.00 USD\"",
            Some(500),
            None,
            None,
            "hold",
            "",
        ),
        (
            "balance_below = \"5.00 USD\"",
            None,
            None,
            None,
            "cannot_act",
            "no balance",
        ),
        (
            "data_below = \"500 MB\"",
            None,
            Some(312),
            None,
            "topup",
            "data 312 MB < 500 MB",
        ),
        ("data_below = \"500 MB\"", None, Some(500), None, "hold", ""),
        (
            "expires_within = \"2d\"",
            None,
            None,
            exp_soon,
            "topup",
            "within 2d",
        ),
        ("expires_within = \"2d\"", None, None, exp_late, "hold", ""),
        (
            "expires_within = \"2d\"",
            None,
            None,
            Some("2026-12-02T12:00:00Z"),
            "topup",
            "within 2d",
        ),
        (
            "expires_within = \"2d\"",
            None,
            None,
            Some("2026-12-02T12:00:01Z"),
            "hold",
            "",
        ),
        (
            "balance_below = \"5.00 USD\"\ndata_below = \"1 GB\"",
            Some(900),
            Some(100),
            None,
            "topup",
            "data 100 MB < 1 GB",
        ),
        (
            "balance_below = \"5.00 USD\"\ndata_below = \"1 GB\"",
            Some(100),
            Some(100),
            None,
            "topup",
            "balance 1.00 USD < 5.00 USD; data",
        ),
        (
            "balance_below = \"5.00 USD\"\ndata_below = \"1 GB\"",
            Some(900),
            None,
            None,
            "hold",
            "no data",
        ),
    ];
    for (policy, bal, data, exp, want, frag) in table {
        let l = line(policy);
        let o = obs(NOW, *bal, *data, *exp);
        let d = decide(&l, &facts(Some(&o), ALL));
        assert_eq!(kind(&d), *want, "{policy} {bal:?} {data:?} {exp:?}: {d:?}");
        assert!(
            format!("{d:?}").contains(frag),
            "{policy}: {d:?} lacks {frag:?}"
        );
    }
}

#[test]
fn unlimited_data_never_triggers_and_dead_sim_buys_nothing() {
    let l = line("data_below = \"500 MB\"");
    let mut o = obs(NOW, None, Some(0), None);
    o.unlimited = true;
    assert_eq!(kind(&decide(&l, &facts(Some(&o), ALL))), "hold");
    o.unlimited = false;
    o.state = LineState::Dead;
    assert_eq!(kind(&decide(&l, &facts(Some(&o), ALL))), "dead");
}

#[test]
fn an_open_top_up_blocks_buying() {
    let l = line("balance_below = \"5.00 USD\"");
    let o = obs(NOW, Some(1), None, None);
    for state in [
        TopUpState::Planned,
        TopUpState::Submitting,
        TopUpState::Unknown,
    ] {
        let open = topup(7, state, "2026-11-30T11:00:00Z", None);
        let f = Facts {
            open: Some(&open),
            ..facts(Some(&o), ALL)
        };
        assert_eq!(kind(&decide(&l, &f)), "wait", "{state}");
    }
}

#[test]
fn settle_keeps_a_stale_reading_from_buying_twice() {
    let l = line("balance_below = \"5.00 USD\"");
    let before = obs("2026-11-30T11:49:00Z", Some(400), None, None);
    // (confirmed at, reading at, balance in reading, expected)
    let table = [
        ("2026-11-30T11:50:00Z", NOW, 400, "wait"), // 10 min later, still the old figure: stale
        ("2026-11-30T11:50:00Z", NOW, 1400, "hold"), // shows the rise: re-armed, above threshold
        ("2026-11-30T11:50:00Z", "2026-11-30T11:49:30Z", 1400, "wait"), // reading older than the top-up
        // Settle time passed, but no reading ever showed the top-up: the same crossing.
        ("2026-11-30T11:30:00Z", NOW, 400, "stuck"),
        ("2026-11-30T11:30:01Z", NOW, 400, "wait"), // one second short
    ];
    for (confirmed, at, bal, want) in table {
        let last = topup(3, TopUpState::Confirmed, confirmed, Some(before.clone()));
        let o = obs(at, Some(bal), None, None);
        let f = Facts {
            last_confirmed: Some(&last),
            ..facts(Some(&o), ALL)
        };
        assert_eq!(
            kind(&decide(&l, &f)),
            want,
            "confirmed {confirmed}, reading {at} {bal}"
        );
    }
}

#[test]
fn a_failed_top_up_pauses_the_line() {
    let l = line("balance_below = \"5.00 USD\"");
    let o = obs(NOW, Some(100), None, None);
    for (failed_at, want) in [
        ("2026-11-30T11:50:00Z", "wait"),
        ("2026-11-30T11:45:00Z", "topup"),
    ] {
        let failed = topup(4, TopUpState::Failed, failed_at, None);
        let f = Facts {
            last_failed: Some(&failed),
            ..facts(Some(&o), ALL)
        };
        assert_eq!(kind(&decide(&l, &f)), want, "{failed_at}");
    }
}

#[test]
fn plan_days_and_renews_on_give_the_expiry_of_blind_carriers() {
    let empty = Observation::empty(t(NOW));
    // (policy lines, last confirmed top-up, expected)
    let table: &[(&str, Option<&str>, &str)] = &[
        ("expires_within = \"2d\"", None, "cannot_act"),
        (
            "expires_within = \"2d\"\nplan_days = 30",
            None,
            "cannot_act",
        ),
        (
            "expires_within = \"2d\"\nplan_days = 30",
            Some("2026-11-02T12:00:00Z"),
            "topup",
        ), // ends Dec 2 12:00
        (
            "expires_within = \"2d\"\nplan_days = 30",
            Some("2026-11-02T12:00:01Z"),
            "hold",
        ),
        (
            "expires_within = \"2d\"\nplan_days = 30",
            Some("2026-11-20T00:00:00Z"),
            "hold",
        ),
        (
            "expires_within = \"2d\"\nplan_days = 30\nrenews_on = \"2026-12-01\"",
            None,
            "topup",
        ),
        (
            "expires_within = \"2d\"\nplan_days = 30\nrenews_on = \"2026-10-02\"",
            None,
            "topup",
        ), // Oct 2 + 60d = Dec 1
        (
            "expires_within = \"2d\"\nplan_days = 30\nrenews_on = \"2026-10-10\"",
            None,
            "hold",
        ), // next Dec 9
        // a top-up just made pushes the end past the anchor: the later one wins
        (
            "expires_within = \"2d\"\nplan_days = 30\nrenews_on = \"2026-12-01\"",
            Some("2026-11-29T00:00:00Z"),
            "hold",
        ),
    ];
    for (policy, confirmed, want) in table {
        let l = line(policy);
        let last = confirmed.map(|c| topup(1, TopUpState::Confirmed, c, None));
        let f = Facts {
            last_confirmed: last.as_ref(),
            settle: Duration::ZERO,
            ..facts(Some(&empty), NONE)
        };
        assert_eq!(kind(&decide(&l, &f)), *want, "{policy} {confirmed:?}");
    }
}

#[test]
fn forecast_follows_the_recent_trend() {
    let h = [
        obs("2026-11-30T00:00:00Z", None, Some(1200), None),
        obs("2026-11-30T06:00:00Z", None, Some(900), None),
    ];
    let cur = obs(NOW, None, Some(600), None); // 300 MB per 6 h: 600 MB lasts 12 h
    assert_eq!(
        forecast(&h, Some(&cur), t(NOW)),
        Some(Duration::from_secs(12 * 3600))
    );
    // A top-up starts a new stretch, but the rate measured before it still holds.
    let rising = obs(NOW, None, Some(2000), None);
    assert_eq!(
        forecast(&h, Some(&rising), t(NOW)),
        Some(Duration::from_secs(40 * 3600))
    );
    let short = [obs("2026-11-30T11:59:00Z", None, Some(601), None)];
    let f = Facts {
        history: &short,
        ..facts(Some(&cur), ALL)
    };
    let l = line("runs_out_within = \"30d\"");
    assert_eq!(
        kind(&decide(&l, &f)),
        "hold",
        "a minute of history buys nothing"
    );
    let l = line("runs_out_within = \"1d\"");
    let f = Facts {
        history: &h,
        ..facts(Some(&cur), ALL)
    };
    assert!(
        matches!(decide(&l, &f), Decision::TopUp { trigger } if trigger.contains("runs out in 12h"))
    );
}

#[test]
fn caps_at_the_boundary() {
    let cap = Some((usd(6000), usd(5000)));
    // (amount, line cap+spent, global cap+spent, expected scope)
    let table = [
        (1000, cap, None, None),
        (1001, cap, None, Some("line")),
        (1000, None, Some((usd(15000), usd(14000))), None),
        (1000, None, Some((usd(15000), usd(14001))), Some("global")),
        (1000, cap, Some((usd(15000), usd(14500))), Some("global")),
        (1001, cap, Some((usd(15000), usd(14500))), Some("line")),
    ];
    for (amount, line_cap, global, want) in table {
        let got = check_caps(usd(amount), line_cap, global)
            .err()
            .map(|h| h.scope);
        assert_eq!(got, want, "{amount} {line_cap:?} {global:?}");
    }
}

#[test]
fn months_follow_the_time_zone() {
    let ny: Tz = "America/New_York".parse().unwrap();
    // 03:00 UTC on Dec 1 is still Nov 30 in New York.
    let m = month_of(t("2026-12-01T03:00:00Z"), ny);
    assert_eq!(m.label, (2026, 11));
    assert_eq!(
        m.start,
        ny.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    assert_eq!(m.end, t("2026-12-01T05:00:00Z"));
    assert_eq!(month_of(t("2026-12-01T05:00:00Z"), ny).label, (2026, 12));
    assert_eq!(
        month_of(t("2026-12-31T23:59:59Z"), Tz::UTC).end,
        t("2027-01-01T00:00:00Z")
    );
}

/// A confirmed top-up that no reading has shown does not buy again for the same crossing;
/// once a reading showed it (`shown_at`), a new crossing buys. Date-derived triggers move
/// with each top-up, so they never stick.
#[test]
fn a_top_up_that_did_not_show_does_not_buy_again() {
    let before = obs("2026-11-01T00:00:00Z", Some(400), Some(100), None);
    // (policy, reading balance, reading data, shown, expected)
    let table = [
        ("balance_below = \"5.00 USD\"", 400, 100, false, "stuck"),
        ("balance_below = \"5.00 USD\"", 300, 100, false, "stuck"), // lower still
        ("balance_below = \"5.00 USD\"", 300, 100, true, "topup"),  // it showed, then drained
        ("data_below = \"500 MB\"", 900, 100, false, "stuck"),
        ("data_below = \"500 MB\"", 900, 100, true, "topup"),
        ("balance_below = \"5.00 USD\"", 900, 100, false, "hold"),
    ];
    for (policy, bal, data, shown, want) in table {
        let l = line(policy);
        let mut last = topup(
            3,
            TopUpState::Confirmed,
            "2026-11-01T00:00:00Z",
            Some(before.clone()),
        );
        last.shown_at = shown.then(|| t("2026-11-01T00:05:00Z"));
        let mut o = obs(NOW, Some(bal), None, None);
        o.data = Some(DataSize::from_mb(data));
        let f = Facts {
            last_confirmed: Some(&last),
            ..facts(Some(&o), ALL)
        };
        assert_eq!(
            kind(&decide(&l, &f)),
            want,
            "{policy} {bal} {data} shown={shown}"
        );
    }
}

#[test]
fn a_date_line_renews_once_per_plan_not_at_every_check() {
    let l = line("expires_within = \"2d\"\nplan_days = 30");
    // (last confirmed at, expected at NOW = 2026-11-30 12:00)
    let table = [
        ("2026-11-30T11:50:00Z", "wait"),  // just bought: settling
        ("2026-11-29T12:00:00Z", "hold"),  // plan ends 2026-12-29: far
        ("2026-11-02T00:00:00Z", "topup"), // plan ends 2026-12-02: within 2d
    ];
    for (at, want) in table {
        let last = topup(3, TopUpState::Confirmed, at, None);
        let f = Facts {
            last_confirmed: Some(&last),
            ..facts(None, NONE)
        };
        assert_eq!(kind(&decide(&l, &f)), want, "{at}");
    }
}
