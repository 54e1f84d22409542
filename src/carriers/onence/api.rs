//! 1NCE's reply bodies, as documented, and their translation into renewd's records.
//! Data is in MB as floats (may be negative); times are ISO 8601.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::carriers::{Lookup, Purchase};
use crate::model::{LineState, Observation};
use crate::money::{Currency, DataSize, Money};

/// `GET /v2/sims/{iccid}/quota/data`.
#[derive(Debug, Deserialize)]
pub struct Quota {
    pub status: Option<QuotaStatus>,
    /// MB left; can go negative.
    pub volume: f64,
    pub expiry_date: Option<String>,
    /// When the current quota started (a top-up starts a new one).
    pub created_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct QuotaStatus {
    /// `ACTIVE`, `EXHAUSTED` or `EXPIRED` (the numeric id is unreliable).
    pub description: Option<String>,
}

/// `GET /v1/orders/{n}` and one item of `GET /v1/orders`.
#[derive(Debug, Deserialize)]
pub struct OrderInfo {
    pub order_number: Value,
    pub order_type: Option<String>,
    pub order_date: Option<String>,
    pub order_status: Option<String>,
    pub invoice_amount: Option<Value>,
    pub currency: Option<String>,
    #[serde(default)]
    pub sims: Vec<SimRef>,
}

#[derive(Debug, Deserialize)]
pub struct SimRef {
    pub iccid: Option<String>,
}

pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .or_else(|_| DateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{s:?} is not an ISO 8601 time like \"2034-01-01T00:00:00.000Z\""))
}

impl Quota {
    pub fn observation(&self, now: DateTime<Utc>) -> Result<Observation, String> {
        let data = DataSize::from_mb_f64(self.volume)
            .ok_or_else(|| format!("volume {} is not a number of MB", self.volume))?;
        let expires_at = self
            .expiry_date
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| format!("expiry_date: {e}"))?;
        let status = self.status.as_ref().and_then(|s| s.description.clone());
        let state = match status.as_deref() {
            Some("ACTIVE") | None => LineState::Active,
            Some("EXHAUSTED") | Some("EXPIRED") => LineState::Expired,
            Some(_) => LineState::Unknown,
        };
        let note = status
            .filter(|s| s != "ACTIVE")
            .map(|s| format!("1NCE reports the data quota as {s}"));
        Ok(Observation {
            data: Some(data),
            expires_at,
            state,
            note,
            ..Observation::empty(now)
        })
    }

    /// The quota shows a top-up made after `since`: a new quota started then, or more
    /// data than `before` (usage only lowers it).
    pub fn shows_top_up(&self, since: DateTime<Utc>, before: Option<DataSize>) -> bool {
        let started = self
            .created_at
            .as_deref()
            .and_then(|t| parse_time(t).ok())
            .is_some_and(|t| t >= since);
        let rose = before
            .zip(DataSize::from_mb_f64(self.volume))
            .is_some_and(|(b, now)| now > b);
        started || rose
    }
}

/// The order number as text (1NCE sends a number; accept a string).
pub fn number_text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// The order number from a `Location` header such as `.../management-api/v1/orders/1234`.
pub fn order_number(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?.trim();
    (!last.is_empty() && last.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| last.to_string())
}

impl OrderInfo {
    pub fn number(&self) -> String {
        number_text(&self.order_number)
    }

    /// A top-up order for `iccid`.
    pub fn tops_up(&self, iccid: &str) -> bool {
        matches!(self.order_type.as_deref(), Some("TOPUP" | "BULK_TOPUP"))
            && self.sims.iter().any(|s| s.iccid.as_deref() == Some(iccid))
    }

    fn invoice(&self) -> Option<Money> {
        let currency = Currency::new(self.currency.as_deref()?)?;
        match self.invoice_amount.as_ref()? {
            Value::String(s) => s.trim().parse::<f64>().ok(),
            v => v.as_f64(),
        }
        .and_then(|a| Money::from_major_f64(a, currency))
    }

    /// The answer for order `number` (from our `Location` header): an order reading another
    /// number (or none) is not ours and settles nothing.
    pub fn lookup_for(&self, number: &str) -> Lookup {
        if self.number() != number {
            return Lookup::Pending {
                provider_ref: Some(number.to_string()),
            };
        }
        self.lookup()
    }

    /// `COMPLETED` is done; a failed or cancelled status failed; anything else is pending.
    /// An order without a number settles nothing.
    pub fn lookup(&self) -> Lookup {
        let status = self.order_status.clone().unwrap_or_default().to_uppercase();
        let number = self.number();
        if number.trim().is_empty() {
            return Lookup::Pending { provider_ref: None };
        }
        if status == "COMPLETED" {
            let detail = format!(
                "1NCE order {number} ({}) completed",
                self.order_type.as_deref().unwrap_or("TOPUP")
            );
            Lookup::Confirmed(Purchase {
                provider_ref: Some(number),
                charged: self.invoice(),
                detail: Some(detail),
            })
        } else if ["FAIL", "CANCEL", "REJECT"]
            .iter()
            .any(|w| status.contains(w))
        {
            Lookup::Failed {
                reason: format!("1NCE order {number} is {status}"),
            }
        } else {
            Lookup::Pending {
                provider_ref: Some(number),
            }
        }
    }
}
