//! Airalo's three error shapes (validation, business code, auth/not-found/rate-limit)
//! turned into `CarrierError`s, with the business codes classified as the reference says.
//!
//! The HTTP status is judged before any body code: a 5xx is a server error whatever the
//! body says (Airalo may have taken the order), and a business code renewd does not know
//! is an unknown outcome, never a refusal. Only documented fields, scrubbed, are shown.

use serde::Deserialize;
use serde_json::Value;

use crate::carriers::CarrierError;
use crate::carriers::http::{Http, Reply, scrub};

/// Every field any of the three shapes may carry.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    /// Business rule: `{"code": 11, "reason": "..."}`.
    code: Option<Value>,
    reason: Option<String>,
    /// Validation: `{"data": {"field": "message"}, "meta": {...}}`; `[]` for auth/404.
    data: Option<Value>,
    meta: Option<Meta>,
    /// Rate limit: `{"message": "Too Many Attempts."}`.
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    message: Option<String>,
}

/// Turns a non-2xx reply into the error it stands for.
pub fn classify(http: &Http, reply: &Reply) -> CarrierError {
    let status = reply.status.as_u16();
    let body: ErrorBody = serde_json::from_slice(&reply.body).unwrap_or_default();
    let code = body.code.as_ref().and_then(code_of);
    if status >= 500 {
        let said = code.map(|c| format!("code {c}: {}", body.reason.as_deref().unwrap_or("")));
        return http.server_said(reply, said);
    }
    if status == 429 {
        return http.rate_limited(reply.retry_after());
    }
    if let Some(code) = code {
        let reason = scrub::clean(body.reason.as_deref().unwrap_or("no reason given"));
        return business(http, code, &reason);
    }
    let airalo_shape = body.meta.is_some();
    let message = body
        .meta
        .and_then(|m| m.message)
        .or(body.message)
        .map(|m| scrub::clean(&m))
        .unwrap_or_else(|| reply.describe());
    let carrier = http.carrier().to_string();
    match status {
        401 => http.setup(format!("Airalo rejected renewd's access token ({message}); check client_id and client_secret")),
        403 => http.setup(format!("Airalo refused access (HTTP 403: {message}); check the partner account and its IP allow-list")),
        404 if airalo_shape => CarrierError::LineGone {
            carrier,
            code: "404".into(),
            message: format!("Airalo has no eSIM with this ICCID on this account ({message}); check the line's iccid"),
        },
        404 => http.setup(format!("HTTP 404 ({message}); check base_url, e.g. \"https://partners-api.airalo.com/v2\"")),
        400 | 422 => {
            let fields = body.data.as_ref().and_then(fields_of);
            let (code, message) = match fields {
                Some(f) => ("validation".to_string(), format!("{} ({message})", scrub::clean(&f))),
                None => (format!("HTTP {status}"), message),
            };
            CarrierError::Refused { carrier, code, message, retryable: false }
        }
        _ => http.malformed(format!("HTTP {status} is not one of Airalo's documented answers ({message})")),
    }
}

/// The documented message of an error reply (`meta.message`, `reason` or `message`), scrubbed.
pub fn message_of(reply: &Reply) -> Option<String> {
    let body: ErrorBody = serde_json::from_slice(&reply.body).ok()?;
    let m = body
        .meta
        .and_then(|m| m.message)
        .or(body.reason)
        .or(body.message)?;
    Some(scrub::clean(&m))
}

/// The business code as an integer (Airalo sends a number; accept a numeric string too).
fn code_of(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `field: message; field: message` from a validation error's `data` object.
fn fields_of(data: &Value) -> Option<String> {
    let map = data.as_object().filter(|m| !m.is_empty())?;
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}: {}",
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            )
        })
        .collect();
    Some(parts.join("; "))
}

/// The reference's business-code table.
fn business(http: &Http, code: i64, reason: &str) -> CarrierError {
    let carrier = http.carrier().to_string();
    let refused = |retryable: bool, hint: &str| CarrierError::Refused {
        carrier: carrier.clone(),
        code: code.to_string(),
        message: format!("{reason}: {hint}"),
        retryable,
    };
    match code {
        11 => refused(false, "insufficient Airalo credit; fund your Airalo account, then renewd buys at the next check"),
        13 => refused(true, "the operator is under maintenance; renewd retries later"),
        33 => refused(true, "not enough eSIM stock; renewd retries later"),
        // "Unexpected error" does not say the order was not taken: look it up.
        53 => http.malformed(format!(
            "code 53: {reason}: unexpected error at Airalo; the order may have been taken, renewd looks it up"
        )),
        14 | 43 => refused(false, "Airalo says renewd sent a bad request; this is a bug in renewd, please report it"),
        23 => refused(false, "the operator disabled this top-up; pick another package (topup_package)"),
        34 => refused(false, "the package is invalid or out of stock; pick another from the eSIM's top-up list"),
        73 => CarrierError::LineGone {
            carrier,
            code: "73".into(),
            message: format!("{reason}: the eSIM was recycled and can never be topped up; buy a new eSIM and update the line"),
        },
        89 => http.setup(format!("code 89: {reason}: this machine's IP address is not on the Airalo allow-list; add it in the partner platform")),
        _ => http.malformed(format!(
            "unknown Airalo error code {code} ({reason}); the order may have been taken, renewd looks it up"
        )),
    }
}
