//! A cached bearer token: fetched once, shared, refreshed before it runs out or when the
//! provider rejects it; and the send that retries once with a new token after a rejection.

use std::future::Future;
use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{Http, Reply};
use crate::carriers::CarrierError;
use crate::config::Secret;

/// Longest margin by which a token is refreshed before its end.
const MAX_MARGIN: Duration = Duration::from_secs(300);

/// One provider token, behind a lock so concurrent callers wait for a single fetch.
#[derive(Default)]
pub struct TokenCache {
    slot: Mutex<Option<Cached>>,
}

struct Cached {
    token: Secret,
    /// When to fetch a new one: the token's end minus a margin.
    refresh_at: Instant,
}

impl TokenCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached token, or a new one from `fetch`, which returns the token and how long
    /// it may be used. It is refreshed a tenth of that (at most 5 min) before the end.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Secret, CarrierError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Secret, Duration), CarrierError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let (token, lifetime) = fetch().await?;
        super::scrub::register(token.expose());
        let margin = (lifetime / 10).min(MAX_MARGIN);
        *slot = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime - margin,
        });
        Ok(token)
    }

    /// Drops `token` if it is still the cached one (the provider rejected it).
    pub async fn forget(&self, token: &Secret) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| &c.token == token) {
            *slot = None;
        }
    }
}

impl TokenCache {
    /// Sends `build(client, token)` with the cached token; when `rejected` says the provider
    /// refused the token, drops it and sends once more with a new one. A failure to get a
    /// token means the real request was not sent (see `CarrierError::before_purchase`).
    pub async fn send<F, Fut>(
        &self,
        http: &Http,
        fetch: F,
        build: impl Fn(&reqwest::Client, &Secret) -> RequestBuilder,
        rejected: impl Fn(&Reply) -> bool,
    ) -> Result<Reply, CarrierError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<(Secret, Duration), CarrierError>>,
    {
        let open = || std::future::ready(Ok(()));
        self.send_gated(http, fetch, open, build, rejected).await
    }

    /// `send`, passing `gate` (e.g. a rate limiter) right before each request leaves, once
    /// the token is in hand: the time a limiter grants is the time the request is sent.
    pub async fn send_gated<F, Fut, G, GFut>(
        &self,
        http: &Http,
        fetch: F,
        gate: G,
        build: impl Fn(&reqwest::Client, &Secret) -> RequestBuilder,
        rejected: impl Fn(&Reply) -> bool,
    ) -> Result<Reply, CarrierError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<(Secret, Duration), CarrierError>>,
        G: Fn() -> GFut,
        GFut: Future<Output = Result<(), CarrierError>>,
    {
        let mut retried = false;
        loop {
            let token = self
                .get(&fetch)
                .await
                .map_err(CarrierError::before_purchase)?;
            gate().await?;
            let reply = http.send(build(http.client(), &token)).await?;
            if retried || !rejected(&reply) {
                return Ok(reply);
            }
            tracing::info!(
                carrier = http.carrier(),
                "the provider rejected the cached token; fetching a new one"
            );
            self.forget(&token).await;
            retried = true;
        }
    }

    /// `send_gated` with the common rules: the token as `Bearer`, `Accept:
    /// application/json`, and a 401 reply meaning the token was rejected.
    pub async fn send_json<F, Fut, G, GFut>(
        &self,
        http: &Http,
        fetch: F,
        gate: G,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, CarrierError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<(Secret, Duration), CarrierError>>,
        G: Fn() -> GFut,
        GFut: Future<Output = Result<(), CarrierError>>,
    {
        let build = |c: &reqwest::Client, token: &Secret| {
            build(c)
                .bearer_auth(token.expose())
                .header(ACCEPT, "application/json")
        };
        let rejected = |r: &Reply| r.status == StatusCode::UNAUTHORIZED;
        self.send_gated(http, fetch, gate, build, rejected).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn fetch(n: &AtomicU32, life: Duration) -> Result<(Secret, Duration), CarrierError> {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Ok((Secret::new(format!("t{i}")), life))
    }

    #[tokio::test(start_paused = true)]
    async fn cached_until_the_margin_then_refreshed() {
        let (cache, n) = (TokenCache::new(), AtomicU32::new(0));
        let hour = Duration::from_secs(3600);
        assert_eq!(cache.get(|| fetch(&n, hour)).await.unwrap().expose(), "t0");
        tokio::time::advance(Duration::from_secs(3600 - 301)).await;
        assert_eq!(cache.get(|| fetch(&n, hour)).await.unwrap().expose(), "t0");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            cache.get(|| fetch(&n, hour)).await.unwrap().expose(),
            "t1",
            "5 min before the end"
        );
    }

    #[tokio::test]
    async fn forget_only_drops_the_rejected_token() {
        let (cache, n) = (TokenCache::new(), AtomicU32::new(0));
        let day = Duration::from_secs(86400);
        let t0 = cache.get(|| fetch(&n, day)).await.unwrap();
        cache.forget(&Secret::new("other")).await;
        assert_eq!(cache.get(|| fetch(&n, day)).await.unwrap(), t0);
        cache.forget(&t0).await;
        assert_eq!(cache.get(|| fetch(&n, day)).await.unwrap().expose(), "t1");
    }
}
