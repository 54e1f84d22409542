//! The built-in `simulated` carrier: lines whose balance and data drain at a set rate.
//!
//! Needs no network and no account, for the demo and the tests. Its state (per line:
//! balance, data, expiry, purchases by reference) lives in `<state_dir>/simulated-NAME.json`
//! so a restart does not reset it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Carrier, CarrierError, Lookup, Order, Purchase, Reports, Submitted};
use crate::config::validate::Problems;
use crate::config::{Line, TopUpChoice};
use crate::model::{LineState, Observation, Offer};
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
struct Settings {
    balance: Money,
    data: DataSize,
    expires_in: Duration,
    balance_per_hour: i64,
    data_per_hour_kb: i64,
    latency: Duration,
    failure_rate: f64,
    lost_reply_rate: f64,
    package_data: DataSize,
    package_price: Money,
    validity: Duration,
    reports: Reports,
}

impl SimulatedConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        if let Err((field, e)) = self.settings() {
            p.add(format!("{key}.{field}"), e);
        }
    }

    fn settings(&self) -> Result<Settings, (&'static str, String)> {
        fn get<T>(
            field: &'static str,
            v: &Option<String>,
            default: &str,
            f: impl Fn(&str) -> Result<T, String>,
        ) -> Result<T, (&'static str, String)> {
            f(v.as_deref().unwrap_or(default)).map_err(|e| (field, e))
        }
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
        let reports = match &self.reports {
            None => Reports {
                balance: true,
                data: true,
                expiry: true,
            },
            Some(list) => {
                if let Some(bad) = list
                    .iter()
                    .find(|r| !["balance", "data", "expiry"].contains(&r.as_str()))
                {
                    return Err((
                        "reports",
                        format!("{bad:?} is not a figure; use \"balance\", \"data\" or \"expiry\""),
                    ));
                }
                let has = |s: &str| list.iter().any(|r| r == s);
                Reports {
                    balance: has("balance"),
                    data: has("data"),
                    expiry: has("expiry"),
                }
            }
        };
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
            package_price: get(
                "package_price",
                &self.package_price,
                &format!("10.00 {}", balance.currency),
                str::parse,
            )?,
            validity: get("validity", &self.validity, "30d", parse_duration)?,
            reports,
        })
    }
}

/// One simulated line as stored on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SimLine {
    balance_minor: i64,
    data_kb: i64,
    expires_at: DateTime<Utc>,
    /// When the figures above were true; draining is computed from here.
    as_of: DateTime<Utc>,
    /// Purchases by renewd reference, for `lookup`.
    purchases: BTreeMap<String, String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SimState {
    lines: BTreeMap<String, SimLine>,
}

/// The simulated carrier.
pub struct Simulated {
    name: String,
    settings: Settings,
    path: PathBuf,
    state: Mutex<SimState>,
}

impl Simulated {
    /// Opens (or starts) the simulation stored in `state_dir`.
    pub fn open(
        name: &str,
        config: &SimulatedConfig,
        state_dir: &Path,
    ) -> Result<Self, CarrierError> {
        let setup = |detail: String| CarrierError::Setup {
            carrier: name.to_string(),
            detail,
        };
        let settings = config
            .settings()
            .map_err(|(f, e)| setup(format!("{f}: {e}")))?;
        let path = state_dir.join(format!("simulated-{name}.json"));
        let state = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| setup(format!("corrupt state file {}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SimState::default(),
            Err(e) => return Err(setup(format!("cannot read {}: {e}", path.display()))),
        };
        Ok(Self {
            name: name.to_string(),
            settings,
            path,
            state: Mutex::new(state),
        })
    }

    /// Runs `f` on the line drained up to `now`, then saves the state.
    fn with_line<T>(
        &self,
        line_id: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut SimLine) -> T,
    ) -> Result<T, CarrierError> {
        let mut state = self.state.lock().expect("simulated state lock");
        let s = &self.settings;
        let line = state
            .lines
            .entry(line_id.to_string())
            .or_insert_with(|| SimLine {
                balance_minor: s.balance.minor,
                data_kb: s.data.kb,
                expires_at: now + chrono::Duration::from_std(s.expires_in).unwrap_or_default(),
                as_of: now,
                purchases: BTreeMap::new(),
            });
        drain(line, s, now);
        let out = f(line);
        self.save(&state)?;
        Ok(out)
    }

    fn save(&self, state: &SimState) -> Result<(), CarrierError> {
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(state).expect("state serializes");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| CarrierError::Setup {
                carrier: self.name.clone(),
                detail: format!("cannot save {}: {e}", self.path.display()),
            })
    }

    fn roll(&self, rate: f64) -> bool {
        rate > 0.0 && rand::random::<f64>() < rate
    }
}

/// Applies usage from `line.as_of` to `now` (never below zero).
fn drain(line: &mut SimLine, s: &Settings, now: DateTime<Utc>) {
    let ms = (now - line.as_of).num_milliseconds().max(0);
    let used = |per_hour: i64| (per_hour as i128 * ms as i128 / 3_600_000) as i64;
    line.balance_minor = (line.balance_minor - used(s.balance_per_hour)).max(0);
    line.data_kb = (line.data_kb - used(s.data_per_hour_kb)).max(0);
    line.as_of = now;
}

#[async_trait]
impl Carrier for Simulated {
    fn reports(&self) -> Reports {
        self.settings.reports
    }

    async fn status(&self, line: &Line) -> Result<Observation, CarrierError> {
        tokio::time::sleep(self.settings.latency).await;
        let now = Utc::now();
        let r = self.settings.reports;
        let currency = self.settings.balance.currency;
        self.with_line(&line.id, now, |l| Observation {
            balance: r.balance.then(|| Money::new(l.balance_minor, currency)),
            data: r.data.then_some(DataSize { kb: l.data_kb }),
            expires_at: r.expiry.then_some(l.expires_at),
            state: if l.expires_at <= now {
                LineState::Expired
            } else {
                LineState::Active
            },
            ..Observation::empty(now)
        })
    }

    async fn quote(&self, _line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        let s = &self.settings;
        Ok(match choice {
            TopUpChoice::Amount(amount) => Offer {
                amount: *amount,
                package: None,
                label: None,
            },
            TopUpChoice::Package { id, .. } => Offer {
                amount: s.package_price,
                package: Some(id.clone()),
                label: Some(format!("{} package", s.package_data)),
            },
            TopUpChoice::Cheapest { .. } => Offer {
                amount: s.package_price,
                package: Some(format!("sim-{}", s.package_data).replace(' ', "")),
                label: Some(format!("{} package", s.package_data)),
            },
        })
    }

    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        tokio::time::sleep(self.settings.latency).await;
        if self.roll(self.settings.failure_rate) {
            return Err(CarrierError::Refused {
                carrier: self.name.clone(),
                code: "SIM_BUSY".into(),
                message: "simulated refusal".into(),
                retryable: true,
            });
        }
        let now = Utc::now();
        let s = &self.settings;
        let provider_ref = self.with_line(&line.id, now, |l| {
            if let Some(existing) = l.purchases.get(&order.reference) {
                return existing.clone();
            }
            match &order.offer.package {
                Some(_) => l.data_kb += s.package_data.kb,
                None => l.balance_minor += order.offer.amount.minor,
            }
            let base = l.expires_at.max(now);
            l.expires_at = base + chrono::Duration::from_std(s.validity).unwrap_or_default();
            let id = format!("SIM-{}", l.purchases.len() + 1);
            l.purchases.insert(order.reference.clone(), id.clone());
            id
        })?;
        if self.roll(self.settings.lost_reply_rate) {
            return Err(CarrierError::NoAnswer {
                carrier: self.name.clone(),
                detail: "simulated lost reply".into(),
            });
        }
        let detail = Some(format!(
            "simulated top-up of {}",
            order
                .offer
                .label
                .clone()
                .unwrap_or_else(|| order.offer.amount.to_string())
        ));
        Ok(Submitted::Confirmed(Purchase {
            provider_ref: Some(provider_ref),
            charged: Some(order.offer.amount),
            detail,
        }))
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        tokio::time::sleep(self.settings.latency).await;
        let found = self.with_line(&line.id, Utc::now(), |l| {
            l.purchases.get(&order.reference).cloned()
        })?;
        Ok(match found {
            Some(id) => Lookup::Confirmed(Purchase {
                provider_ref: Some(id),
                charged: Some(order.offer.amount),
                detail: None,
            }),
            None => Lookup::NotFound,
        })
    }
}
