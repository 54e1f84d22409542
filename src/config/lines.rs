//! The `[[lines]]`: each line's own keys, and the checks that span a line and its carrier
//! (the carrier exists, the line has what that carrier needs, it can renew on expiry).

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;

use super::Line;
use super::bounds;
use super::policy::policy;
use super::raw::{RawConfig, RawLine};
use super::validate::Problems;
use crate::carriers::CarrierSpec;
use crate::money::Money;
use crate::schedule::Schedule;

type Specs = BTreeMap<String, CarrierSpec>;

/// Checks every line; lines with problems are left out (the problems say why).
pub fn lines(raw: &RawConfig, global_cap: Option<Money>, p: &mut Problems) -> Vec<Line> {
    if raw.lines.len() > bounds::MAX_LINES {
        p.add(
            "lines",
            format!(
                "holds {} lines; one config may hold at most {} lines, so split the fleet over several installs",
                raw.lines.len(),
                bounds::MAX_LINES
            ),
        );
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, l) in raw.lines.iter().enumerate() {
        let key = format!("lines[{i}]");
        if !seen.insert(l.id.as_str()) {
            p.add(
                format!("{key}.id"),
                format!(
                    "{:?} is used by an earlier line; ids must be unique, e.g. \"{}-2\"",
                    l.id, l.id
                ),
            );
        }
        if let Some(line) = line(l, &key, &raw.carriers, global_cap, p) {
            out.push(line);
        }
    }
    one_line_per_sim(raw, p);
    out
}

/// Two lines on one SIM would each buy for it: refused, naming both.
fn one_line_per_sim(raw: &RawConfig, p: &mut Problems) {
    let mut first: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for (i, l) in raw.lines.iter().enumerate() {
        let sim = super::sim_key(l.iccid.as_deref(), l.number.as_deref(), &l.id);
        match first.get(sim.as_str()) {
            Some(other) => p.add(
                format!("lines[{i}]"),
                format!(
                    "line {:?} is on the same SIM ({sim}) as line {other:?}; a SIM is one line: \
                     remove one of them, or give each its own iccid/number",
                    l.id
                ),
            ),
            None => {
                first.insert(sim, &l.id);
            }
        }
    }
}

fn line(
    l: &RawLine,
    key: &str,
    carriers: &Specs,
    global_cap: Option<Money>,
    p: &mut Problems,
) -> Option<Line> {
    let k = |s: &str| format!("{key}.{s}");
    let id_ok = !l.id.is_empty()
        && l.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        p.add(
            k("id"),
            format!(
                "{:?} may only hold a-z, 0-9 and -; e.g. \"mom-tmobile\"",
                l.id
            ),
        );
    }
    references(l, key, carriers, p);
    identifiers(l, key, p);
    let schedule = p.check(
        &k("check"),
        Schedule::parse(l.check.as_deref().unwrap_or("every 6h")),
    );
    let renews_on = p.opt(&k("renews_on"), l.renews_on.as_ref(), renews_on);
    let operator_id = match l.operator_id {
        Some(n) if !(1..=bounds::MAX_OPERATOR_ID).contains(&n) => p.check(
            &k("operator_id"),
            Err(format!(
                "{n} is not an operator id; write the id Reloadly lists, from 1 to {}, e.g. 1234",
                bounds::MAX_OPERATOR_ID
            )),
        ),
        other => other.map(|n| n as u64),
    };
    lengths(l, key, p);
    let policy = policy(&l.policy, &k("policy"), global_cap, p);
    if let Some(spec) = carriers.get(&l.carrier) {
        spec.validate_line(l, key, p);
        carrier_rules(l, key, spec, p);
    }
    expiry_warning(l, key, carriers, p);
    Some(Line {
        id: l.id.clone(),
        name: l.name.clone().unwrap_or_else(|| l.id.clone()),
        carrier: l.carrier.clone(),
        number: l.number.clone(),
        iccid: l.iccid.clone(),
        schedule: schedule?,
        operator_id,
        sku_code: l.sku_code.clone(),
        status_from: l.status_from.clone(),
        renews_on,
        policy: policy?,
    })
}

/// `renews_on`: a YYYY-MM-DD date from 2000-01-01 to 2100-12-31.
fn renews_on(s: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date; write YYYY-MM-DD, e.g. \"2026-12-15\""))?;
    let (first, last) = bounds::date_range();
    if d < first || d > last {
        return Err(format!(
            "{s:?} is out of range; write a date from {first} to {last}, e.g. \"2026-12-15\""
        ));
    }
    Ok(d)
}

/// `id` and `name` are not longer than a message or a provider reference can carry.
fn lengths(l: &RawLine, key: &str, p: &mut Problems) {
    if l.id.chars().count() > bounds::MAX_ID {
        p.add(
            format!("{key}.id"),
            format!(
                "is too long; at most {} characters, e.g. \"mom-tmobile\"",
                bounds::MAX_ID
            ),
        );
    }
    if let Some(name) = l
        .name
        .as_ref()
        .filter(|n| n.chars().count() > bounds::MAX_NAME)
    {
        p.add(
            format!("{key}.name"),
            format!(
                "is {} characters long; at most {} characters, e.g. \"Mom's T-Mobile\"",
                name.chars().count(),
                bounds::MAX_NAME
            ),
        );
    }
}

/// `carrier` and `status_from` name existing sections, and not the same one.
fn references(l: &RawLine, key: &str, carriers: &Specs, p: &mut Problems) {
    for (field, name) in [
        ("carrier", Some(&l.carrier)),
        ("status_from", l.status_from.as_ref()),
    ] {
        let Some(name) = name.filter(|n| !carriers.contains_key(*n)) else {
            continue;
        };
        let known: Vec<&str> = carriers.keys().map(String::as_str).collect();
        let hint = match super::locate::closest(name, &known) {
            Some(near) => format!("did you mean {near:?}?"),
            None if known.is_empty() => {
                format!("add a [carriers.{name}] section with its type, e.g. type = \"simulated\"")
            }
            None => format!(
                "add a [carriers.{name}] section or use one of: {}",
                known.join(", ")
            ),
        };
        p.add(
            format!("{key}.{field}"),
            format!("no carrier named {name:?}; {hint}"),
        );
    }
    if l.status_from.as_ref() == Some(&l.carrier) {
        p.add(format!("{key}.status_from"), format!("names this line's own carrier {:?}; remove it, or name another carrier that reads the status, e.g. a command carrier", l.carrier));
    }
}

/// The phone number and ICCID, when given, look like one.
fn identifiers(l: &RawLine, key: &str, p: &mut Problems) {
    if let Some(n) = &l.number {
        let ok = n.starts_with('+')
            && (8..=16).contains(&n.len())
            && n[1..].bytes().all(|b| b.is_ascii_digit());
        if !ok {
            p.add(format!("{key}.number"), format!("{n:?} is not an E.164 number (+, country code, number, no spaces); e.g. \"+15551234567\""));
        }
    }
    if let Some(c) = &l.iccid
        && (!(18..=22).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        p.add(
            format!("{key}.iccid"),
            format!("{c:?} is not an ICCID (18 to 22 digits); e.g. \"8901260000000000001\""),
        );
    }
}

/// What the buying carrier sells, and the keys only one carrier type reads.
fn carrier_rules(l: &RawLine, key: &str, spec: &CarrierSpec, p: &mut Problems) {
    let k = |s: &str| format!("{key}.{s}");
    let kind = spec.type_name();
    let (amount, package) = (&l.policy.topup_amount, &l.policy.topup_package);
    match spec {
        CarrierSpec::OneNce(_) => {
            if amount.is_none() {
                p.add(k("policy.topup_amount"), "is needed for a 1nce line: state the price of the tariff's fixed top-up, e.g. topup_amount = \"10.00 EUR\"");
            }
            if package.is_some() {
                p.add(k("policy.topup_package"), "1nce sells one fixed top-up set by the tariff; remove topup_package and state its price as topup_amount");
            }
        }
        CarrierSpec::Reloadly(_) | CarrierSpec::Dingconnect(_) if package.is_some() => {
            p.add(k("policy.topup_package"), format!("{kind} sends airtime amounts, not packages; write topup_amount = \"10.00 USD\" instead"));
        }
        CarrierSpec::Airalo(_) if package.is_none() => {
            p.add(k("policy.topup_package"), "is needed for an airalo line (airalo sells packages); e.g. topup_package = \"cheapest\" with min_data = \"1 GB\", or a package id");
        }
        _ => {}
    }
    if l.operator_id.is_some() && !matches!(spec, CarrierSpec::Reloadly(_)) {
        p.add(
            k("operator_id"),
            format!(
                "only reloadly lines use operator_id, and carrier {:?} is {kind}; remove it",
                l.carrier
            ),
        );
    }
    if l.sku_code.is_some() && !matches!(spec, CarrierSpec::Dingconnect(_)) {
        p.add(
            k("sku_code"),
            format!(
                "only dingconnect lines use sku_code, and carrier {:?} is {kind}; remove it",
                l.carrier
            ),
        );
    }
}

/// Whether a carrier reports expiry: `None` when the config cannot tell (command scripts).
pub fn reports_expiry(spec: &CarrierSpec) -> Option<bool> {
    match spec {
        CarrierSpec::Simulated(s) => Some(
            s.reports
                .as_ref()
                .is_none_or(|r| r.iter().any(|x| x == "expiry")),
        ),
        CarrierSpec::Airalo(_) | CarrierSpec::OneNce(_) => Some(true),
        CarrierSpec::Reloadly(_) | CarrierSpec::Dingconnect(_) => Some(false),
        CarrierSpec::Command(_) => None,
    }
}

/// `expires_within` on a line whose status carrier cannot report expiry needs a plan date.
fn expiry_warning(l: &RawLine, key: &str, carriers: &Specs, p: &mut Problems) {
    let name = l.status_from.as_ref().unwrap_or(&l.carrier);
    let Some(spec) = carriers.get(name) else {
        return;
    };
    let knows = reports_expiry(spec);
    plan_outlasts_window(l, key, knows, p);
    if l.policy.expires_within.is_none() || l.policy.plan_days.is_some() || knows == Some(true) {
        return;
    }
    if knows == Some(false) {
        // A date trigger that no purchase can move would buy at every check once inside it.
        p.add(
            format!("{key}.policy.expires_within"),
            format!(
                "carrier {name:?} ({}) cannot report expiry, and without plan_days a purchase \
                 cannot move the plan's end, so this trigger would buy at every check; add \
                 plan_days = 30 to the policy (renews_on then gives the first renewal day)",
                spec.type_name()
            ),
        );
        return;
    }
    if l.renews_on.is_some() {
        return;
    }
    let how = if knows.is_none() {
        "may not report expiry (renewd cannot tell for a command carrier)"
    } else {
        "cannot report expiry"
    };
    p.warn(
        format!("{key}.policy.expires_within"),
        format!("carrier {name:?} ({}) {how}, so this trigger buys nothing until the plan's end is known; set plan_days = 30 in the policy or renews_on = \"2026-12-15\" on the line", spec.type_name()),
    );
}

/// A plan no longer than `expires_within` would end inside the window right after each
/// purchase: the line would buy at every check.
fn plan_outlasts_window(l: &RawLine, key: &str, knows: Option<bool>, p: &mut Problems) {
    let (Some(days), Some(within)) = (l.policy.plan_days, l.policy.expires_within.as_deref())
    else {
        return;
    };
    let Ok(within) = crate::money::parse_duration(within) else {
        return; // reported at the key itself
    };
    let plan_secs = u64::try_from(days).unwrap_or(0).saturating_mul(86_400);
    if knows != Some(true) && plan_secs > 0 && plan_secs <= within.as_secs() {
        p.add(
            format!("{key}.policy.plan_days"),
            format!(
                "{days} days is not longer than expires_within, so each renewal would end \
                 inside the window and buy again at once; make plan_days the plan's real \
                 length (e.g. 30) or expires_within shorter (e.g. \"2d\")"
            ),
        );
    }
}

/// A carrier section no line uses is probably a typo in a line's `carrier`.
pub fn warn_unused_carriers(raw: &RawConfig, p: &mut Problems) {
    for name in raw.carriers.keys() {
        let used = raw
            .lines
            .iter()
            .any(|l| &l.carrier == name || l.status_from.as_ref() == Some(name));
        if !used && !raw.lines.is_empty() {
            p.warn(format!("carriers.{name}"), "no line uses this carrier; name it in a line's carrier or status_from, or remove the section");
        }
    }
}
