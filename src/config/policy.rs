//! A line's `[lines.policy]`: its triggers, the one way it tops up, its cap, and the
//! currency checks between them.

use std::time::Duration;

use super::bounds;
use super::raw::RawPolicy;
use super::validate::Problems;
use super::{Policy, TopUpChoice};
use crate::money::{DataSize, Money};

/// Checks one policy; `key` is `lines[N].policy`.
pub fn policy(
    raw: &RawPolicy,
    key: &str,
    global_cap: Option<Money>,
    p: &mut Problems,
) -> Option<Policy> {
    let k = |s: &str| format!("{key}.{s}");
    let amount_key = |p: &mut Problems, name: &str, v: Option<&String>| {
        let m = p.opt(&k(name), v, super::validate::money);
        bounds::money(p, &k(name), m)
    };
    let data_key = |p: &mut Problems, name: &str, v: Option<&String>| {
        let d = p.opt(&k(name), v, |s| s.parse::<DataSize>());
        bounds::data(p, &k(name), d)
    };
    let trigger_key = |p: &mut Problems, name: &str, v: Option<&String>| {
        v.and_then(|s| bounds::duration(p, &k(name), s, bounds::MAX_TRIGGER))
    };
    let balance_below = amount_key(p, "balance_below", raw.balance_below.as_ref());
    let data_below = data_key(p, "data_below", raw.data_below.as_ref());
    let expires_within = trigger_key(p, "expires_within", raw.expires_within.as_ref());
    let runs_out_within = trigger_key(p, "runs_out_within", raw.runs_out_within.as_ref());
    let amount = amount_key(p, "topup_amount", raw.topup_amount.as_ref());
    let min_data = data_key(p, "min_data", raw.min_data.as_ref());
    let monthly_cap = amount_key(p, "monthly_cap", raw.monthly_cap.as_ref());
    trigger_checks(raw, key, expires_within, runs_out_within, p);
    let plan_days = plan_days(raw.plan_days, &k("plan_days"), p);
    let topup = topup_choice(raw, amount, min_data, key, p);
    money_checks(key, balance_below, amount, monthly_cap, global_cap, p);
    Some(Policy {
        balance_below,
        data_below,
        expires_within,
        runs_out_within,
        topup: topup?,
        monthly_cap,
        plan_days,
    })
}

/// At least one trigger, and no zero-length time trigger.
fn trigger_checks(
    raw: &RawPolicy,
    key: &str,
    expires_within: Option<Duration>,
    runs_out_within: Option<Duration>,
    p: &mut Problems,
) {
    let triggers = [
        &raw.balance_below,
        &raw.data_below,
        &raw.expires_within,
        &raw.runs_out_within,
    ];
    if triggers.iter().all(|t| t.is_none()) {
        p.add(key, "has no trigger; set at least one of balance_below, data_below, expires_within, runs_out_within, e.g. balance_below = \"5.00 USD\"");
    }
    for (name, d) in [
        ("expires_within", expires_within),
        ("runs_out_within", runs_out_within),
    ] {
        if d == Some(Duration::ZERO) {
            p.add(
                format!("{key}.{name}"),
                "is zero, so it would only act once the line is already dead; write e.g. \"2d\"",
            );
        }
    }
}

/// `plan_days`, 1 to 366.
fn plan_days(raw: Option<i64>, key: &str, p: &mut Problems) -> Option<u32> {
    match raw {
        Some(n) if !(1..=366).contains(&n) => p.check(
            key,
            Err(format!(
                "{n} is out of range; write the plan length in days, from 1 to 366, e.g. 30"
            )),
        ),
        other => other.map(|n| n as u32),
    }
}

/// Exactly one way to top up: an amount, a package (optionally with its price), or the
/// cheapest package with at least `min_data`.
fn topup_choice(
    raw: &RawPolicy,
    amount: Option<Money>,
    min_data: Option<DataSize>,
    key: &str,
    p: &mut Problems,
) -> Option<TopUpChoice> {
    let k = |s: &str| format!("{key}.{s}");
    if raw.min_data.is_some() && raw.topup_package.as_deref() != Some("cheapest") {
        p.add(
            k("min_data"),
            "is only used with topup_package = \"cheapest\"; set that too, or remove min_data",
        );
    }
    match (raw.topup_amount.as_ref(), raw.topup_package.as_deref()) {
        (None, None) => {
            p.add(key, "says nothing to buy; set topup_amount = \"25.00 USD\", or topup_package = \"<carrier package id>\", or topup_package = \"cheapest\" with min_data = \"1 GB\"");
            None
        }
        (_, Some(id)) if id.trim().is_empty() => {
            p.add(k("topup_package"), "is empty; write the carrier's package id, e.g. \"kallur-digital-7days-1gb-topup\", or \"cheapest\" with min_data");
            None
        }
        (amount_set, Some("cheapest")) => {
            if amount_set.is_some() {
                p.add(k("topup_amount"), "cannot go with topup_package = \"cheapest\": the price comes from the carrier's package list; remove it and bound spending with monthly_cap = \"60.00 USD\"");
            }
            if raw.min_data.is_none() {
                p.add(
                    k("min_data"),
                    "is needed with topup_package = \"cheapest\"; e.g. min_data = \"1 GB\"",
                );
            }
            min_data.map(|min_data| TopUpChoice::Cheapest { min_data })
        }
        (_, Some(id)) => Some(TopUpChoice::Package {
            id: id.to_string(),
            price: amount,
        }),
        (Some(_), None) => amount.map(TopUpChoice::Amount),
    }
}

/// Amounts that must share a currency, and caps that must leave room for one top-up.
fn money_checks(
    key: &str,
    balance_below: Option<Money>,
    amount: Option<Money>,
    line_cap: Option<Money>,
    global_cap: Option<Money>,
    p: &mut Problems,
) {
    let k = |s: &str| format!("{key}.{s}");
    if let Some(a) = amount.filter(|a| a.minor <= 0) {
        p.add(
            k("topup_amount"),
            format!(
                "{a} buys nothing; write the amount to buy, e.g. \"25.00 {}\"",
                a.currency
            ),
        );
    }
    if let Some(c) = line_cap.filter(|c| c.minor <= 0) {
        p.add(
            k("monthly_cap"),
            format!(
                "{c} would block every top-up; remove it or write e.g. \"60.00 {}\"",
                c.currency
            ),
        );
    }
    for (cap, whose) in [
        (line_cap, "this line's monthly_cap"),
        (global_cap, "budget.monthly_cap"),
    ] {
        let (Some(a), Some(cap)) = (amount, cap) else {
            continue;
        };
        if a.currency != cap.currency {
            let msg = format!(
                "is in {} but {whose} is in {}; caps count one currency, so write the top-up in {}, e.g. \"25.00 {}\"",
                a.currency, cap.currency, cap.currency, cap.currency
            );
            p.add(k("topup_amount"), msg);
        } else if a.minor > cap.minor && cap.minor > 0 {
            p.add(k("topup_amount"), format!("{a} is more than {whose} {cap}, so it could never be bought; lower it or raise the cap"));
        }
    }
    if let (Some(line), Some(global)) = (line_cap, global_cap)
        && line.currency != global.currency
    {
        p.add(
            k("monthly_cap"),
            format!(
                "is in {} but budget.monthly_cap is in {}; write it in {}, e.g. \"60.00 {}\"",
                line.currency, global.currency, global.currency, global.currency
            ),
        );
    }
    if let (Some(b), Some(a)) = (balance_below, amount)
        && b.currency != a.currency
    {
        p.add(k("balance_below"), format!("is in {} but topup_amount is in {}; the balance and the top-up must share a currency, e.g. \"5.00 {}\"", b.currency, a.currency, a.currency));
    }
}
