//! 1NCE's authenticated transport: a Basic-auth token (1 h, cached, refreshed on 401) and
//! the client-side rate limits (10/s on `/sims`, 100 per 5 min on `/orders`).

use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, Url};
use serde::Deserialize;
use serde_json::json;

use super::errors::token_error;
use crate::carriers::CarrierError;
use crate::carriers::http::{Http, Limiter, Reply, TokenCache, endpoint};
use crate::config::Secret;

/// The longest renewd waits for the `/sims` limit before giving up for now.
const SIMS_WAIT: Duration = Duration::from_secs(2);

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
    /// 10 requests a second per customer on `/sims`.
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
    pub fn new(http: Http, base: Url, username: String, password: Secret) -> Self {
        Self {
            http,
            base,
            username,
            password,
            token: TokenCache::new(),
            sims_limit: Limiter::new(10, Duration::from_secs(1)),
            orders_limit: Limiter::new(100, Duration::from_secs(300)),
        }
    }

    pub fn url(&self, segments: &[&str]) -> Url {
        endpoint(&self.base, segments)
    }

    /// Sends `build(...)` with the bearer token; on 401 fetches one new token and sends once more.
    pub async fn call(
        &self,
        group: Group,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError> {
        let limited = match group {
            Group::Sims => self.sims_limit.take(SIMS_WAIT).await,
            Group::Orders => self.orders_limit.take(Duration::ZERO).await,
        };
        limited.map_err(|w| self.http.rate_limited(Some(w)))?;
        self.token
            .send_json(&self.http, || self.fetch_token(), build)
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
