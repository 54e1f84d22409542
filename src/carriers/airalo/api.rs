//! Airalo's reply bodies, as documented, and their translation into renewd's records.
//! Numbers are checked here: data in whole MB, prices in USD (see `Package::cost`).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::carriers::Purchase;
use crate::model::{LineState, Observation, Offer};
use crate::money::{Currency, DataSize, Money};

/// Every Airalo success reply wraps its payload in `data`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    pub data: T,
}

/// `GET /sims/{iccid}/usage`.
#[derive(Debug, Deserialize)]
pub struct Usage {
    /// MB left, a whole number; 0 and meaningless on unlimited packages.
    pub remaining: Option<i64>,
    pub total: Option<i64>,
    /// `"YYYY-MM-DD HH:MM:SS"`, no zone (taken as UTC); null once recycled.
    pub expired_at: Option<String>,
    pub is_unlimited: Option<bool>,
    pub status: Option<String>,
}

/// One entry of `GET /sims/{iccid}/topups` (and `package` in the package history).
#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub id: String,
    /// Retail price in USD.
    pub price: Option<f64>,
    /// What the partner pays, in USD; null under the "discount_pricing" model.
    pub net_price: Option<f64>,
    /// MB, a whole number.
    pub amount: Option<i64>,
    /// Validity in days.
    pub day: Option<i64>,
    pub is_unlimited: Option<bool>,
    pub title: Option<String>,
    pub data: Option<String>,
}

/// `POST /orders/topups` reply, and one item of `GET /orders`.
#[derive(Debug, Deserialize)]
pub struct OrderReply {
    pub code: String,
    pub currency: Option<String>,
    pub price: Option<f64>,
    pub net_price: Option<f64>,
    pub package: Option<String>,
    pub data: Option<String>,
    pub validity: Option<i64>,
    pub description: Option<String>,
    /// Present in the orders list with `include=status`.
    pub status: Option<OrderStatus>,
}

#[derive(Debug, Deserialize)]
pub struct OrderStatus {
    pub slug: Option<String>,
    pub name: Option<String>,
}

/// One entry of `GET /sims/{iccid}/packages`.
#[derive(Debug, Deserialize)]
pub struct HistoryEntry {
    /// ISO 8601 with an offset; null until the package starts.
    pub activated_at: Option<String>,
    pub package: Package,
}

fn usd() -> Currency {
    Currency::new("USD").expect("USD is a currency code")
}

/// `"2025-04-01 00:00:00"` (no zone: UTC assumed) or ISO 8601 with an offset.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
        .map(|n| n.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(s.trim()).map(|t| t.with_timezone(&Utc)))
        .map_err(|_| format!("{s:?} is not a time like \"2025-04-01 00:00:00\""))
}

impl Usage {
    /// The reading as an `Observation`; `Err` when a figure is not what the docs promise.
    pub fn observation(self, now: DateTime<Utc>) -> Result<Observation, String> {
        let status = self.status.unwrap_or_else(|| "UNKNOWN".into());
        let state = match status.as_str() {
            "ACTIVE" => LineState::Active,
            "NOT_ACTIVE" => LineState::NotActive,
            "FINISHED" | "EXPIRED" => LineState::Expired,
            "RECYCLED" => LineState::Dead,
            _ => LineState::Unknown,
        };
        let unlimited = self.is_unlimited.unwrap_or(false);
        for (name, v) in [("remaining", self.remaining), ("total", self.total)] {
            if v.is_some_and(|v| v < 0) {
                return Err(format!(
                    "{name} is {}, but Airalo reports MB left as a whole number >= 0",
                    v.unwrap_or_default()
                ));
            }
        }
        let data = match (state, unlimited, self.remaining) {
            (LineState::Dead, _, _) | (_, true, _) => None,
            (_, false, Some(mb)) => Some(DataSize::from_mb(mb)),
            (_, false, None) => return Err("no remaining figure for a limited package".into()),
        };
        let expires_at = self
            .expired_at
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| format!("expired_at: {e}"))?;
        let note = match state {
            LineState::Active => None,
            LineState::Dead => Some(format!(
                "Airalo reports the eSIM as {status}: it can never be topped up; buy a new eSIM"
            )),
            _ => Some(format!("Airalo reports the eSIM as {status}")),
        };
        Ok(Observation {
            data,
            unlimited,
            expires_at,
            state,
            note,
            ..Observation::empty(now)
        })
    }
}

impl Package {
    /// What buying it costs the partner account: `net_price` (net pricing), else `price`
    /// (discount pricing, before the discount: an upper bound, safe for caps). Both in USD.
    pub fn cost(&self) -> Option<Money> {
        self.net_price
            .or(self.price)
            .filter(|p| *p >= 0.0)
            .and_then(|p| Money::from_major_f64(p, usd()))
    }

    /// As listed for the monthly digest (unlimited and unpriced packages are left out).
    pub fn listed(&self) -> Option<crate::model::Listed> {
        if self.is_unlimited.unwrap_or(false) {
            return None;
        }
        Some(crate::model::Listed {
            label: self.label(),
            price: self.cost()?,
            data: self.amount.map(DataSize::from_mb),
            days: self.day.and_then(|d| u32::try_from(d).ok()),
        })
    }

    /// Whether it gives at least `min` data (unlimited packages always do).
    pub fn gives(&self, min: DataSize) -> bool {
        self.is_unlimited.unwrap_or(false)
            || self.amount.is_some_and(|mb| DataSize::from_mb(mb) >= min)
    }

    /// `"3 GB - 30 Days"`, or built from the figures.
    pub fn label(&self) -> String {
        self.title.clone().unwrap_or_else(|| {
            let data = self.data.clone().unwrap_or_else(|| {
                self.amount
                    .map(|mb| DataSize::from_mb(mb).to_string())
                    .unwrap_or_default()
            });
            format!("{data} - {} Days", self.day.unwrap_or_default())
        })
    }

    /// `id (label, price)` for "what is offered" lists.
    pub fn summary(&self) -> String {
        let price = self
            .cost()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "no price".into());
        format!("{} ({}, {price})", self.id, self.label())
    }

    pub fn offer(&self) -> Result<Offer, String> {
        let amount = self
            .cost()
            .ok_or_else(|| format!("package {} has no price", self.id))?;
        Ok(Offer {
            amount,
            package: Some(self.id.clone()),
            label: Some(self.label()),
        })
    }
}

impl OrderReply {
    /// The receipt: order code, what was charged (`net_price`, else `price`), package and validity.
    pub fn purchase(&self) -> Purchase {
        let currency = self
            .currency
            .as_deref()
            .and_then(Currency::new)
            .unwrap_or_else(usd);
        let charged = self
            .net_price
            .or(self.price)
            .and_then(|p| Money::from_major_f64(p, currency));
        let mut words = vec![
            self.package
                .clone()
                .unwrap_or_else(|| "Airalo top-up".into()),
        ];
        words.extend(self.data.clone());
        words.extend(self.validity.map(|d| format!("valid {d} days")));
        Purchase {
            provider_ref: Some(self.code.clone()),
            charged,
            detail: Some(words.join(", ")),
        }
    }

    /// `completed` (or no status at all) counts as done; `failed`/`refunded` as failed.
    pub fn failed(&self) -> Option<String> {
        let status = self.status.as_ref()?;
        let slug = status.slug.clone().or(status.name.clone())?.to_lowercase();
        (slug == "failed" || slug == "refunded")
            .then(|| format!("Airalo order {} is {slug}", self.code))
    }
}
