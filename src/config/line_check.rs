//! `LineCheck`: what each line (a `[[lines]]` entry or an inventory row) is checked
//! against, and what earlier lines already took (ids, SIMs), so every line goes through one
//! path whether it came from TOML or CSV.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::lines::{Specs, line};
use super::policies::Named;
use super::policy::policy;
use super::raw::{RawLine, RawLinePolicy, RawPolicy};
use super::validate::Problems;
use super::{Line, Policy};
use crate::money::Money;

/// What each line is checked against, and what earlier lines already took.
pub struct LineCheck<'a> {
    pub carriers: &'a Specs,
    /// `[policies.NAME]`, each validated once and shared by the lines that name it.
    pub named: &'a BTreeMap<String, Named<'a>>,
    pub global_cap: Option<Money>,
    /// Line ids seen so far, with where (`lines[3]`, `sims.csv:12`).
    ids: HashMap<String, String>,
    /// SIM keys seen so far, with the id of the line on it.
    sims: HashMap<String, String>,
    /// Carrier sections and named policies some line refers to (for the unused warnings).
    pub used_carriers: HashSet<String>,
    /// Check only the line with this id; skip the others (`status LINE`).
    pub only: Option<&'a str>,
    pub used_policies: HashSet<String>,
}

impl<'a> LineCheck<'a> {
    pub fn new(
        carriers: &'a Specs,
        named: &'a BTreeMap<String, Named<'a>>,
        global_cap: Option<Money>,
    ) -> Self {
        LineCheck {
            carriers,
            named,
            global_cap,
            ids: HashMap::new(),
            sims: HashMap::new(),
            used_carriers: HashSet::new(),
            only: None,
            used_policies: HashSet::new(),
        }
    }

    /// Checks one line; `None` when it has problems (they say why). `key` is its key path
    /// (`lines[3]`), `place` how a person finds it (`lines[3]` or `sims.csv:12`).
    pub fn line(&mut self, l: &RawLine, key: &str, place: &str, p: &mut Problems) -> Option<Line> {
        for name in std::iter::once(&l.carrier).chain(&l.status_from) {
            if !self.used_carriers.contains(name) {
                self.used_carriers.insert(name.clone());
            }
        }
        self.unique(l, key, place, p);
        let (raw_policy, policy) = self.policy(l, key, p);
        line(l, key, self.carriers, raw_policy, policy, p)
    }

    /// The line's policy: its own table (checked here) or a named one (checked once).
    fn policy<'b>(
        &mut self,
        l: &'b RawLine,
        key: &str,
        p: &mut Problems,
    ) -> (Option<&'b RawPolicy>, Option<Arc<Policy>>)
    where
        'a: 'b,
    {
        match &l.policy {
            RawLinePolicy::Own(raw) => {
                let parsed = policy(raw, &format!("{key}.policy"), self.global_cap, p);
                (Some(raw), parsed.map(Arc::new))
            }
            RawLinePolicy::Named(name) => match self.named.get(name) {
                Some(n) => {
                    if !self.used_policies.contains(name) {
                        self.used_policies.insert(name.clone());
                    }
                    (Some(n.raw), n.parsed.clone())
                }
                None => {
                    p.add(
                        format!("{key}.policy"),
                        super::policies::unknown(name, self.named),
                    );
                    (None, None)
                }
            },
        }
    }

    /// Ids are unique, and a SIM is one line.
    fn unique(&mut self, l: &RawLine, key: &str, place: &str, p: &mut Problems) {
        if let Some(other) = self.ids.get(&l.id) {
            p.add(
                format!("{key}.id"),
                format!(
                    "{:?} is used by an earlier line ({other}); ids must be unique, e.g. \"{}-2\"",
                    l.id, l.id
                ),
            );
        } else {
            self.ids.insert(l.id.clone(), place.to_string());
        }
        let sim = super::sim_key(l.iccid.as_deref(), l.number.as_deref(), &l.id);
        match self.sims.get(&sim) {
            Some(other) => p.add(
                key,
                format!(
                    "line {:?} is on the same SIM ({sim}) as line {other:?}; a SIM is one line: \
                     remove one of them, or give each its own iccid/number",
                    l.id
                ),
            ),
            None => {
                self.sims.insert(sim, l.id.clone());
            }
        }
    }
}
