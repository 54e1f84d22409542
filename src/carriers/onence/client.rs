//! 1NCE's authenticated transport: a Basic-auth token (1 h, cached, refreshed on 401) and
//! the client-side rate limits (10/s on `/sims` or the account's `max_requests_per_second`,
//! 100 per 5 min on `/orders`), queued fairly and paused by a 429.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, Url};
use serde::Deserialize;
use serde_json::json;

use super::errors::token_error;
use crate::carriers::CarrierError;
use crate::carriers::http::{
    Accounts, Http, Limiter, Purpose, Reply, Throttle, TokenCache, endpoint, padded,
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
    /// The account's limits, shared with every adapter on the same account.
    limits: Arc<Limits>,
    /// 429 replies to this adapter's requests, for `/metrics`.
    seen_429: AtomicU64,
}

/// One 1NCE account's limits and its pause after a 429.
struct Limits {
    throttle: Arc<Throttle>,
    /// 10 requests a second per customer on `/sims`, or the account's
    /// `max_requests_per_second`.
    sims: Limiter,
    /// 100 requests per 5 minutes on `/orders`.
    orders: Limiter,
}

impl Limits {
    /// Every limit is kept 5 % under its figure (`padded`).
    fn new(per_second: u32) -> Self {
        let throttle = Throttle::new();
        let second = padded(Duration::from_secs(1));
        let five_minutes = padded(Duration::from_secs(300));
        Self {
            sims: Limiter::new(per_second as usize, second, throttle.clone()),
            orders: Limiter::new(100, five_minutes, throttle.clone()),
            throttle,
        }
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: Option<u64>,
}

impl Client {
    /// `per_second`: the `/sims` limit (`DOCUMENTED_PER_SECOND` unless the account says
    /// otherwise). Adapters built with the same `accounts` for the same account (API root,
    /// user name and limit) share its limits.
    pub fn new(
        http: Http,
        base: Url,
        username: String,
        password: Secret,
        per_second: u32,
        accounts: &Accounts,
    ) -> Self {
        let key = format!("1nce {base} {username} {per_second}");
        Self {
            limits: accounts.shared(key, || Limits::new(per_second)),
            http,
            base,
            username,
            password,
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
                Group::Sims => &self.limits.sims,
                Group::Orders => &self.limits.orders,
            };
            let waited = limit.take(purpose).await;
            waited.map_err(|w| self.http.rate_limited(Some(w)))
        };
        let fetch = || self.fetch_token();
        let once = || self.token.send_json(&self.http, fetch, gate, &build);
        let throttle = &self.limits.throttle;
        throttle
            .send(&self.http, purpose, &self.seen_429, once)
            .await
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
            self.seen_429.fetch_add(1, Ordering::Relaxed);
            let throttle = &self.limits.throttle;
            throttle.saw_429(tokio::time::Instant::now(), reply.retry_after());
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
