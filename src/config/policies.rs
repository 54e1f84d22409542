//! `[policies.NAME]`: policies written once and named by many lines (`policy = "NAME"`).
//!
//! Each is validated once, under its own key path, and its parsed form is shared (`Arc`) by
//! every line that names it, so a fleet of 100,000 lines holds one copy.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::Policy;
use super::policy::policy;
use super::raw::{RawConfig, RawPolicy};
use super::validate::Problems;
use crate::money::Money;

/// One named policy: as written (line checks read its keys) and parsed (`None`: invalid,
/// its problems are reported at `policies.NAME`).
pub struct Named<'a> {
    pub raw: &'a RawPolicy,
    pub parsed: Option<Arc<Policy>>,
}

/// Checks every `[policies.NAME]` once.
pub fn named<'a>(
    raw: &'a RawConfig,
    global_cap: Option<Money>,
    p: &mut Problems,
) -> BTreeMap<String, Named<'a>> {
    raw.policies
        .iter()
        .map(|(name, pol)| {
            let key = format!("policies.{name}");
            name_rules(name, &key, p);
            let parsed = policy(pol, &key, global_cap, p).map(Arc::new);
            (name.clone(), Named { raw: pol, parsed })
        })
        .collect()
}

/// A name is written in CSV cells and TOML strings: keep it to `[a-z0-9-]+` like line ids.
fn name_rules(name: &str, key: &str, p: &mut Problems) {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        p.add(
            key,
            format!("{name:?} may only hold a-z, 0-9 and -; e.g. [policies.monthly-25]"),
        );
    }
}

/// What to say about `policy = "NAME"` when no such policy exists.
pub fn unknown<T>(name: &str, named: &BTreeMap<String, T>) -> String {
    let known: Vec<&str> = named.keys().map(String::as_str).collect();
    let hint = match super::locate::closest(name, &known) {
        Some(near) => format!("did you mean {near:?}?"),
        None if known.is_empty() => format!(
            "add a [policies.{name}] table with a trigger and a top-up, e.g. \
             expires_within = \"2d\" and topup_amount = \"25.00 USD\""
        ),
        None => format!(
            "add a [policies.{name}] table or use one of: {}",
            known.join(", ")
        ),
    };
    format!("no policy named {name:?}; {hint}")
}

/// A named policy no line uses is probably a typo in a line's `policy`.
pub fn warn_unused(raw: &RawConfig, used: &HashSet<String>, p: &mut Problems) {
    for name in raw.policies.keys().filter(|n| !used.contains(*n)) {
        p.warn(
            format!("policies.{name}"),
            "no line uses this policy; name it in a line's policy (or an inventory's policy column), or remove it",
        );
    }
}
