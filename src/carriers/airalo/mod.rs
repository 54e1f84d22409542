//! Airalo Partner API v2: eSIM data by ICCID (usage, top-up packages, orders).
//!
//! `client` holds the token and rate limits, `api` the reply bodies, `errors` the three
//! error shapes, `lookup` the reconciliation after a lost reply.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::http::{self, Accounts, Common, Http, REQUEST_TIMEOUT};
use super::{Carrier, CarrierError, Lookup, Order, Reports, Submitted};
use crate::config::secret::Secret;
use crate::config::validate::Problems;
use crate::config::{Line, TopUpChoice};
use crate::model::{Listed, Observation, Offer};

pub(crate) mod api;
mod client;
pub(crate) mod errors;
mod lookup;

use api::{Envelope, OrderReply, Package, Usage};
use client::Client;
use errors::classify;

/// The production API root.
pub const DEFAULT_BASE_URL: &str = "https://partners-api.airalo.com/v2";
/// Airalo serves usage from a 20-minute cache; a reading sooner after a top-up may not show it.
pub const USAGE_CACHE: Duration = Duration::from_secs(20 * 60);

/// A `[carriers.NAME]` section with `type = "airalo"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiraloConfig {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<String>,
    pub client_secret_env: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
    /// Longest wait for one request, e.g. "30s" (the default).
    pub timeout: Option<String>,
    /// The account's request limit a second, when it is not the documented one
    /// (default 5, the documented company-wide limit).
    pub max_requests_per_second: Option<i64>,
}

impl AiraloConfig {
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
            secret_key: "client_secret",
            secret: self.client_secret.as_ref(),
            secret_file: self.client_secret_file.as_deref(),
            secret_env: self.client_secret_env.as_deref(),
            base_url: self.base_url.as_ref(),
            timeout: self.timeout.as_ref(),
        }
    }
}

/// The Airalo adapter for one partner account.
pub struct Airalo {
    client: Client,
}

impl Airalo {
    /// Reads the secret and builds the client; no network I/O.
    pub fn new(name: &str, c: &AiraloConfig, accounts: &Accounts) -> Result<Self, CarrierError> {
        let (secret, base, http) = c.common().open(name, DEFAULT_BASE_URL, REQUEST_TIMEOUT)?;
        let per_second = c.per_second(name)?;
        Ok(Self {
            client: Client::new(
                http,
                base,
                c.client_id.clone(),
                secret,
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
            "an Airalo line needs iccid = \"8910300000000000001\"",
        )
    }

    /// `GET /sims/{iccid}/{leaf}`, its `data` decoded as `T`; a non-2xx reply is classified.
    async fn sim_get<T: DeserializeOwned>(
        &self,
        iccid: &str,
        leaf: &str,
        what: &str,
    ) -> Result<T, CarrierError> {
        let url = self.client.url(&["sims", iccid, leaf]);
        let reply = self
            .client
            .call(Some(iccid), |c| c.get(url.clone()))
            .await?;
        if !reply.is_success() {
            return Err(classify(self.http(), &reply));
        }
        Ok(self.http().json::<Envelope<T>>(&reply, what)?.data)
    }

    /// `GET /sims/{iccid}/topups`: the packages this eSIM accepts.
    async fn topups(&self, iccid: &str) -> Result<Vec<Package>, CarrierError> {
        self.sim_get(iccid, "topups", "top-up package list").await
    }

    /// Turns the line's choice into one of the offered packages.
    fn choose(&self, offered: &[Package], choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        let list = || {
            offered
                .iter()
                .map(Package::summary)
                .collect::<Vec<_>>()
                .join("; ")
        };
        let refuse = |code: &str, message: String| CarrierError::Refused {
            carrier: self.http().carrier().to_string(),
            code: code.into(),
            message,
            retryable: false,
        };
        if offered.is_empty() {
            return Err(refuse(
                "no_topups",
                "Airalo offers no top-up for this eSIM".into(),
            ));
        }
        let package = match choice {
            TopUpChoice::Package { id, .. } => {
                offered.iter().find(|p| &p.id == id).ok_or_else(|| {
                    refuse(
                        "not_offered",
                        format!(
                            "topup_package {id:?} is not offered for this eSIM; offered: {}",
                            list()
                        ),
                    )
                })?
            }
            TopUpChoice::Cheapest { min_data } => offered
                .iter()
                .filter(|p| p.gives(*min_data) && p.cost().is_some())
                .min_by_key(|p| (p.cost().map(|m| m.minor), std::cmp::Reverse(p.amount)))
                .ok_or_else(|| {
                    refuse(
                        "not_offered",
                        format!(
                            "no offered top-up gives at least {min_data}; offered: {}",
                            list()
                        ),
                    )
                })?,
            TopUpChoice::Amount(a) => {
                return Err(self.http().setup(format!("Airalo sells packages, not amounts like {a}; set topup_package = \"<id>\" or \"cheapest\" with min_data; offered: {}", list())));
            }
        };
        let offer = package.offer().map_err(|e| self.http().malformed(e))?;
        if let TopUpChoice::Package {
            price: Some(limit), ..
        } = choice
            && offer.amount.partial_cmp(limit).is_some_and(|o| o.is_gt())
        {
            return Err(refuse(
                "price_rose",
                format!(
                    "{} now costs {}, more than the {limit} topup_amount allows; raise topup_amount or pick another package",
                    package.id, offer.amount
                ),
            ));
        }
        Ok(offer)
    }
}

/// The order's `description`: renewd's reference, findable with `filter[description]`.
/// The answer to `POST /orders/topups`: confirmed only by a 2xx carrying an order code.
pub(crate) fn placed(http: &Http, reply: &super::http::Reply) -> Result<Submitted, CarrierError> {
    if !reply.status.is_success() {
        return Err(classify(http, reply));
    }
    let placed: Envelope<OrderReply> = http.json(reply, "top-up order reply")?;
    if placed.data.code.trim().is_empty() {
        return Err(http.malformed("the top-up order reply has no order code"));
    }
    Ok(Submitted::Confirmed(placed.data.purchase()))
}

fn description(line: &Line, order: &Order) -> String {
    format!("renewd:{}:{}", line.id, order.reference)
}

#[async_trait]
impl Carrier for Airalo {
    async fn offers(&self, line: &Line) -> Result<Vec<Listed>, CarrierError> {
        let Some(iccid) = line.iccid.as_deref() else {
            return Ok(Vec::new());
        };
        let offered = self.topups(iccid).await?;
        Ok(offered.iter().filter_map(Package::listed).collect())
    }

    fn reports(&self) -> Reports {
        Reports {
            balance: false,
            data: true,
            expiry: true,
        }
    }

    fn min_settle(&self) -> Duration {
        USAGE_CACHE + Duration::from_secs(5 * 60)
    }

    fn rate_limited(&self) -> u64 {
        self.client.rate_limited()
    }

    async fn status(&self, line: &Line) -> Result<Observation, CarrierError> {
        let iccid = self.iccid(line)?;
        let usage: Usage = self.sim_get(iccid, "usage", "usage reply").await?;
        usage
            .observation(Utc::now())
            .map_err(|e| self.http().malformed(format!("usage reply: {e}")))
    }

    async fn quote(&self, line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        let iccid = self.iccid(line)?;
        let offered = self.topups(iccid).await?;
        self.choose(&offered, choice)
    }

    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        let iccid = self.iccid(line)?;
        let package = order.offer.package.as_deref().ok_or_else(|| {
            self.http()
                .setup("an Airalo top-up needs a package; set topup_package")
        })?;
        let body = json!({ "package_id": package, "iccid": iccid, "description": description(line, order) });
        let url = self.client.url(&["orders", "topups"]);
        let reply = self.client.buy(|c| c.post(url.clone()).json(&body)).await?;
        placed(self.http(), &reply)
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        let iccid = self.iccid(line)?;
        lookup::lookup(&self.client, iccid, &description(line, order), order).await
    }
}
