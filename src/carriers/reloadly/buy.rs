//! The Reloadly purchase and its reconciliation, as carrier-apis.md section 3 prescribes:
//! async top-up with `customIdentifier`, `CUSTOM_IDENTIFIER_ALREADY_USED` means "look it up",
//! lookups by transaction id or by `customIdentifier`, back-offs per number.

use std::time::Duration;

use chrono::Duration as Span;
use reqwest::Method;

use super::Reloadly;
use super::wire::{self, ApiError, AsyncReply, Report};
use crate::carriers::Purchase;
use crate::carriers::{CarrierError, Lookup, Order, Submitted};
use crate::carriers::{airtime, http};
use crate::config::Line;

/// Reloadly: after a FAILED transaction, wait this long before re-initiating.
pub const FAILED_BACKOFF: Duration = Duration::from_secs(30 * 60);

impl Reloadly {
    /// Checks operator, amount and funds, then sends the purchase once.
    pub(super) async fn buy(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        let digits = self.digits(line)?;
        self.held(&digits)?;
        let op = self
            .operator(line)
            .await
            .map_err(CarrierError::before_purchase)?;
        let local = self.check_offer(line, &op, order.offer.amount)?;
        self.check_funds(order.offer.amount)
            .await
            .map_err(CarrierError::before_purchase)?;
        let Some(operator_id) = op.id() else {
            return Err(CarrierError::NotSent {
                carrier: self.name().to_string(),
                detail: "the operator reply has no id".into(),
            });
        };
        let mut body = serde_json::Map::new();
        body.insert("operatorId".into(), operator_id.into());
        body.insert("useLocalAmount".into(), local.into());
        body.insert("customIdentifier".into(), order.reference.clone().into());
        body.insert(
            "recipientPhone".into(),
            serde_json::json!({ "countryCode": self.country, "number": digits }),
        );
        let body = http::json_with_decimal(body, "amount", &order.offer.amount.major_string());
        let reply = self
            .api
            .call(Method::POST, &["topups-async"], &[], Some(&body))
            .await?;
        if reply.is_success() {
            let accepted: AsyncReply = self.api.http.json(&reply, "async top-up reply")?;
            tracing::info!(line = %line.id, carrier = self.name(), transaction = accepted.transaction_id, "Reloadly accepted the top-up");
            return self.first_status(&digits, accepted.transaction_id).await;
        }
        match ApiError::of(&reply).code() {
            "CUSTOM_IDENTIFIER_ALREADY_USED" => self.already_used(line, order).await,
            "PHONE_RECENTLY_RECHARGED" => {
                self.hold(&digits, wire::RECHARGE_GAP);
                Err(wire::classify(self.name(), &reply))
            }
            _ => Err(wire::classify(self.name(), &reply)),
        }
    }

    /// One status read right after acceptance. A failure to read it leaves the purchase
    /// pending with its transaction id, for `lookup` to settle.
    async fn first_status(&self, digits: &str, id: i64) -> Result<Submitted, CarrierError> {
        let pending = Submitted::Pending {
            provider_ref: Some(id.to_string()),
        };
        let reply = match self
            .api
            .call(
                Method::GET,
                &["topups", &id.to_string(), "status"],
                &[],
                None,
            )
            .await
        {
            Ok(r) if r.is_success() => r,
            _ => return Ok(pending),
        };
        let Ok(t) = wire::parse_status(&self.api.http, &reply) else {
            return Ok(pending);
        };
        match judge(self, digits, &t) {
            Lookup::Confirmed(p) => Ok(Submitted::Confirmed(p)),
            Lookup::Failed { reason } => Err(CarrierError::Refused {
                carrier: self.name().to_string(),
                code: t.status.unwrap_or_default(),
                message: reason,
                retryable: true,
            }),
            _ => Ok(pending),
        }
    }

    /// The reference was used before: the earlier attempt exists, so look it up.
    async fn already_used(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        tracing::info!(line = %line.id, carrier = self.name(), reference = %order.reference, "customIdentifier already used; looking the earlier attempt up");
        let found = self.find(line, order).await?;
        airtime::earlier_attempt(found, self.name(), "CUSTOM_IDENTIFIER_ALREADY_USED")
    }

    /// Looks the purchase up: by transaction id when known, else by `customIdentifier`.
    pub(super) async fn find(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        let digits = self.digits(line)?;
        if let Some(id) = order
            .provider_ref
            .as_deref()
            .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        {
            let reply = self
                .api
                .call(Method::GET, &["topups", id, "status"], &[], None)
                .await?;
            if reply.is_success() {
                return Ok(judge(
                    self,
                    &digits,
                    &wire::parse_status(&self.api.http, &reply)?,
                ));
            }
            if reply.status != reqwest::StatusCode::NOT_FOUND {
                return Err(wire::classify(self.name(), &reply));
            }
        }
        let since = (order.created_at - Span::days(1))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let query = [
            ("customIdentifier", order.reference.clone()),
            ("startDate", since),
            ("size", "50".to_string()),
        ];
        let report: Report = self
            .api
            .get(
                &["topups", "reports", "transactions"],
                &query,
                "transaction report",
            )
            .await?;
        // Only a row carrying our customIdentifier speaks for this top-up.
        let found = report
            .content
            .iter()
            .find(|t| t.custom_identifier.as_deref() == Some(order.reference.as_str()));
        Ok(match found {
            Some(t) => judge(self, &digits, t),
            None => Lookup::NotFound,
        })
    }
}

/// A transaction as a lookup answer; `FAILED` also starts the 30-minute back-off.
fn judge(r: &Reloadly, digits: &str, t: &wire::Transaction) -> Lookup {
    let id = Some(t.transaction_id.to_string());
    match t.status.as_deref() {
        Some("SUCCESSFUL") => Lookup::Confirmed(Purchase {
            provider_ref: id,
            charged: t.charged(),
            detail: Some(t.detail()),
        }),
        Some("FAILED") => {
            r.hold(digits, FAILED_BACKOFF);
            Lookup::Failed {
                reason: format!(
                    "Reloadly transaction {} FAILED at the operator; nothing was charged; Reloadly asks to wait 30 minutes before a new attempt",
                    t.transaction_id
                ),
            }
        }
        Some("REFUNDED") => Lookup::Failed {
            reason: format!(
                "Reloadly transaction {} was REFUNDED: the operator did not complete it",
                t.transaction_id
            ),
        },
        _ => Lookup::Pending { provider_ref: id },
    }
}
