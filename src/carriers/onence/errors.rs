//! 1NCE's error shapes (v1: bare status or `{"message"}`; v2: `{"error_code",
//! "error_token", "message"}`; token: `{"statusCode", "errorCode", "message"}`) turned
//! into `CarrierError`s.

use serde::Deserialize;
use serde_json::Value;

use crate::carriers::CarrierError;
use crate::carriers::http::{Http, Reply, scrub};

/// Every field any of the three shapes may carry.
#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
struct ErrorBody {
    message: Option<String>,
    error_code: Option<Value>,
    error_token: Option<String>,
    errorCode: Option<String>,
}

impl ErrorBody {
    fn parse(reply: &Reply) -> Self {
        serde_json::from_slice(&reply.body).unwrap_or_default()
    }

    /// The provider's code: `errorCode`, `error_token`/`error_code`, or the HTTP status.
    fn code(&self, status: u16) -> String {
        let v2 = self.error_token.as_ref().map(|t| match &self.error_code {
            Some(c) => format!("{t} {c}"),
            None => t.clone(),
        });
        self.errorCode
            .clone()
            .or(v2)
            .map(|c| scrub::clean(&c))
            .unwrap_or_else(|| format!("HTTP {status}"))
    }

    fn text(&self, reply: &Reply) -> String {
        self.message
            .as_deref()
            .map(scrub::clean)
            .unwrap_or_else(|| reply.describe())
    }
}

/// A non-2xx reply to a SIM call (quota, top-up) as an error.
pub fn classify(http: &Http, reply: &Reply) -> CarrierError {
    let status = reply.status.as_u16();
    let body = ErrorBody::parse(reply);
    let (code, message) = (body.code(status), body.text(reply));
    let carrier = http.carrier().to_string();
    match status {
        429 => http.rate_limited(reply.retry_after()),
        s if s >= 500 => http.server_said(reply, Some(format!("{code}: {message}"))),
        401 => http.setup(format!("1NCE rejected renewd's access token ({code}: {message}); check username and password")),
        403 => http.setup(format!("1NCE says this SIM does not belong to the account ({code}: {message}); check the line's iccid and the API user")),
        404 => CarrierError::LineGone { carrier, code, message: format!("1NCE has no SIM with this ICCID ({message}); check the line's iccid") },
        400 => CarrierError::Refused { carrier, code, message, retryable: false },
        422 => CarrierError::Refused { carrier, code, message: format!("{message}: the SIM has expired and only an extension is allowed; extend it in the 1NCE portal"), retryable: false },
        // Not one of the documented answers (409, 405, ...): the order may have been placed.
        s => http.malformed(format!("HTTP {s} is not one of 1NCE's documented answers ({code}: {message})")),
    }
}

/// A non-2xx reply to `POST /oauth/token` as an error.
pub fn token_error(http: &Http, reply: &Reply) -> CarrierError {
    let status = reply.status.as_u16();
    let body = ErrorBody::parse(reply);
    let (code, message) = (body.code(status), body.text(reply));
    match status {
        429 => http.rate_limited(reply.retry_after()),
        s if s >= 500 => http.server(reply),
        404 => http.setup(format!("HTTP 404 from the token endpoint; check base_url, e.g. \"{}\"", super::DEFAULT_BASE_URL)),
        _ if code == "BadCredentials" => http.setup(format!(
            "1NCE refused the API user ({code}: {message}); check username and password. An API user that has not logged in for a long time may need its password set again in the 1NCE portal"
        )),
        _ => http.setup(format!("1NCE refused the token request ({code}: {message}); check username and password")),
    }
}
