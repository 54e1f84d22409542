//! Reloadly HTTP access: the OAuth client-credentials token (cached, refreshed before its
//! end and when Reloadly says it expired) and authenticated calls with Reloadly's versioned
//! `Accept` header.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::wire::{self, ApiError, TokenReply};
use crate::carriers::CarrierError;
use crate::carriers::http::{Http, Reply, TokenCache, endpoint};
use crate::config::secret::Secret;

/// Reloadly's versioned media type for the airtime API.
const ACCEPT: &str = "application/com.reloadly.topups-v1+json";
/// How long a token without `expires_in` is used before a new one is fetched anyway.
const TOKEN_DEFAULT: Duration = Duration::from_secs(24 * 3600);

/// One Reloadly account on one host.
pub struct Api {
    /// The client, bound to the carrier's config name.
    pub http: Http,
    /// Airtime API root.
    pub base: Url,
    /// Token endpoint root (`/oauth/token` is appended).
    pub auth_url: Url,
    /// The token's audience: the airtime host it is good for.
    pub audience: String,
    pub client_id: String,
    pub secret: Secret,
    pub token: TokenCache,
}

impl Api {
    /// `POST /oauth/token` with the client credentials and the audience.
    async fn fetch_token(&self) -> Result<(Secret, Duration), CarrierError> {
        let body = serde_json::json!({
            "client_id": self.client_id,
            "client_secret": self.secret.expose(),
            "grant_type": "client_credentials",
            "audience": self.audience,
        });
        let url = endpoint(&self.auth_url, &["oauth", "token"]);
        let reply = self
            .http
            .send(self.http.client().post(url).json(&body))
            .await?;
        if !reply.is_success() {
            return Err(wire::classify(self.http.carrier(), &reply));
        }
        let t: TokenReply = self.http.json(&reply, "token reply")?;
        let life = t
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(TOKEN_DEFAULT);
        Ok((Secret::new(t.access_token), life))
    }

    /// Sends one call; on a 401 saying the token expired, fetches a new token and sends it
    /// once more (a refused token means the first call did nothing).
    pub async fn call(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Reply, CarrierError> {
        let url = endpoint(&self.base, path);
        let build = |c: &reqwest::Client, token: &Secret| {
            let req = c
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose())
                .header("Accept", ACCEPT)
                .query(query);
            match body {
                Some(b) => req
                    .header("Content-Type", "application/json")
                    .body(b.to_string()),
                None => req,
            }
        };
        let expired = |r: &Reply| {
            r.status == StatusCode::UNAUTHORIZED
                && matches!(ApiError::of(r).code(), "TOKEN_EXPIRED" | "INVALID_TOKEN")
        };
        self.token
            .send(&self.http, || self.fetch_token(), build, expired)
            .await
    }

    /// A GET whose 2xx body is decoded as `T`; anything else is classified.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, CarrierError> {
        let reply = self.call(Method::GET, path, query, None).await?;
        if !reply.is_success() {
            return Err(wire::classify(self.http.carrier(), &reply));
        }
        self.http.json(&reply, what)
    }
}
