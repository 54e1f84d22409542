//! 1NCE's authenticated transport: a Basic-auth token (1 h, cached, refreshed on 401) and
//! the client-side rate limits (10/s on `/sims` or the account's `max_requests_per_second`,
//! 100 per 5 min on `/orders`), queued fairly and paused by a 429.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, Url};
use serde::Deserialize;
use serde_json::json;

use super::errors::token_error;
use crate::carriers::CarrierError;
use crate::carriers::http::{
    Http, Limiter, Purpose, Reply, Throttle, TokenCache, endpoint, padded,
};
use crate::config::Secret;

/// The documented limit on `/sims` (quota and top-up), per second and customer.
pub const DOCUMENTED_PER_SECOND: u32 = 10;

/// Which of 1NCE's limits a call counts against.
#[derive(Debug, Clone, Copy)]
pub enum Group {
    Sims,
    Orders,
}

/// What renewd needs to call 1NCE for one account.
pub struct Client {
    pub http: Http,
    /// API root, e.g. `https://api.1nce.com/management-api`.
    base: Url,
    username: String,
    password: Secret,
    token: TokenCache,
    /// The pause after a 429 and the count of 429s, shared by the limiters.
    pub throttle: Arc<Throttle>,
    /// 10 requests a second per customer on `/sims`, or the account's
    /// `max_requests_per_second`.
    sims_limit: Limiter,
    /// 100 requests per 5 minutes on `/orders`.
    orders_limit: Limiter,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: Option<u64>,
}

impl Client {
    /// `per_second`: the `/sims` limit (`DOCUMENTED_PER_SECOND` unless the account says
    /// otherwise). Every limit is kept 5 % under its figure (`padded`).
    pub fn new(http: Http, base: Url, username: String, password: Secret, per_second: u32) -> Self {
        let throttle = Throttle::new();
        let sims = padded(Duration::from_secs(1));
        Self {
            http,
            base,
            username,
            password,
            token: TokenCache::new(),
            sims_limit: Limiter::new(per_second as usize, sims, throttle.clone()),
            orders_limit: Limiter::new(100, padded(Duration::from_secs(300)), throttle.clone()),
            throttle,
        }
    }

    pub fn url(&self, segments: &[&str]) -> Url {
        endpoint(&self.base, segments)
    }

    /// A read: sends `build(...)` with the bearer token once its turn comes; on 401 fetches
    /// one new token and sends once more; after a 429 waits out the pause and sends again.
    pub async fn call(
        &self,
        group: Group,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        self.send(group, Purpose::Read, build).await
    }

    /// A purchase on `/sims`: ahead of the reads in the queue, sent at most once.
    pub async fn buy(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        self.send(Group::Sims, Purpose::Purchase, build).await
    }

    /// Sends `build(...)` as a request of `purpose` (see `call` and `buy`).
    pub async fn send(
        &self,
        group: Group,
        purpose: Purpose,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        let gate = || async move {
            let limit = match group {
                Group::Sims => &self.sims_limit,
                Group::Orders => &self.orders_limit,
            };
            let waited = limit.take(purpose).await;
            waited.map_err(|w| self.http.rate_limited(Some(w)))
        };
        let fetch = || self.fetch_token();
        let once = || self.token.send_json(&self.http, fetch, gate, &build);
        self.throttle.send(&self.http, purpose, once).await
    }

    /// `POST /oauth/token`: Basic auth, JSON body `{"grant_type": "client_credentials"}`.
    async fn fetch_token(&self) -> Result<(Secret, Duration), CarrierError> {
        let req = self
            .http
            .client()
            .post(self.url(&["oauth", "token"]))
            .basic_auth(&self.username, Some(self.password.expose()))
            .header(ACCEPT, "application/json")
            .json(&json!({ "grant_type": "client_credentials" }));
        let reply = self.http.send(req).await?;
        if reply.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            self.throttle
                .saw_429(tokio::time::Instant::now(), reply.retry_after());
        }
        if !reply.status.is_success() {
            return Err(token_error(&self.http, &reply));
        }
        let t: TokenReply = self.http.json(&reply, "token reply")?;
        Ok((
            Secret::new(t.access_token),
            Duration::from_secs(t.expires_in.unwrap_or(3600)),
        ))
    }
}
