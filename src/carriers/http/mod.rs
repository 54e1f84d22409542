//! Shared HTTP plumbing for the carrier adapters: one reqwest client with timeouts and no
//! redirects, replies read whole up to `MAX_BODY`, transport errors sorted into "nothing
//! sent" and "no answer", `Retry-After`; submodules: the shared config keys, URLs and
//! exact-decimal bodies, a token cache, fair rate limiters (`limit`, over `slots`) and the
//! pause a 429 puts on all of a carrier's limiters (`throttle`), and the scrubber every
//! provider text passes before it reaches any output. Reply bodies never go into an error.
//!
//! Generic on purpose: nothing here knows a provider's paths or error shapes.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::CarrierError;

mod accounts;
pub mod build;
pub mod limit;
pub mod scrub;
pub mod settings;
mod slots;
pub mod throttle;
pub mod token;

pub use accounts::Accounts;
pub use build::{endpoint, json_with_decimal};
pub use limit::{KeyedLimiter, Limiter, padded};
pub use settings::{Common, base_url, check_per_second, iccid, per_second_or, timeout, url_key};
pub use throttle::{Purpose, Throttle};
pub use token::TokenCache;

/// Default time to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole request, reply included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest reply body read; a longer one is an error (an unknown outcome for a purchase).
pub const MAX_BODY: usize = 1 << 20;

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
    /// What an error may say about a reply whose fields did not explain it: its status and
    /// size, never its body (it may echo credentials or carry a token).
    pub fn describe(&self) -> String {
        format!(
            "HTTP {}, {} bytes of body not shown",
            self.status.as_u16(),
            self.body.len()
        )
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
            .redirect(reqwest::redirect::Policy::none())
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

    /// Sends a request and reads the whole reply. Any 1xx/2xx/4xx/5xx status is a `Reply`;
    /// transport failures are errors: `NotSent` when no connection was made, `NoAnswer`
    /// when the request may have reached the provider. A redirect is never followed (it
    /// would carry the credentials elsewhere) and, like a body over `MAX_BODY`, is
    /// `Malformed`: the request left, so for a purchase the outcome is unknown.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Reply, CarrierError> {
        let mut resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(self.malformed(format!(
                "HTTP {} redirect, not followed; check base_url",
                status.as_u16()
            )));
        }
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(self.malformed(format!(
                    "HTTP {}: reply body larger than {} bytes, not read",
                    status.as_u16(),
                    MAX_BODY
                )));
            }
            body.extend_from_slice(&chunk);
        }
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
                "{what} is not in the documented shape ({}, at line {} column {}; {})",
                e.classify_kind(),
                e.line(),
                e.column(),
                reply.describe()
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

    /// A 5xx reply as an error (the body is not shown; `server_said` adds documented fields).
    pub fn server(&self, reply: &Reply) -> CarrierError {
        self.server_said(reply, None)
    }

    /// A 5xx reply as an error, with the provider's documented code/message when it gave one.
    pub fn server_said(&self, reply: &Reply, said: Option<String>) -> CarrierError {
        CarrierError::Server {
            carrier: self.carrier.clone(),
            status: reply.status.as_u16(),
            detail: match said {
                Some(s) => scrub::clean(&s),
                None => reply.describe(),
            },
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

/// The kind of a JSON parse error, without the text it quotes.
trait Kind {
    fn classify_kind(&self) -> &'static str;
}

impl Kind for serde_json::Error {
    fn classify_kind(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "fields missing or of the wrong type",
            serde_json::error::Category::Eof => "truncated",
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
