//! The HTTP client every channel shares: no redirects followed, timeouts, reply bodies
//! read up to a bound, transport errors described without the URL (a Telegram URL holds
//! the bot token).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::ChannelError;

/// The most of a reply body that is read; the rest is dropped unread.
pub const MAX_BODY: usize = 64 * 1024;
/// How much of a body goes into an error message.
const SNIPPET: usize = 300;

/// A reply, its body cut at `MAX_BODY`.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text fit for an error message.
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(SNIPPET) {
            Some((i, _)) => format!("{}...", &text[..i]),
            None if text.is_empty() => "(empty body)".into(),
            None => text.to_string(),
        }
    }

    /// `Retry-After`, in seconds or as an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        crate::carriers::http::retry_after(&self.headers, chrono::Utc::now())
    }

    /// Where a 3xx points, for the hint.
    pub fn location(&self) -> String {
        self.headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(no Location)")
            .to_string()
    }
}

/// A client for one channel.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    /// The channel's name, put in every error.
    channel: String,
}

impl Http {
    pub fn new(channel: &str, timeout: Duration) -> Result<Self, ChannelError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            .user_agent(concat!("renewd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ChannelError::Refused {
                channel: channel.to_string(),
                detail: format!("cannot build the HTTP client: {}", describe(e)),
                hint: String::new(),
            })?;
        Ok(Self {
            client,
            channel: channel.to_string(),
        })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and reads the reply (body bounded). Transport failures are `Retry`.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Reply, ChannelError> {
        let mut resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
            let room = MAX_BODY - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_BODY {
                break;
            }
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn transport(&self, e: reqwest::Error) -> ChannelError {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "connection failed"
        };
        ChannelError::Retry {
            channel: self.channel.clone(),
            detail: format!("{what}: {}", describe(e)),
            after: None,
        }
    }
}

/// An error's text and its causes, without the URL.
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
