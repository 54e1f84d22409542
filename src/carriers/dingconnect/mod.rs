//! DingConnect API: airtime top-ups by SkuCode to a phone number.
//!
//! Ding reports nothing about the line (lines renew by date or `status_from`). A purchase is
//! one `SendTransfer` with `DistributorRef` derived from renewd's reference and judged by
//! `ResultCode` and `ProcessingState`; `lookup` is `ListTransferRecords` by that reference.
//! Nothing is ever re-sent here: Ding has been seen to pay a replayed `DistributorRef` twice.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::Method;
use serde::Deserialize;

use super::airtime;
use super::http::{self, Common, Http, Reply};
use super::{Carrier, CarrierError, Lookup, Order, Reports, Submitted};
use crate::config::secret::Secret;
use crate::config::validate::Problems;
use crate::config::{Line, TopUpChoice};
use crate::model::{Observation, Offer};
use crate::money::{Currency, Money};

pub(crate) mod transfer;
pub(crate) mod wire;

use wire::Envelope;
pub use wire::distributor_ref;

/// Ding's API root.
const DEFAULT_BASE: &str = "https://api.dingconnect.com/api/V1";
/// Above Ding's 90 s provider time limit, as its docs advise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A `[carriers.NAME]` section with `type = "dingconnect"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DingConfig {
    pub api_key: Option<Secret>,
    pub api_key_file: Option<String>,
    pub api_key_env: Option<String>,
    /// API root; overridable for a test server or staging.
    pub base_url: Option<String>,
    /// Time limit per HTTP call, e.g. "120s" (default; Ding gives operators 90 s).
    pub timeout: Option<String>,
}

impl DingConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        self.common().validate(key, p);
    }

    /// The keys every HTTP carrier has.
    fn common(&self) -> Common<'_> {
        Common {
            secret_key: "api_key",
            secret: self.api_key.as_ref(),
            secret_file: self.api_key_file.as_deref(),
            secret_env: self.api_key_env.as_deref(),
            base_url: self.base_url.as_ref(),
            timeout: self.timeout.as_ref(),
        }
    }
}

/// The DingConnect adapter.
pub struct Ding {
    /// The client, bound to the carrier's config name (for errors and logs).
    http: Http,
    /// API root, e.g. `https://api.dingconnect.com/api/V1`.
    base: reqwest::Url,
    key: Secret,
}

impl Ding {
    /// Builds the adapter; reads the key, does no network I/O.
    pub fn new(name: &str, cfg: &DingConfig) -> Result<Self, CarrierError> {
        let (key, base, http) = cfg.common().open(name, DEFAULT_BASE, DEFAULT_TIMEOUT)?;
        Ok(Ding { http, base, key })
    }

    fn name(&self) -> &str {
        self.http.carrier()
    }

    /// One call with the `api_key` header; `correlation` goes out as `X-Correlation-Id`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
        correlation: Option<&str>,
    ) -> Result<Reply, CarrierError> {
        let url = http::endpoint(&self.base, &[path]);
        let mut req = self
            .http
            .client()
            .request(method, url)
            .query(query)
            .header("api_key", self.key.expose())
            .header("Accept", "application/json");
        if let Some(id) = correlation {
            req = req.header("X-Correlation-Id", id);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        self.http.send(req).await
    }

    fn setup(&self, detail: String) -> CarrierError {
        self.http.setup(detail)
    }

    fn sku<'a>(&self, line: &'a Line) -> Result<&'a str, CarrierError> {
        line.sku_code.as_deref().ok_or_else(|| {
            self.setup(format!(
                "line {} has no sku_code; e.g. sku_code = \"XXUS12345\"",
                line.id
            ))
        })
    }

    /// `SendTransfer` with `ValidateOnly` as given (always sent, even when false).
    async fn send_transfer(
        &self,
        line: &Line,
        amount: Money,
        reference: &str,
        validate_only: bool,
    ) -> Result<Reply, CarrierError> {
        let number = line
            .number
            .as_deref()
            .ok_or_else(|| self.setup(format!("line {} has no number", line.id)))?;
        let mut body = serde_json::Map::new();
        body.insert("SkuCode".into(), self.sku(line)?.into());
        body.insert("SendCurrencyIso".into(), amount.currency.code().into());
        body.insert(
            "AccountNumber".into(),
            number
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .into(),
        );
        body.insert("DistributorRef".into(), reference.into());
        body.insert("ValidateOnly".into(), validate_only.into());
        let body = http::json_with_decimal(body, "SendValue", &amount.major_string());
        self.call(
            Method::POST,
            "SendTransfer",
            &[],
            Some(body),
            Some(reference),
        )
        .await
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<T, CarrierError> {
        decode(&self.http, reply, what)
    }
}

/// Decodes a reply as `T` when it is a 2xx carrying Ding's envelope with `ResultCode` 1;
/// otherwise classifies it (HTTP status first, then `ResultCode`/`ErrorCodes`).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    http: &Http,
    reply: &Reply,
    what: &str,
) -> Result<T, CarrierError> {
    let env: Option<Envelope> = serde_json::from_slice(&reply.body).ok();
    match &env {
        Some(e) if e.result_code == 1 && reply.is_success() => http.json(reply, what),
        _ => Err(wire::classify(http, reply, env.as_ref())),
    }
}

#[async_trait]
impl Carrier for Ding {
    fn reports(&self) -> Reports {
        Reports::default()
    }

    /// Ding knows nothing of the line: an observation with no figures.
    async fn status(&self, _line: &Line) -> Result<Observation, CarrierError> {
        Ok(airtime::unreported("DingConnect"))
    }

    /// Checks the amount against the product's Minimum..Maximum (`GetProducts?skuCodes=`).
    async fn quote(&self, line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        let TopUpChoice::Amount(amount) = choice else {
            return Err(
                self.setup("DingConnect sells amounts per SkuCode; set topup_amount".into())
            );
        };
        let sku = self.sku(line)?;
        let reply = self
            .call(Method::GET, "GetProducts", &[("skuCodes", sku)], None, None)
            .await?;
        let products: wire::Products = self.decode(&reply, "GetProducts reply")?;
        let p = products
            .items
            .into_iter()
            .find(|p| p.sku_code == sku)
            .ok_or_else(|| {
                self.setup(format!(
                    "line {}: Ding has no product with sku_code {sku:?}",
                    line.id
                ))
            })?;
        let cur = Currency::new(&p.minimum.send_currency_iso).filter(|c| *c == amount.currency);
        let bounds = cur.and_then(|c| {
            Money::from_major_f64(p.minimum.send_value, c)
                .zip(Money::from_major_f64(p.maximum.send_value, c))
        });
        let Some((min, max)) = bounds else {
            return Err(self.setup(format!(
                "line {}: product {sku} is sold in {}, not {}",
                line.id, p.minimum.send_currency_iso, amount.currency
            )));
        };
        if amount.minor < min.minor || amount.minor > max.minor {
            let range = if min == max {
                format!("exactly {min}")
            } else {
                format!("from {min} to {max}")
            };
            return Err(self.setup(format!(
                "line {}: product {sku} takes {range}; topup_amount = \"{amount}\" does not fit",
                line.id
            )));
        }
        Ok(Offer {
            amount: *amount,
            package: None,
            label: p.default_display_text,
        })
    }

    /// `SendTransfer` with `ValidateOnly = true`: full validation and balance check, no charge.
    async fn dry_run(&self, line: &Line, offer: &Offer) -> Result<(), CarrierError> {
        let reference = distributor_ref(&format!(
            "dry-run-{}-{}",
            line.id,
            Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        let reply = self
            .send_transfer(line, offer.amount, &reference, true)
            .await?;
        self.decode::<Envelope>(&reply, "validation reply")
            .map(|_| ())
    }

    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        let reference = distributor_ref(&order.reference);
        let reply = self
            .send_transfer(line, order.offer.amount, &reference, false)
            .await?;
        self.judge(line, order, &reply).await
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        self.find(line, order).await
    }
}
