//! Bits shared by the fake carrier servers: serving a router on 127.0.0.1:0, canned
//! replies, a server-side rate limit and the log of what it let through, and a line to
//! check.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use renewd::config::{Line, Policy, TopUpChoice};
use renewd::schedule::Schedule;

/// A reply a test queues for one route: status, JSON (or any) body, extra headers.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Canned {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

impl IntoResponse for Canned {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        for (k, v) in &self.headers {
            headers.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        (
            StatusCode::from_u16(self.status).expect("status"),
            headers,
            self.body,
        )
            .into_response()
    }
}

/// Serves `router` on a fresh loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{addr}")
}

/// A server-side limit as a provider enforces it: at most `max` requests accepted in any
/// `window` (a sliding log of arrivals; a refused request does not count).
#[derive(Debug, Clone)]
pub struct Window {
    pub max: usize,
    pub window: Duration,
    accepted: VecDeque<Instant>,
}

// Only the tests and the benchmark that enforce a limit build one.
#[allow(dead_code)]
impl Window {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            accepted: VecDeque::new(),
        }
    }

    /// Accepts a request arriving at `now`, or says how long until one would be accepted.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        while self
            .accepted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.accepted.pop_front();
        }
        if self.accepted.len() < self.max {
            self.accepted.push_back(now);
            return Ok(());
        }
        let oldest = self.accepted.front().copied().unwrap_or(now);
        Err(self.window.saturating_sub(now.duration_since(oldest)))
    }
}

/// One request a server saw: when it arrived and the status of its reply.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub at: Instant,
    pub status: u16,
}

/// Whole seconds, rounded up, at least 1: a `Retry-After` value.
pub fn retry_secs(wait: Duration) -> String {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
        .to_string()
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

/// Standard base64 (for checking a Basic auth header).
pub fn base64(input: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A line on carrier `carrier` with this ICCID, buying `topup`.
pub fn line(carrier: &str, iccid: &str, topup: TopUpChoice) -> Line {
    Line {
        id: "travel".into(),
        name: "Travel eSIM".into(),
        carrier: carrier.into(),
        number: None,
        iccid: Some(iccid.into()),
        schedule: Schedule::parse("every 6h").expect("schedule"),
        operator_id: None,
        sku_code: None,
        status_from: None,
        renews_on: None,
        policy: Policy {
            balance_below: None,
            data_below: Some("500 MB".parse().expect("size")),
            expires_within: None,
            runs_out_within: None,
            topup,
            monthly_cap: None,
            plan_days: None,
        }
        .into(),
    }
}

#[test]
fn base64_matches_known_values() {
    assert_eq!(base64("user:pass"), "dXNlcjpwYXNz");
    assert_eq!(base64("ab"), "YWI=");
    assert_eq!(base64("a"), "YQ==");
}
