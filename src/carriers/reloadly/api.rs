//! Reloadly HTTP access: the OAuth client-credentials token (cached, refreshed on expiry)
//! and authenticated GET/POST calls with Reloadly's versioned `Accept` header.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::wire::{self, ApiError, TokenReply};
use crate::carriers::CarrierError;
use crate::carriers::net::{self, Reply};
use crate::config::secret::Secret;

/// Reloadly's versioned media type for the airtime API.
const ACCEPT: &str = "application/com.reloadly.topups-v1+json";

/// A token and when to stop using it.
struct Token {
    value: Secret,
    /// Refreshed a minute before this.
    until: Option<Instant>,
}

/// One Reloadly account on one host.
pub struct Api {
    /// The carrier's config name, for errors and logs.
    pub name: String,
    http: reqwest::Client,
    /// Airtime API root.
    base: String,
    /// Token endpoint root (`/oauth/token` is appended).
    auth_url: String,
    /// The token's audience: the airtime host it is good for.
    audience: String,
    client_id: String,
    secret: Secret,
    token: Mutex<Option<Token>>,
}

impl Api {
    pub fn new(
        name: &str,
        http: reqwest::Client,
        base: String,
        auth_url: String,
        client_id: String,
        secret: Secret,
    ) -> Self {
        Api {
            name: name.to_string(),
            http,
            audience: base.trim_end_matches('/').to_string(),
            base,
            auth_url,
            client_id,
            secret,
            token: Mutex::new(None),
        }
    }

    /// The cached token, or a new one when there is none, it is near expiry, or `fresh`.
    async fn token(&self, fresh: bool) -> Result<Secret, CarrierError> {
        let mut slot = self.token.lock().await;
        let usable = slot
            .as_ref()
            .filter(|t| !fresh && t.until.is_none_or(|u| Instant::now() < u));
        if let Some(t) = usable {
            return Ok(t.value.clone());
        }
        let body = serde_json::json!({
            "client_id": self.client_id,
            "client_secret": self.secret.expose(),
            "grant_type": "client_credentials",
            "audience": self.audience,
        });
        let req = self
            .http
            .post(net::join(&self.auth_url, "oauth/token"))
            .json(&body);
        let reply = net::send(&self.name, req).await?;
        if !(200..300).contains(&reply.status) {
            return Err(wire::classify(&self.name, &reply));
        }
        let t: TokenReply = reply.json(&self.name, "token reply")?;
        let until = t
            .expires_in
            .map(|s| Instant::now() + Duration::from_secs(s.saturating_sub(60)));
        let value = Secret::new(t.access_token);
        *slot = Some(Token {
            value: value.clone(),
            until,
        });
        Ok(value)
    }

    /// Sends one call; on a 401 saying the token expired, fetches a new token and sends it
    /// once more (a refused token means the first call did nothing).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Reply, CarrierError> {
        let mut fresh = false;
        loop {
            let token = self
                .token(fresh)
                .await
                .map_err(CarrierError::before_purchase)?;
            let mut req = self
                .http
                .request(method.clone(), net::join(&self.base, path))
                .bearer_auth(token.expose())
                .header("Accept", ACCEPT)
                .query(query);
            if let Some(b) = body {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.to_string());
            }
            let reply = net::send(&self.name, req).await?;
            let expired = reply.status == 401
                && matches!(
                    ApiError::of(&reply).code(),
                    "TOKEN_EXPIRED" | "INVALID_TOKEN"
                );
            if !expired || fresh {
                return Ok(reply);
            }
            fresh = true;
        }
    }

    /// A GET whose 2xx body is decoded as `T`; anything else is classified.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, CarrierError> {
        let reply = self.call(Method::GET, path, query, None).await?;
        if !(200..300).contains(&reply.status) {
            return Err(wire::classify(&self.name, &reply));
        }
        reply.json(&self.name, what)
    }
}
