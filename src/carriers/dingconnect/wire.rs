//! DingConnect's JSON shapes (PascalCase on the wire), its error codes classified, and the
//! `DistributorRef` derived from renewd's reference.

use serde::Deserialize;

use crate::carriers::CarrierError;
use crate::carriers::http::{Http, Reply, scrub};
use crate::money::{Currency, Money};

/// Longest `DistributorRef` renewd sends (Ding's limit is unconfirmed; 64 is a third-party guess).
pub const MAX_REF: usize = 50;

/// One entry of `ErrorCodes`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ErrorCode {
    pub code: String,
    pub context: Option<String>,
}

/// The fields every Ding reply carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    pub result_code: i64,
    #[serde(default)]
    pub error_codes: Vec<ErrorCode>,
}

/// `SendTransfer` reply, and each wrapped item of `ListTransferRecords`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransferReply {
    pub transfer_record: Option<TransferRecord>,
    #[serde(default)]
    pub error_codes: Vec<ErrorCode>,
}

/// `ListTransferRecords` reply (its envelope is checked before decoding this).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransferList {
    #[serde(default)]
    pub items: Vec<TransferReply>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransferRecord {
    pub transfer_id: TransferId,
    pub price: Option<Price>,
    /// Submitted, Processing, Complete(d), Failed, Cancelled, Cancelling.
    #[serde(default)]
    pub processing_state: String,
    pub receipt_text: Option<String>,
    pub receipt_params: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransferId {
    pub transfer_ref: Option<String>,
    pub distributor_ref: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Price {
    pub send_value: f64,
    pub send_currency_iso: String,
    #[serde(default)]
    pub distributor_fee: f64,
}

/// `GetProducts` reply.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Products {
    #[serde(default)]
    pub items: Vec<Product>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Product {
    pub sku_code: String,
    pub minimum: Price,
    pub maximum: Price,
    pub default_display_text: Option<String>,
}

/// Where a transfer stands, from its `ProcessingState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Done,
    Open,
    Failed,
    Other,
}

impl TransferRecord {
    pub fn state(&self) -> State {
        match self.processing_state.as_str() {
            "Complete" | "Completed" => State::Done,
            "Submitted" | "Processing" | "Cancelling" => State::Open,
            "Failed" | "Cancelled" | "ProviderTimedOut" => State::Failed,
            _ => State::Other,
        }
    }

    /// Balance charged: SendValue plus DistributorFee.
    pub fn charged(&self) -> Option<Money> {
        let p = self.price.as_ref()?;
        Money::from_major_f64(
            p.send_value + p.distributor_fee,
            Currency::new(&p.send_currency_iso)?,
        )
    }

    /// Receipt words: `ReceiptText` and every `ReceiptParams` pair (a PIN comes as `Pin`).
    pub fn detail(&self) -> String {
        let mut parts = vec![format!(
            "Ding transfer {}",
            self.transfer_id.transfer_ref.as_deref().unwrap_or("?")
        )];
        parts.extend(self.receipt_text.clone().filter(|t| !t.is_empty()));
        for (k, v) in self.receipt_params.iter().flatten() {
            let v = v
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string());
            parts.push(format!("{k}: {v}"));
        }
        parts.join("; ")
    }
}

/// The `DistributorRef` for a reference: itself when short plain ASCII, else a stable
/// shortening (safe characters, cut, plus a hash of the whole) of at most `MAX_REF` chars.
pub fn distributor_ref(reference: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.:".contains(c);
    if reference.len() <= MAX_REF && !reference.is_empty() && reference.chars().all(safe) {
        return reference.to_string();
    }
    let kept: String = reference
        .chars()
        .filter(|c| safe(*c))
        .take(MAX_REF - 17)
        .collect();
    let hash = reference.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{kept}-{hash:016x}")
}

/// Turns Ding's reply into an error. The HTTP status comes first: a 5xx is a server error
/// whatever the body says (Ding has paid transfers and answered 502 `ProviderError`); then
/// `ResultCode`/`ErrorCodes`. Only codes Ding documents as "not processed" are refusals;
/// an operator-side error or a code renewd does not know is an unknown outcome.
pub fn classify(http: &Http, reply: &Reply, env: Option<&Envelope>) -> CarrierError {
    let carrier = http.carrier().to_string();
    let status = reply.status.as_u16();
    let first = env
        .and_then(|e| e.error_codes.first().cloned())
        .unwrap_or_default();
    let code = match env {
        Some(e) if first.code.is_empty() => format!("ResultCode {}", e.result_code),
        Some(_) => scrub::clean(&first.code),
        None => format!("HTTP {status}"),
    };
    if status >= 500 {
        return http.server_said(reply, env.map(|_| code.clone()));
    }
    if env.is_none() {
        return match status {
            401 => http.setup(
                "DingConnect refused the api_key (HTTP 401); check api_key_file / api_key_env",
            ),
            _ => http.malformed(format!("{} without a Ding envelope", reply.describe())),
        };
    }
    let context = first
        .context
        .map(|c| format!(" (context {})", scrub::clean(&c)))
        .unwrap_or_default();
    let refused = |retryable: bool, text: &str| CarrierError::Refused {
        carrier: carrier.clone(),
        code: code.clone(),
        message: format!("{text}{context}"),
        retryable,
    };
    let unknown = |text: &str| {
        http.malformed(format!(
            "{code}{context}: {text}; the transfer may have gone through, renewd looks it up by DistributorRef"
        ))
    };
    match first.code.as_str() {
        "TransientProviderError" | "ProviderError" => unknown("the operator had an error"),
        "ProviderTimedOut" => refused(
            true,
            "the operator did not answer within 90 s; the transfer failed and nothing was charged",
        ),
        "InsufficientBalance" => refused(
            false,
            "the DingConnect account balance is too low; fund the account, then the next check buys",
        ),
        "RechargeNotAllowed" => refused(
            false,
            "the operator does not allow this recharge for this number",
        ),
        "OtherError" => refused(false, "DingConnect refused the transfer"),
        "AccountNumberInvalid" => refused(
            false,
            "Ding refused the number; check the line's number (E.164, e.g. \"+15551234567\")",
        ),
        "AuthenticationFailed" => CarrierError::Setup {
            carrier,
            detail: format!("AuthenticationFailed{context}: check api_key_file / api_key_env"),
        },
        "RateLimited" => CarrierError::RateLimited {
            carrier,
            retry_after: reply.retry_after(),
        },
        "DuplicateTransactionPrevented" => {
            unknown("Ding already has a transfer with this DistributorRef")
        }
        c if c.starts_with("Parameter")
            || [
                "TooManyParameters",
                "RequestInvalid",
                "BatchItemRefMustBeUnique",
            ]
            .contains(&c) =>
        {
            refused(
                false,
                "Ding refused the request; check sku_code and topup_amount against GetProducts",
            )
        }
        _ => unknown("not a code renewd knows"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributor_refs_are_short_stable_ascii() {
        assert_eq!(
            distributor_ref("mom-tmobile-20250301T101500Z-7"),
            "mom-tmobile-20250301T101500Z-7"
        );
        let long = "a-very-long-line-identifier-that-goes-on-and-on-20250301T101500Z-42";
        let r = distributor_ref(long);
        assert!(r.len() <= MAX_REF && r.is_ascii(), "{r}");
        assert_eq!(r, distributor_ref(long));
        assert_ne!(r, distributor_ref(&format!("{long}3")));
        let odd = distributor_ref("línea 1/2");
        assert!(
            odd.is_ascii() && odd.len() <= MAX_REF && !odd.contains(' '),
            "{odd}"
        );
    }
}
