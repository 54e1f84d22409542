//! Airalo's authenticated transport: the OAuth token (cached, at most 3 fetches a minute,
//! refreshed on 401) and the client-side rate limits (5/s per company, 10/min per ICCID).

use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, Url};
use serde::Deserialize;

use super::errors::classify;
use crate::carriers::CarrierError;
use crate::carriers::http::{Http, KeyedLimiter, Limiter, Reply, TokenCache, endpoint};
use crate::config::Secret;

/// The longest Airalo's docs say to use one token for.
const TOKEN_MAX: Duration = Duration::from_secs(24 * 3600);
/// The longest renewd waits for the company-wide limit before giving up for now.
const COMPANY_WAIT: Duration = Duration::from_secs(2);

/// What renewd needs to call Airalo on behalf of one partner account.
pub struct Client {
    pub http: Http,
    /// API root, e.g. `https://partners-api.airalo.com/v2`.
    base: Url,
    client_id: String,
    secret: Secret,
    token: TokenCache,
    /// `POST /token` allows 3 requests a minute.
    token_limit: Limiter,
    /// 5 requests a second per company (the usage endpoint's limit, applied to all calls).
    company_limit: Limiter,
    /// 10 requests a minute per ICCID on `/sims/{iccid}/...`.
    iccid_limit: KeyedLimiter,
}

#[derive(Deserialize)]
struct TokenReply {
    data: TokenData,
}

#[derive(Deserialize)]
struct TokenData {
    access_token: String,
    expires_in: Option<u64>,
}

impl Client {
    pub fn new(http: Http, base: Url, client_id: String, secret: Secret) -> Self {
        Self {
            http,
            base,
            client_id,
            secret,
            token: TokenCache::new(),
            token_limit: Limiter::new(3, Duration::from_secs(60)),
            company_limit: Limiter::new(5, Duration::from_secs(1)),
            iccid_limit: KeyedLimiter::new(10, Duration::from_secs(60)),
        }
    }

    pub fn url(&self, segments: &[&str]) -> Url {
        endpoint(&self.base, segments)
    }

    /// Sends `build(token)`; on 401 fetches one new token and sends once more. `iccid`
    /// names the SIM the per-ICCID limit counts against. Nothing is sent past a limit.
    pub async fn call(
        &self,
        iccid: Option<&str>,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        if let Some(iccid) = iccid {
            self.iccid_limit
                .take(iccid)
                .map_err(|w| self.http.rate_limited(Some(w)))?;
        }
        self.company_limit
            .take(COMPANY_WAIT)
            .await
            .map_err(|w| self.http.rate_limited(Some(w)))?;
        self.token
            .send_json(&self.http, || self.fetch_token(), build)
            .await
    }

    /// `POST /token` with the client credentials as a form.
    async fn fetch_token(&self) -> Result<(Secret, Duration), CarrierError> {
        self.token_limit
            .take(Duration::ZERO)
            .await
            .map_err(|w| self.http.rate_limited(Some(w)))?;
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.expose()),
            ("grant_type", "client_credentials"),
        ];
        let req = self
            .http
            .client()
            .post(self.url(&["token"]))
            .header(ACCEPT, "application/json")
            .form(&form);
        let reply = self.http.send(req).await?;
        if !reply.status.is_success() {
            return Err(match classify(&self.http, &reply) {
                CarrierError::Setup { .. } | CarrierError::Refused { .. } | CarrierError::LineGone { .. } => self.http.setup(format!(
                    "Airalo refused the client credentials (HTTP {}: {}); check client_id and client_secret",
                    reply.status.as_u16(),
                    super::errors::message_of(&reply).unwrap_or_else(|| reply.describe())
                )),
                other => other,
            });
        }
        let t: TokenReply = self.http.json(&reply, "token reply")?;
        let life = t
            .data
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(TOKEN_MAX)
            .min(TOKEN_MAX);
        Ok((Secret::new(t.data.access_token), life))
    }
}
