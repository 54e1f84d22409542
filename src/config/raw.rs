//! The config file as serde reads it: strings for every quantity, unknown keys refused.
//!
//! `validate.rs` turns this into `Config`, collecting every problem at once.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::carriers::CarrierSpec;
use crate::config::secret::Secret;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub daemon: RawDaemon,
    pub email: Option<RawEmail>,
    #[serde(default)]
    pub budget: RawBudget,
    #[serde(default)]
    pub carriers: BTreeMap<String, CarrierSpec>,
    /// Named policies that lines (and inventory rows) refer to with `policy = "NAME"`.
    #[serde(default)]
    pub policies: BTreeMap<String, RawPolicy>,
    #[serde(default)]
    pub lines: Vec<RawLine>,
    /// CSV files with one line per row (`config/inventory.rs`).
    #[serde(default)]
    pub inventory: Vec<RawInventory>,
    /// `[[notify]]`: channels beside `[email]`.
    #[serde(default)]
    pub notify: Vec<super::notify_raw::RawNotify>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDaemon {
    pub state_dir: Option<String>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
    pub jitter: Option<String>,
    pub max_concurrent_checks: Option<i64>,
    pub listen: Option<String>,
    /// How long after a confirmed top-up a stale reading is ignored (default 30m).
    pub settle: Option<String>,
    /// How long a line may fail its checks before a failure email (default 6h).
    pub check_grace: Option<String>,
    /// How long readings are kept in the ledger (default 90d).
    pub keep_readings: Option<String>,
    /// `/metrics` series per line (default: on up to `PER_LINE_METRICS_UP_TO` lines).
    pub metrics_per_line: Option<bool>,
    /// `"en"` (default) or `"zh-CN"`: every message and `status`.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    pub smtp_url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub send: Option<Vec<String>>,
    /// The language of email, when not `daemon.language`.
    pub language: Option<String>,
    /// Lets `smtp://` without TLS log in to a host that is not loopback.
    pub allow_plaintext_auth: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub monthly_cap: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLine {
    pub id: String,
    pub name: Option<String>,
    pub carrier: String,
    pub number: Option<String>,
    pub iccid: Option<String>,
    pub check: Option<String>,
    pub operator_id: Option<i64>,
    pub sku_code: Option<String>,
    pub status_from: Option<String>,
    pub renews_on: Option<String>,
    /// Extra email recipients for this line's messages, beyond `email.to`.
    pub email_to: Option<Vec<String>>,
    pub policy: RawLinePolicy,
}

/// A line's policy: the name of a `[policies.NAME]` table, or its own `[lines.policy]`.
#[derive(Debug)]
pub enum RawLinePolicy {
    Named(String),
    Own(RawPolicy),
}

/// `[[inventory]]`: a CSV file whose header names line keys, one line per row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInventory {
    /// Relative to the config file's folder.
    pub file: String,
    /// The carrier of rows with no `carrier` cell.
    pub carrier: Option<String>,
    /// The named policy of rows with no `policy` cell.
    pub policy: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub balance_below: Option<String>,
    pub data_below: Option<String>,
    pub expires_within: Option<String>,
    pub runs_out_within: Option<String>,
    pub topup_amount: Option<String>,
    pub topup_package: Option<String>,
    pub min_data: Option<String>,
    pub monthly_cap: Option<String>,
    pub plan_days: Option<i64>,
}

/// A string names a policy; a table is the line's own (its errors keep serde's words).
impl<'de> Deserialize<'de> for RawLinePolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawLinePolicy;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a policy name (a [policies.NAME] table) or a [lines.policy] table")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawLinePolicy::Named(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let own =
                    RawPolicy::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawLinePolicy::Own(own))
            }
        }
        d.deserialize_any(Visit)
    }
}
