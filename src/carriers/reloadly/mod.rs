//! Reloadly Airtime API: top-ups to a phone number, by operator.
//!
//! Reloadly reports nothing about the line itself (no balance, data or expiry), so lines on
//! it renew by date (`plan_days`, `renews_on`) or read their status through `status_from`.
//! Purchases go through `POST /topups-async` with `customIdentifier` = renewd's reference;
//! `lookup` asks `GET /topups/{id}/status` or the transaction report by that reference.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::airtime;
use super::http::{self, Common, TokenCache};
use super::{Carrier, CarrierError, Lookup, Order, Reports, Submitted};
use crate::config::secret::Secret;
use crate::config::validate::Problems;
use crate::config::{Line, TopUpChoice};
use crate::model::{Observation, Offer};

mod api;
mod buy;
mod holds;
mod offer;
pub(crate) mod wire;

use api::Api;
use wire::Operator;

/// Production airtime host, also the token audience.
const PRODUCTION: &str = "https://topups.reloadly.com";
/// Sandbox airtime host (separate credentials).
const SANDBOX: &str = "https://topups-sandbox.reloadly.com";
/// Token host for both.
const AUTH: &str = "https://auth.reloadly.com";
/// Default time limit per HTTP call.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A `[carriers.NAME]` section with `type = "reloadly"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadlyConfig {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<String>,
    pub client_secret_env: Option<String>,
    /// Use the sandbox host and audience.
    #[serde(default)]
    pub sandbox: bool,
    /// Token endpoint override.
    pub auth_url: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
    /// ISO alpha-2 country of the numbers (recipientPhone.countryCode, auto-detect); default "US".
    pub country: Option<String>,
    /// Time limit per HTTP call, e.g. "60s" (default).
    pub timeout: Option<String>,
}

impl ReloadlyConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        self.common().validate(key, p);
        p.check(&format!("{key}.country"), self.country());
        p.url(&format!("{key}.auth_url"), self.auth_url.as_ref());
    }

    /// The keys every HTTP carrier has.
    fn common(&self) -> Common<'_> {
        Common {
            secret_key: "client_secret",
            secret: self.client_secret.as_ref(),
            secret_file: self.client_secret_file.as_deref(),
            secret_env: self.client_secret_env.as_deref(),
            base_url: self.base_url.as_ref(),
            timeout: self.timeout.as_ref(),
        }
    }

    fn country(&self) -> Result<String, String> {
        let c = self.country.as_deref().unwrap_or("US");
        let ok = c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase());
        ok.then(|| c.to_string())
            .ok_or_else(|| format!("{c:?} is not an ISO alpha-2 country code; e.g. \"US\""))
    }
}

/// The Reloadly adapter.
pub struct Reloadly {
    api: Api,
    /// ISO alpha-2 country sent with every number.
    country: String,
    /// Operators already fetched, by `id:N` (pinned) or `num:DIGITS` (auto-detected).
    operators: Mutex<HashMap<String, Operator>>,
    /// Per number: no purchase before this time (2-minute gap, 30 minutes after FAILED),
    /// kept in the state dir across restarts.
    not_before: holds::Holds,
}

impl Reloadly {
    /// Builds the adapter; reads the secret, does no network I/O.
    pub fn new(name: &str, cfg: &ReloadlyConfig, state_dir: &Path) -> Result<Self, CarrierError> {
        let host = if cfg.sandbox { SANDBOX } else { PRODUCTION };
        let (secret, base, http) = cfg.common().open(name, host, DEFAULT_TIMEOUT)?;
        let country = cfg
            .country()
            .map_err(|e| http.setup(format!("country: {e}")))?;
        let auth = http::url_key(name, "auth_url", cfg.auth_url.as_deref(), AUTH)?;
        // The token's audience: the airtime host as written, without a trailing slash.
        let audience = cfg.base_url.as_deref().unwrap_or(host);
        Ok(Reloadly {
            api: Api {
                http,
                audience: audience.trim_end_matches('/').to_string(),
                base,
                auth_url: auth,
                client_id: cfg.client_id.clone(),
                secret,
                token: TokenCache::new(),
            },
            country,
            operators: Mutex::new(HashMap::new()),
            not_before: holds::Holds::open(state_dir, name, buy::FAILED_BACKOFF),
        })
    }

    fn name(&self) -> &str {
        self.api.http.carrier()
    }

    /// The line's number as digits with the country code, no `+`.
    fn digits(&self, line: &Line) -> Result<String, CarrierError> {
        let n = line.number.as_deref().ok_or_else(|| CarrierError::Setup {
            carrier: self.name().to_string(),
            detail: format!(
                "line {} has no number; set number = \"+15551234567\"",
                line.id
            ),
        })?;
        Ok(n.chars().filter(char::is_ascii_digit).collect())
    }

    /// The line's operator: pinned `operator_id`, else auto-detected on the number; cached.
    async fn operator(&self, line: &Line) -> Result<Operator, CarrierError> {
        let digits = self.digits(line)?;
        let key = match line.operator_id {
            Some(id) => format!("id:{id}"),
            None => format!("num:{digits}"),
        };
        if let Some(op) = lock(&self.operators).get(&key) {
            return Ok(op.clone());
        }
        let op: Operator = match line.operator_id {
            Some(id) => {
                let id = id.to_string();
                self.api.get(&["operators", &id], &[], "operator").await?
            }
            None => {
                let path = [
                    "operators",
                    "auto-detect",
                    "phone",
                    &digits,
                    "countries",
                    &self.country,
                ];
                self.api.get(&path, &[], "auto-detected operator").await?
            }
        };
        lock(&self.operators).insert(key, op.clone());
        Ok(op)
    }

    /// Holds purchases to `digits` back for `wait`.
    fn hold(&self, digits: &str, wait: Duration) {
        self.not_before.hold(digits, wait);
    }

    /// `RateLimited` when a back-off for this number is still running.
    fn held(&self, digits: &str) -> Result<(), CarrierError> {
        match self.not_before.left(digits) {
            Some(left) => Err(CarrierError::RateLimited {
                carrier: self.name().to_string(),
                retry_after: Some(left),
            }),
            None => Ok(()),
        }
    }
}

/// Locks a std mutex; a poisoned lock still holds usable cache data.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl Carrier for Reloadly {
    fn reports(&self) -> Reports {
        Reports::default()
    }

    /// Reloadly knows nothing of the line: an observation with no figures.
    async fn status(&self, _line: &Line) -> Result<Observation, CarrierError> {
        Ok(airtime::unreported("Reloadly"))
    }

    async fn quote(&self, line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        let TopUpChoice::Amount(amount) = choice else {
            return Err(CarrierError::Setup {
                carrier: self.name().to_string(),
                detail: "Reloadly sells amounts only; set topup_amount".into(),
            });
        };
        let op = self.operator(line).await?;
        self.check_offer(line, &op, *amount)?;
        Ok(Offer {
            amount: *amount,
            package: None,
            label: Some(format!("{amount} airtime, {}", op.name)),
        })
    }

    async fn dry_run(&self, line: &Line, offer: &Offer) -> Result<(), CarrierError> {
        let op = self.operator(line).await?;
        self.check_offer(line, &op, offer.amount)?;
        self.check_funds(offer.amount).await
    }

    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        self.buy(line, order).await
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        self.find(line, order).await
    }
}
