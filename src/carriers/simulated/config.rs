//! The simulated carrier's settings: starting figures, drain rates, latency, failure shares.

use serde::Deserialize;
use std::time::Duration;

use crate::carriers::Reports;
use crate::config::validate::Problems;
use crate::money::{DataSize, Money, parse_duration};

/// A `[carriers.NAME]` section with `type = "simulated"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatedConfig {
    /// Starting balance of each line, e.g. "6.00 USD".
    pub balance: Option<String>,
    /// Starting data of each line, e.g. "600 MB".
    pub data: Option<String>,
    /// Starting plan length from first sight, e.g. "30d".
    pub expires_in: Option<String>,
    /// Balance used per hour, e.g. "180.00 USD" drains 5 cents a second.
    pub balance_per_hour: Option<String>,
    /// Data used per hour.
    pub data_per_hour: Option<String>,
    /// Delay of every call, e.g. "200ms".
    pub latency: Option<String>,
    /// Share of top-ups refused (retryable), 0.0 to 1.0.
    #[serde(default)]
    pub failure_rate: f64,
    /// Share of top-ups that go through but whose reply is lost (outcome unknown).
    #[serde(default)]
    pub lost_reply_rate: f64,
    /// What a package top-up adds, e.g. "1 GB".
    pub package_data: Option<String>,
    /// What a package costs, e.g. "10.00 USD".
    pub package_price: Option<String>,
    /// How far a top-up pushes the expiry, e.g. "30d".
    pub validity: Option<String>,
    /// Which figures it reports: "balance", "data", "expiry" (default all three).
    pub reports: Option<Vec<String>>,
}

/// The parsed settings.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) balance: Money,
    pub(super) data: DataSize,
    pub(super) expires_in: Duration,
    pub(super) balance_per_hour: i64,
    pub(super) data_per_hour_kb: i64,
    pub(super) latency: Duration,
    pub(super) failure_rate: f64,
    pub(super) lost_reply_rate: f64,
    pub(super) package_data: DataSize,
    pub(super) package_price: Money,
    pub(super) validity: Duration,
    pub(super) reports: Reports,
}

impl SimulatedConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        if let Err((field, e)) = self.settings() {
            p.add(format!("{key}.{field}"), e);
        }
    }

    pub(super) fn settings(&self) -> Result<Settings, (&'static str, String)> {
        let balance: Money = get("balance", &self.balance, "20.00 USD", str::parse)?;
        let per_hour = match &self.balance_per_hour {
            None => Money::new(0, balance.currency),
            Some(v) => v.parse::<Money>().map_err(|e| ("balance_per_hour", e))?,
        };
        if per_hour.currency != balance.currency {
            return Err((
                "balance_per_hour",
                format!("must be in {} like balance", balance.currency),
            ));
        }
        self.check_rates()?;
        let price = format!("10.00 {}", balance.currency);
        Ok(Settings {
            balance,
            data: get("data", &self.data, "1 GB", str::parse)?,
            expires_in: get("expires_in", &self.expires_in, "30d", parse_duration)?,
            balance_per_hour: per_hour.minor,
            data_per_hour_kb: get(
                "data_per_hour",
                &self.data_per_hour,
                "0 MB",
                str::parse::<DataSize>,
            )?
            .kb,
            latency: get("latency", &self.latency, "0s", parse_duration)?,
            failure_rate: self.failure_rate,
            lost_reply_rate: self.lost_reply_rate,
            package_data: get("package_data", &self.package_data, "1 GB", str::parse)?,
            package_price: get("package_price", &self.package_price, &price, str::parse)?,
            validity: get("validity", &self.validity, "30d", parse_duration)?,
            reports: Reports::from_list(self.reports.as_deref()).map_err(|e| ("reports", e))?,
        })
    }

    fn check_rates(&self) -> Result<(), (&'static str, String)> {
        for (field, rate) in [
            ("failure_rate", self.failure_rate),
            ("lost_reply_rate", self.lost_reply_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err((
                    field,
                    format!("{rate} is not a share; write a number from 0.0 to 1.0, e.g. 0.1"),
                ));
            }
        }
        Ok(())
    }
}

/// A setting parsed from its text, or its default; the error names the field.
fn get<T>(
    field: &'static str,
    v: &Option<String>,
    default: &str,
    f: impl Fn(&str) -> Result<T, String>,
) -> Result<T, (&'static str, String)> {
    f(v.as_deref().unwrap_or(default)).map_err(|e| (field, e))
}
