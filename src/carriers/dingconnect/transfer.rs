//! A `SendTransfer` reply judged, and a transfer found again by its `DistributorRef`.

use super::wire::{self, State, TransferList, TransferReply};
use super::{Ding, distributor_ref};
use crate::carriers::http::{Http, Reply, scrub};
use crate::carriers::{CarrierError, Lookup, Order, Purchase, Submitted, airtime};
use crate::config::Line;
use reqwest::Method;

impl Ding {
    /// Judges a `SendTransfer` reply; a duplicate reference sends it to `find`.
    pub(super) async fn judge(
        &self,
        line: &Line,
        order: &Order,
        reply: &Reply,
    ) -> Result<Submitted, CarrierError> {
        let parsed: Option<TransferReply> = serde_json::from_slice(&reply.body).ok();
        let dup = parsed.as_ref().is_some_and(|p| {
            p.error_codes
                .iter()
                .any(|c| c.code == "DuplicateTransactionPrevented")
        });
        if dup {
            tracing::warn!(line = %line.id, carrier = self.name(), "Ding says the DistributorRef was used; looking it up");
            let found = self.find(line, order).await?;
            return airtime::earlier_attempt(found, self.name(), "DuplicateTransactionPrevented");
        }
        outcome(&self.http, reply)
    }

    /// `ListTransferRecords {DistributorRef, Take: 10}`; a completed record wins.
    pub(super) async fn find(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        let reference = distributor_ref(&order.reference);
        let body =
            serde_json::json!({ "DistributorRef": reference, "Skip": 0, "Take": 10 }).to_string();
        let reply = self
            .call(
                Method::POST,
                "ListTransferRecords",
                &[],
                Some(body),
                Some(&reference),
            )
            .await?;
        let list: TransferList = self.decode(&reply, "ListTransferRecords reply")?;
        let recs: Vec<_> = list
            .items
            .into_iter()
            .filter_map(|i| i.transfer_record)
            // Only a record carrying our DistributorRef speaks for this top-up.
            .filter(|r| r.transfer_id.distributor_ref.as_deref() == Some(reference.as_str()))
            .collect();
        let done: Vec<_> = recs.iter().filter(|r| r.state() == State::Done).collect();
        if done.len() > 1 {
            tracing::warn!(line = %line.id, carrier = self.name(), count = done.len(), "Ding holds several completed transfers under one DistributorRef");
        }
        if let Some(r) = done.first() {
            return Ok(Lookup::Confirmed(purchase(r)));
        }
        if let Some(r) = recs
            .iter()
            .find(|r| matches!(r.state(), State::Open | State::Other))
        {
            return Ok(Lookup::Pending {
                provider_ref: r.transfer_id.transfer_ref.clone(),
            });
        }
        Ok(match recs.first() {
            Some(r) => Lookup::Failed {
                reason: format!(
                    "Ding transfer {} ended {}: {}",
                    r.transfer_id.transfer_ref.as_deref().unwrap_or("?"),
                    r.processing_state,
                    r.detail()
                ),
            },
            None => Lookup::NotFound,
        })
    }
}

/// A `SendTransfer` reply (not a duplicate) judged: confirmed only by a completed record
/// carrying Ding's `TransferRef`.
pub(crate) fn outcome(http: &Http, reply: &Reply) -> Result<Submitted, CarrierError> {
    let t: TransferReply = super::decode(http, reply, "SendTransfer reply")?;
    let Some(rec) = t.transfer_record else {
        return Err(http.malformed("SendTransfer succeeded without a TransferRecord"));
    };
    match rec.state() {
        State::Done
            if rec
                .transfer_id
                .transfer_ref
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty()) =>
        {
            Ok(Submitted::Confirmed(purchase(&rec)))
        }
        State::Done => Err(http.malformed("a completed transfer without a TransferRef")),
        State::Open => Ok(Submitted::Pending {
            provider_ref: rec.transfer_id.transfer_ref,
        }),
        State::Failed => Err(CarrierError::Refused {
            carrier: http.carrier().to_string(),
            code: scrub::clean(&rec.processing_state),
            message: scrub::clean(&rec.detail()),
            retryable: true,
        }),
        State::Other => Err(http.malformed(format!(
            "unknown ProcessingState {:?}",
            scrub::clean(&rec.processing_state)
        ))),
    }
}

fn purchase(rec: &wire::TransferRecord) -> Purchase {
    Purchase {
        provider_ref: rec.transfer_id.transfer_ref.clone(),
        charged: rec.charged(),
        detail: Some(rec.detail()),
    }
}
