//! 1NCE Management API: IoT SIM data quota and fixed top-ups by ICCID.
//!
//! `client` holds the token and rate limits, `api` the reply bodies, `errors` the three
//! error shapes, `lookup` the reconciliation after a lost reply.

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;

use super::http::{self, Accounts, Common, Http, Purpose, REQUEST_TIMEOUT};
use super::{Carrier, CarrierError, Lookup, Order, Reports, Submitted};
use crate::config::secret::Secret;
use crate::config::validate::Problems;
use crate::config::{Line, TopUpChoice};
use crate::model::{Observation, Offer};

pub(crate) mod api;
mod client;
pub(crate) mod errors;
mod lookup;

use client::Client;
use errors::classify;

/// The production API root.
pub const DEFAULT_BASE_URL: &str = "https://api.1nce.com/management-api";

/// A `[carriers.NAME]` section with `type = "1nce"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneNceConfig {
    pub username: String,
    pub password: Option<Secret>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
    /// Longest wait for one request, e.g. "30s" (the default).
    pub timeout: Option<String>,
    /// The account's request limit a second, when it is not the documented one
    /// (default 10, the documented `/sims` limit).
    pub max_requests_per_second: Option<i64>,
}

impl OneNceConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        self.common().validate(key, p);
        http::check_per_second(key, self.max_requests_per_second, p);
    }

    /// `max_requests_per_second`, or the documented limit.
    fn per_second(&self, carrier: &str) -> Result<u32, CarrierError> {
        http::per_second_or(
            self.max_requests_per_second,
            client::DOCUMENTED_PER_SECOND,
            carrier,
        )
    }

    /// The keys every HTTP carrier has.
    fn common(&self) -> Common<'_> {
        Common {
            secret_key: "password",
            secret: self.password.as_ref(),
            secret_file: self.password_file.as_deref(),
            secret_env: self.password_env.as_deref(),
            base_url: self.base_url.as_ref(),
            timeout: self.timeout.as_ref(),
        }
    }
}

/// The 1NCE adapter for one account.
pub struct OneNce {
    client: Client,
}

impl OneNce {
    /// Reads the secret and builds the client; no network I/O.
    pub fn new(name: &str, c: &OneNceConfig, accounts: &Accounts) -> Result<Self, CarrierError> {
        let (password, base, http) = c.common().open(name, DEFAULT_BASE_URL, REQUEST_TIMEOUT)?;
        let per_second = c.per_second(name)?;
        Ok(Self {
            client: Client::new(
                http,
                base,
                c.username.clone(),
                password,
                per_second,
                accounts,
            ),
        })
    }

    fn http(&self) -> &Http {
        &self.client.http
    }

    fn iccid<'a>(&self, line: &'a Line) -> Result<&'a str, CarrierError> {
        http::iccid(
            self.http(),
            line,
            "a 1NCE line needs iccid = \"8988228000000000001\"",
        )
    }
}

#[async_trait]
impl Carrier for OneNce {
    fn reports(&self) -> Reports {
        Reports {
            balance: false,
            data: true,
            expiry: true,
        }
    }

    fn rate_limited(&self) -> u64 {
        self.client.rate_limited()
    }

    async fn status(&self, line: &Line) -> Result<Observation, CarrierError> {
        let quota = lookup::quota(&self.client, self.iccid(line)?).await?;
        quota
            .observation(Utc::now())
            .map_err(|e| self.http().malformed(format!("data quota reply: {e}")))
    }

    /// 1NCE sells one top-up fixed by the tariff; the line states its price.
    async fn quote(&self, _line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        match choice {
            TopUpChoice::Amount(amount) => Ok(Offer { amount: *amount, package: None, label: Some("1NCE top-up (volume set by the tariff)".into()) }),
            _ => Err(self.http().setup("1NCE sells one top-up fixed by the tariff; set topup_amount to its price (e.g. \"10.00 EUR\") instead of topup_package")),
        }
    }

    /// `POST /v1/sims/{iccid}/topup`; the order number comes from the `Location` header.
    /// Returns `Confirmed` when the order already reads COMPLETED, else `Pending`.
    async fn top_up(&self, line: &Line, _order: &Order) -> Result<Submitted, CarrierError> {
        let url = self.client.url(&["v1", "sims", self.iccid(line)?, "topup"]);
        let reply = self.client.buy(|c| c.post(url.clone())).await?;
        if !reply.status.is_success() {
            return Err(classify(self.http(), &reply));
        }
        let number = reply.header("location").and_then(api::order_number);
        tracing::info!(line = %line.id, order = number.as_deref().unwrap_or("?"), "1NCE accepted the top-up order");
        let Some(n) = number else {
            return Ok(Submitted::Pending { provider_ref: None });
        };
        // The order is placed: from here on nothing may turn into an error.
        Ok(
            match lookup::order(&self.client, &n, Purpose::Purchase).await {
                Ok(Some(Lookup::Confirmed(p))) => Submitted::Confirmed(p),
                Ok(_) => Submitted::Pending {
                    provider_ref: Some(n),
                },
                Err(e) => {
                    tracing::warn!(line = %line.id, order = %n, error = %e, "could not read the new 1NCE order yet");
                    Submitted::Pending {
                        provider_ref: Some(n),
                    }
                }
            },
        )
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        lookup::lookup(&self.client, self.iccid(line)?, order).await
    }
}
