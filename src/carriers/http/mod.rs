//! Shared HTTP plumbing for the carrier adapters: one reqwest client with timeouts, replies
//! read whole, transport errors sorted into "nothing sent" and "no answer", `Retry-After`;
//! submodules: the shared config keys, URLs and exact-decimal bodies, a token cache and
//! rate limiters.
//!
//! Generic on purpose: nothing here knows a provider's paths or error shapes.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::CarrierError;

pub mod build;
pub mod limit;
pub mod settings;
pub mod token;

pub use build::{endpoint, json_with_decimal};
pub use limit::{KeyedLimiter, Limiter};
pub use settings::{Common, base_url, iccid, timeout, url_key};
pub use token::TokenCache;

/// Default time to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole request, reply included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a reply body goes into an error message.
const SNIPPET: usize = 300;

/// A reqwest client bound to one carrier name (for error messages).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    /// The `[carriers.NAME]` name, put in every error.
    carrier: String,
}

/// A reply read in full: status, headers, body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text, cut to a length fit for an error message.
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(SNIPPET) {
            Some((i, _)) => format!("{}...", &text[..i]),
            None if text.is_empty() => "(empty body)".to_string(),
            None => text.to_string(),
        }
    }

    /// The `Retry-After` header, in seconds or as an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers, chrono::Utc::now())
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Http {
    /// A client with the given request timeout (connect timeout: the smaller of 10 s and it).
    pub fn new(carrier: &str, timeout: Duration) -> Result<Self, CarrierError> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .user_agent(concat!("renewd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CarrierError::Setup {
                carrier: carrier.to_string(),
                detail: format!("cannot build the HTTP client: {}", describe(e)),
            })?;
        Ok(Self {
            client,
            carrier: carrier.to_string(),
        })
    }

    pub fn carrier(&self) -> &str {
        &self.carrier
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and reads the whole reply. Any HTTP status is a `Reply`; only
    /// transport failures are errors: `NotSent` when no connection was made,
    /// `NoAnswer` when the request may have reached the provider.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Reply, CarrierError> {
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| self.transport(e))?.to_vec();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Sorts a reqwest error; the URL is dropped from the text. A request that could not
    /// be built never left, so it is a setup problem.
    fn transport(&self, e: reqwest::Error) -> CarrierError {
        let carrier = self.carrier.clone();
        if e.is_builder() {
            CarrierError::Setup {
                carrier,
                detail: format!("bad request URL or body: {}", describe(e)),
            }
        } else if e.is_connect() {
            CarrierError::NotSent {
                carrier,
                detail: describe(e),
            }
        } else if e.is_timeout() {
            CarrierError::NoAnswer {
                carrier,
                detail: format!("timed out: {}", describe(e)),
            }
        } else {
            CarrierError::NoAnswer {
                carrier,
                detail: describe(e),
            }
        }
    }

    /// Parses a JSON body, or says which reply was not in the documented shape.
    pub fn json<T: DeserializeOwned>(&self, reply: &Reply, what: &str) -> Result<T, CarrierError> {
        serde_json::from_slice(&reply.body).map_err(|e| {
            self.malformed(format!(
                "{what}: {e} (HTTP {}, body: {})",
                reply.status.as_u16(),
                reply.snippet()
            ))
        })
    }

    pub fn malformed(&self, detail: impl Into<String>) -> CarrierError {
        CarrierError::Malformed {
            carrier: self.carrier.clone(),
            detail: detail.into(),
        }
    }

    pub fn setup(&self, detail: impl Into<String>) -> CarrierError {
        CarrierError::Setup {
            carrier: self.carrier.clone(),
            detail: detail.into(),
        }
    }

    /// A 5xx reply as an error.
    pub fn server(&self, reply: &Reply) -> CarrierError {
        CarrierError::Server {
            carrier: self.carrier.clone(),
            status: reply.status.as_u16(),
            detail: reply.snippet(),
        }
    }

    /// A 429 reply as an error.
    pub fn rate_limited(&self, retry_after: Option<Duration>) -> CarrierError {
        CarrierError::RateLimited {
            carrier: self.carrier.clone(),
            retry_after,
        }
    }
}

/// A reqwest error and its causes, without the URL.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Retry-After` as a wait from `now`: delta seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
