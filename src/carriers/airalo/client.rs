//! Airalo's authenticated transport: the OAuth token (cached, at most 3 fetches a minute,
//! refreshed on 401) and the client-side rate limits (5/s per company or the account's
//! `max_requests_per_second`, 10/min per ICCID), queued fairly and paused by a 429.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, Url};
use serde::Deserialize;

use super::errors::classify;
use crate::carriers::CarrierError;
use crate::carriers::http::{
    Accounts, Http, KeyedLimiter, Limiter, Purpose, Reply, Throttle, TokenCache, endpoint, padded,
};
use crate::config::Secret;

/// The longest Airalo's docs say to use one token for.
const TOKEN_MAX: Duration = Duration::from_secs(24 * 3600);
/// The documented company-wide limit of the usage endpoint, per second.
pub const DOCUMENTED_PER_SECOND: u32 = 5;

/// What renewd needs to call Airalo on behalf of one partner account.
pub struct Client {
    pub http: Http,
    /// API root, e.g. `https://partners-api.airalo.com/v2`.
    base: Url,
    client_id: String,
    secret: Secret,
    token: TokenCache,
    /// The account's limits, shared with every adapter on the same account.
    limits: Arc<Limits>,
    /// 429 replies to this adapter's requests, for `/metrics`.
    seen_429: AtomicU64,
}

/// One Airalo account's limits and its pause after a 429.
struct Limits {
    throttle: Arc<Throttle>,
    /// `POST /token` allows 3 requests a minute.
    token: Limiter,
    /// 5 requests a second per company (the usage endpoint's limit, applied to all calls),
    /// or the account's `max_requests_per_second`.
    company: Limiter,
    /// 10 requests a minute per ICCID on `/sims/{iccid}/...`.
    iccid: KeyedLimiter,
}

impl Limits {
    /// Every limit is kept 5 % under its figure (`padded`).
    fn new(per_second: u32) -> Self {
        let throttle = Throttle::new();
        let minute = padded(Duration::from_secs(60));
        let second = padded(Duration::from_secs(1));
        Self {
            token: Limiter::new(3, minute, throttle.clone()),
            company: Limiter::new(per_second as usize, second, throttle.clone()),
            iccid: KeyedLimiter::new(10, minute),
            throttle,
        }
    }
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
    /// `per_second`: the company-wide limit (`DOCUMENTED_PER_SECOND` unless the account says
    /// otherwise). Adapters built with the same `accounts` for the same account (API root,
    /// client id and limit) share its limits.
    pub fn new(
        http: Http,
        base: Url,
        client_id: String,
        secret: Secret,
        per_second: u32,
        accounts: &Accounts,
    ) -> Self {
        let key = format!("airalo {base} {client_id} {per_second}");
        Self {
            limits: accounts.shared(key, || Limits::new(per_second)),
            http,
            base,
            client_id,
            secret,
            token: TokenCache::new(),
            seen_429: AtomicU64::new(0),
        }
    }

    /// 429 replies to this adapter's requests.
    pub fn rate_limited(&self) -> u64 {
        self.seen_429.load(Ordering::Relaxed)
    }

    pub fn url(&self, segments: &[&str]) -> Url {
        endpoint(&self.base, segments)
    }

    /// A read: sends `build(token)` once its turn comes; on 401 fetches one new token and
    /// sends once more; after a 429 waits out the pause and sends again. `iccid` names the
    /// SIM the per-ICCID limit counts against.
    pub async fn call(
        &self,
        iccid: Option<&str>,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        self.send(iccid, Purpose::Read, build).await
    }

    /// A purchase: ahead of the reads in the queue, sent at most once (a 429 is returned).
    pub async fn buy(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        self.send(None, Purpose::Purchase, build).await
    }

    async fn send(
        &self,
        iccid: Option<&str>,
        purpose: Purpose,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        let gate = || self.pace(iccid, purpose);
        let fetch = || self.fetch_token();
        let once = || self.token.send_json(&self.http, fetch, gate, &build);
        let throttle = &self.limits.throttle;
        throttle
            .send(&self.http, purpose, &self.seen_429, once)
            .await
    }

    /// Waits for the ICCID's and the company's slots; nothing is sent past a limit.
    async fn pace(&self, iccid: Option<&str>, purpose: Purpose) -> Result<(), CarrierError> {
        let limited = |w| self.http.rate_limited(Some(w));
        if let Some(iccid) = iccid {
            self.limits
                .iccid
                .take(iccid, purpose.max_wait())
                .await
                .map_err(limited)?;
        }
        self.limits.company.take(purpose).await.map_err(limited)
    }

    /// `POST /token` with the client credentials as a form.
    async fn fetch_token(&self) -> Result<(Secret, Duration), CarrierError> {
        self.limits
            .token
            .take_within(Duration::ZERO, false)
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
        if reply.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            self.seen_429.fetch_add(1, Ordering::Relaxed);
            let throttle = &self.limits.throttle;
            throttle.saw_429(tokio::time::Instant::now(), reply.retry_after());
        }
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
