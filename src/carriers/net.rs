//! HTTP plumbing shared by the HTTP carrier adapters: one client with time limits, and the
//! mapping of transport failures onto `CarrierError` (did the request leave or not?).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::CarrierError;

/// Time allowed to open a connection; past it nothing was sent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A reply read in full: status, headers and body text.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// `Retry-After` of this reply, when it has one.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers, Utc::now())
    }

    /// Decodes the body as `T`; a body in another shape is `Malformed`.
    pub fn json<T: DeserializeOwned>(&self, carrier: &str, what: &str) -> Result<T, CarrierError> {
        serde_json::from_str(&self.body).map_err(|e| CarrierError::Malformed {
            carrier: carrier.to_string(),
            detail: format!(
                "{what}: {e} (HTTP {}, body {})",
                self.status,
                snippet(&self.body)
            ),
        })
    }
}

/// A client whose whole-request time limit is `timeout` (connect limit 10 s).
pub fn client(carrier: &str, timeout: Duration) -> Result<reqwest::Client, CarrierError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .user_agent(concat!("renewd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CarrierError::Setup {
            carrier: carrier.to_string(),
            detail: format!("cannot build an HTTP client: {e}"),
        })
}

/// Sends a request and reads the whole reply. A failure to connect is `NotSent`
/// (nothing happened); a timeout or a connection lost after sending is `NoAnswer`.
pub async fn send(carrier: &str, req: reqwest::RequestBuilder) -> Result<Reply, CarrierError> {
    let resp = req.send().await.map_err(|e| transport_error(carrier, &e))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .text()
        .await
        .map_err(|e| transport_error(carrier, &e))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Classifies a reqwest error: did the request possibly reach the provider?
pub fn transport_error(carrier: &str, e: &reqwest::Error) -> CarrierError {
    let carrier = carrier.to_string();
    let detail = error_chain(e);
    if e.is_builder() {
        CarrierError::Setup {
            carrier,
            detail: format!("bad request URL or body: {detail}"),
        }
    } else if e.is_connect() {
        CarrierError::NotSent { carrier, detail }
    } else if e.is_timeout() {
        CarrierError::NoAnswer {
            carrier,
            detail: format!("timed out: {detail}"),
        }
    } else {
        CarrierError::NoAnswer { carrier, detail }
    }
}

/// The error and its causes on one line (reqwest's own text is often just "error sending request").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// `Retry-After` as seconds or an HTTP date, relative to `now`.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The first 300 characters of a body, for error messages.
pub fn snippet(body: &str) -> String {
    let t: String = body.chars().take(300).collect();
    if t.len() < body.len() {
        format!("{t}...")
    } else {
        t
    }
}

/// Serialises `obj` with `key` set to the exact decimal `number` (e.g. `"10.00"` from minor
/// units), so amounts go on the wire as JSON numbers without passing through a float.
pub fn json_with_decimal(
    mut obj: serde_json::Map<String, serde_json::Value>,
    key: &str,
    number: &str,
) -> String {
    obj.remove(key);
    let rest = serde_json::Value::Object(obj).to_string();
    let sep = if rest == "{}" { "" } else { "," };
    let key = serde_json::Value::String(key.to_string());
    format!("{{{key}:{number}{sep}{}", &rest[1..])
}

/// Joins a base URL and a path with exactly one slash between them.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2025-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cases = [
            ("120", Some(120)),
            ("Sat, 01 Mar 2025 10:01:30 GMT", Some(90)),
            ("Sat, 01 Mar 2025 09:00:00 GMT", Some(0)),
            ("soon", None),
        ];
        for (v, want) in cases {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_static(v));
            assert_eq!(retry_after(&h, now), want.map(Duration::from_secs), "{v}");
        }
    }

    #[test]
    fn decimal_goes_out_exact() {
        let mut m = serde_json::Map::new();
        m.insert("SkuCode".into(), "X".into());
        let body = json_with_decimal(m, "SendValue", "10.10");
        assert_eq!(body, r#"{"SendValue":10.10,"SkuCode":"X"}"#);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["SkuCode"], "X");
        assert_eq!(
            json_with_decimal(serde_json::Map::new(), "a", "1.00"),
            r#"{"a":1.00}"#
        );
    }

    #[test]
    fn join_has_one_slash() {
        assert_eq!(
            join("http://h/api/V1/", "/SendTransfer"),
            "http://h/api/V1/SendTransfer"
        );
        assert_eq!(join("http://h", "topups"), "http://h/topups");
    }
}
