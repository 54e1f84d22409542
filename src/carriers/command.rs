//! Any carrier through programs the person writes: JSON on stdout, meaning in the exit code.
//!
//! Config only so far: the adapter itself is not built yet, and `build()` refuses it.

use serde::Deserialize;

use crate::config::validate::Problems;

/// A `[carriers.NAME]` section with `type = "command"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// Program and arguments that print the line's status.
    pub status: Option<Vec<String>>,
    /// Program and arguments that buy a top-up.
    pub topup: Option<Vec<String>>,
    /// Program and arguments that look a purchase up by reference.
    pub lookup: Option<Vec<String>>,
    /// Time limit per call, e.g. "30s".
    pub timeout: Option<String>,
    /// Environment variables passed through to the programs (all others are cleared).
    #[serde(default)]
    pub env: Vec<String>,
}

impl CommandConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        if self.status.is_none() && self.topup.is_none() {
            p.add(key, "sets neither status nor topup; e.g. status = [\"/usr/local/lib/renewd/ussd-balance\", \"{number}\"]");
        }
        for (field, argv) in [
            ("status", &self.status),
            ("topup", &self.topup),
            ("lookup", &self.lookup),
        ] {
            if argv
                .as_ref()
                .is_some_and(|a| a.first().is_none_or(|prog| prog.trim().is_empty()))
            {
                p.add(format!("{key}.{field}"), "has no program; write the program then its arguments, e.g. [\"/usr/local/lib/renewd/topup\", \"{number}\"]");
            }
        }
        p.opt(
            &format!("{key}.timeout"),
            self.timeout.as_ref(),
            crate::money::parse_duration,
        );
    }
}
