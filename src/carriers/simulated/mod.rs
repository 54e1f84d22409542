//! The built-in `simulated` carrier: lines whose balance and data drain at a set rate.
//!
//! Needs no network and no account, for the demo and the tests. Its state (per line:
//! balance, data, expiry, purchases by reference) lives in `<state_dir>/simulated-NAME.json`
//! so a restart does not reset it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Carrier, CarrierError, Lookup, Order, Purchase, Reports, Submitted};

mod config;

use crate::config::{Line, TopUpChoice};
use crate::model::{LineState, Observation, Offer};
use crate::money::{DataSize, Money};
use config::Settings;
pub use config::SimulatedConfig;

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

    async fn offers(&self, _line: &Line) -> Result<Vec<crate::model::Listed>, CarrierError> {
        let s = &self.settings;
        let days = u32::try_from(s.validity.as_secs() / 86_400).ok();
        let package = |n: i64| crate::model::Listed {
            label: format!(
                "{}",
                DataSize {
                    kb: s.package_data.kb.saturating_mul(n)
                }
            ),
            price: Money::new(
                s.package_price.minor.saturating_mul(n),
                s.package_price.currency,
            ),
            data: Some(DataSize {
                kb: s.package_data.kb.saturating_mul(n),
            }),
            days,
        };
        // The package, and a bundle of three of them at the price of two and a half.
        let mut bundle = package(3);
        bundle.price.minor = s.package_price.minor.saturating_mul(5) / 2;
        Ok(vec![package(1), bundle])
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
