//! Reloadly's JSON shapes (camelCase on the wire) and its error codes, classified.

use std::time::Duration;

use serde::Deserialize;

use crate::carriers::CarrierError;
use crate::carriers::http::{Http, Reply, scrub};
use crate::money::{Currency, Money};

/// `POST /oauth/token` reply.
#[derive(Debug, Deserialize)]
pub struct TokenReply {
    pub access_token: String,
    /// Seconds; absent means "use until a 401 says otherwise".
    pub expires_in: Option<u64>,
}

/// `GET /accounts/balance` reply.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub balance: f64,
    pub currency_code: String,
}

/// An operator from `/operators/{id}` or auto-detect.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    /// Reloadly sends `id` and `operatorId` (same value); either is enough.
    #[serde(rename = "id")]
    pub plain_id: Option<u64>,
    pub operator_id: Option<u64>,
    #[serde(default)]
    pub name: String,
    /// PIN products need a person to redeem the PIN: no hands-off top-up.
    #[serde(default)]
    pub pin: bool,
    /// `FIXED` or `RANGE`.
    #[serde(default)]
    pub denomination_type: String,
    pub sender_currency_code: Option<String>,
    pub destination_currency_code: Option<String>,
    #[serde(default)]
    pub supports_local_amounts: bool,
    pub min_amount: Option<f64>,
    pub max_amount: Option<f64>,
    pub local_min_amount: Option<f64>,
    pub local_max_amount: Option<f64>,
    #[serde(default)]
    pub fixed_amounts: Vec<f64>,
    #[serde(default)]
    pub local_fixed_amounts: Vec<f64>,
}

impl Operator {
    pub fn id(&self) -> Option<u64> {
        self.plain_id.or(self.operator_id)
    }
}

/// `POST /topups-async` reply.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncReply {
    pub transaction_id: i64,
}

/// A top-up transaction (status endpoint, reports).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub transaction_id: i64,
    /// SUCCESSFUL, PROCESSING, REFUNDED or FAILED; absent in some report rows.
    pub status: Option<String>,
    pub custom_identifier: Option<String>,
    pub operator_name: Option<String>,
    pub delivered_amount: Option<f64>,
    pub delivered_amount_currency_code: Option<String>,
    pub pin_detail: Option<serde_json::Value>,
    pub balance_info: Option<BalanceInfo>,
}

/// What the purchase cost the account.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceInfo {
    pub cost: Option<f64>,
    pub currency_code: Option<String>,
}

impl Transaction {
    /// What the account was charged, when the reply says so.
    pub fn charged(&self) -> Option<Money> {
        let b = self.balance_info.as_ref()?;
        Money::from_major_f64(b.cost?, Currency::new(b.currency_code.as_deref()?)?)
    }

    /// Receipt words: operator, delivered amount, and any PIN instructions.
    pub fn detail(&self) -> String {
        let mut out = format!("Reloadly transaction {}", self.transaction_id);
        if let Some(op) = &self.operator_name {
            out.push_str(&format!(", {op}"));
        }
        let delivered = self.delivered_amount.zip(
            self.delivered_amount_currency_code
                .as_deref()
                .and_then(Currency::new),
        );
        if let Some(m) = delivered.and_then(|(v, c)| Money::from_major_f64(v, c)) {
            out.push_str(&format!(", {m} delivered"));
        }
        if let Some(pin) = self.pin_detail.as_ref().filter(|p| !p.is_null()) {
            out.push_str(&format!(", PIN details: {pin}"));
        }
        out
    }
}

/// `GET /topups/{id}/status`: the flat transaction, or the SDK's `{status, transaction}` wrapper.
pub fn parse_status(http: &Http, reply: &Reply) -> Result<Transaction, CarrierError> {
    let v: serde_json::Value = http.json(reply, "top-up status")?;
    let (inner, outer_status) = match v.get("transaction") {
        Some(t) if t.is_object() => (
            t.clone(),
            v.get("status").and_then(|s| s.as_str()).map(String::from),
        ),
        _ => (v, None),
    };
    let mut t: Transaction = serde_json::from_value(inner).map_err(|_| {
        http.malformed(format!(
            "top-up status is not in the documented shape ({})",
            reply.describe()
        ))
    })?;
    if outer_status.is_some() {
        t.status = outer_status;
    }
    Ok(t)
}

/// `GET /topups/reports/transactions` reply.
#[derive(Debug, Deserialize)]
pub struct Report {
    pub content: Vec<Transaction>,
}

/// Reloadly's error envelope.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub error_code: Option<String>,
    pub message: Option<String>,
}

impl ApiError {
    pub fn of(reply: &Reply) -> ApiError {
        serde_json::from_slice(&reply.body).unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.error_code.as_deref().unwrap_or("")
    }
}

/// Reloadly's mandatory gap between two top-ups to one number.
pub const RECHARGE_GAP: Duration = Duration::from_secs(120);

/// Turns a non-2xx reply into an error: a 5xx is a server error whatever its `errorCode`
/// (the purchase may have gone through); below that, by Reloadly's `errorCode`, and a code
/// renewd does not know is an unknown outcome, never a refusal.
pub fn classify(carrier: &str, reply: &Reply) -> CarrierError {
    let e = ApiError::of(reply);
    let raw = e.code();
    let code = scrub::clean(raw);
    let message = e
        .message
        .as_deref()
        .map(scrub::clean)
        .unwrap_or_else(|| reply.describe());
    let status = reply.status.as_u16();
    if status >= 500 {
        return CarrierError::Server {
            carrier: carrier.to_string(),
            status,
            detail: format!("{code} {message}").trim().to_string(),
        };
    }
    let refused = |retryable: bool, extra: &str| CarrierError::Refused {
        carrier: carrier.to_string(),
        code: code.clone(),
        message: format!("{message}{extra}"),
        retryable,
    };
    let setup = |hint: &str| CarrierError::Setup {
        carrier: carrier.to_string(),
        detail: format!("{code}: {message}; {hint}"),
    };
    match raw {
        "INVALID_CREDENTIALS" | "TOKEN_EXPIRED" | "INVALID_TOKEN" => setup(
            "check client_id and the client secret; sandbox and live accounts use different credentials",
        ),
        "ACCOUNT_NOT_FOUND" | "INACTIVE_ACCOUNT" => {
            setup("check the Reloadly account in its dashboard")
        }
        "COUNTRY_NOT_SUPPORTED"
        | "OPERATOR_NOT_IN_SERVICE"
        | "COULD_NOT_AUTO_DETECT_OPERATOR"
        | "OPERATOR_NOT_FOUND" => setup(
            "pin the operator with operator_id = <id> on the line (see GET /operators/countries/US)",
        ),
        "INSUFFICIENT_BALANCE" => refused(
            false,
            "; fund the Reloadly account, then the next check buys again",
        ),
        "PHONE_RECENTLY_RECHARGED" => CarrierError::RateLimited {
            carrier: carrier.to_string(),
            retry_after: Some(RECHARGE_GAP),
        },
        "RATE_LIMIT_REACHED" => CarrierError::RateLimited {
            carrier: carrier.to_string(),
            retry_after: reply.retry_after(),
        },
        "PHONE_BANNED_BY_OPERATOR" | "RECIPIENT_PHONE_INACTIVE" => CarrierError::LineGone {
            carrier: carrier.to_string(),
            code,
            message,
        },
        c if TRANSIENT.contains(&c) => refused(true, ""),
        c if PERMANENT.contains(&c) => refused(false, ""),
        "" if status == 401 => setup("the token was refused"),
        "" if status == 404 => setup("wrong URL; check base_url"),
        "" => CarrierError::Malformed {
            carrier: carrier.to_string(),
            detail: format!("HTTP {status} without an errorCode: {message}"),
        },
        _ => CarrierError::Malformed {
            carrier: carrier.to_string(),
            detail: format!(
                "unknown errorCode {code} (HTTP {status}): {message}; the top-up may have gone through, renewd looks it up"
            ),
        },
    }
}

/// Codes after which a later attempt may succeed (nothing was bought).
const TRANSIENT: &[&str] = &[
    "MAX_DAILY_TRANSACTION_COUNT_REACHED",
    "MAX_DAILY_TRANSACTION_AMOUNT_REACHED",
    "TOPUP_TRANSACTION_FAILED",
    "TRANSACTION_CANNOT_BE_PROCESSED_AT_THE_MOMENT",
    "OPERATOR_UNAVAILABLE_OR_CURRENTLY_INACTIVE",
    "RECIPIENT_HAS_PENDING_TRANSACTION",
    "TRANSACTION_FAILED_ON_OPERATOR",
    "PROVIDER_INTERNAL_ERROR",
    "REQUEST_FAILED_ON_PROVIDER",
    "CONNECTION_TO_OPERATOR_TEMPORARILY_DOWN",
    "CONNECTION_TO_OPERATOR_FAILED",
    "SERVICE_TO_OPERATOR_TEMPORARILY_UNAVAILABLE",
];

/// Codes that will not change by retrying the same number and amount.
const PERMANENT: &[&str] = &[
    "INVALID_RECIPIENT_PHONE",
    "INVALID_SENDER_PHONE",
    "INVALID_PHONE_NUMBER",
    "INVALID_AMOUNT",
    "INVALID_AMOUNT_FOR_OPERATOR",
    "IMPOSSIBLE_AMOUNT",
    "INVALID_AMOUNT_FOR_RECIPIENT_PHONE",
    "INVALID_INPUT_PROVIDED",
    "TRANSACTION_REJECTED_BY_OPERATOR",
    "TRANSACTION_REFUSED_BY_OPERATOR",
    "RECIPIENT_REACHED_MAX_TOPUP_NUMBER",
];
