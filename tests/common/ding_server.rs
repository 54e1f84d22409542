//! A fake DingConnect speaking the documented shapes of carrier-apis.md section 4
//! (PascalCase, `ResultCode` envelope, `api_key` header), with switches for failures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

#[path = "cut_listener.rs"]
mod cut_listener;

/// What `SendTransfer` does after recording a transfer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum After {
    Reply,
    Hang,
    Cut,
    Garbage,
}

#[derive(Debug)]
pub struct Fake {
    pub after: After,
    /// Real (not ValidateOnly) transfers recorded: the "bought twice?" counter.
    pub purchases: usize,
    pub validations: usize,
    /// (TransferRef, DistributorRef, ProcessingState)
    pub transfers: Vec<(String, String, String)>,
    /// State given to new transfers.
    pub new_state: String,
    pub balance: f64,
    /// Raw body of the last SendTransfer, to check exact decimals.
    pub last_body: Option<String>,
    /// Answer the next SendTransfer with this error code (ResultCode, Code, HTTP status).
    pub refuse: Option<(i64, &'static str, u16)>,
    pub cut: Option<Arc<AtomicBool>>,
}

pub type Shared = Arc<Mutex<Fake>>;

pub async fn start() -> (String, Shared) {
    let fake = Arc::new(Mutex::new(Fake {
        after: After::Reply,
        purchases: 0,
        validations: 0,
        transfers: vec![],
        new_state: "Complete".into(),
        balance: 100.0,
        last_body: None,
        refuse: None,
        cut: None,
    }));
    let router = Router::new()
        .route("/api/V1/SendTransfer", post(send_transfer))
        .route("/api/V1/ListTransferRecords", post(list))
        .route("/api/V1/GetProducts", get(products))
        .with_state(fake.clone());
    let (url, cut) = cut_listener::serve(router).await;
    fake.lock().unwrap().cut = Some(cut);
    (format!("{url}/api/V1"), fake)
}

fn fail(http: u16, result: i64, code: &str, context: &str) -> Response {
    let status = StatusCode::from_u16(http).unwrap();
    (
        status,
        Json(json!({"ResultCode": result, "ErrorCodes": [{"Code": code, "Context": context}]})),
    )
        .into_response()
}

fn authed(headers: &HeaderMap) -> bool {
    headers.get("api_key").and_then(|v| v.to_str().ok()) == Some("ding-key")
}

fn record(tref: &str, dref: &str, state: &str, send: f64) -> Value {
    let price = json!({"SendValue": send, "SendCurrencyIso": "USD", "ReceiveValue": send, "ReceiveCurrencyIso": "USD", "CustomerFee": 0, "DistributorFee": 0.25});
    json!({
        "TransferId": {"TransferRef": tref, "DistributorRef": dref}, "SkuCode": "XXUS12345", "Price": price,
        "CommissionApplied": 0.3, "StartedUtc": "2025-03-01T10:15:00Z", "CompletedUtc": "2025-03-01T10:15:04Z",
        "ProcessingState": state, "ReceiptText": "Top-up of 10 USD successful.", "ReceiptParams": {"Pin": "1234567890"},
        "AccountNumber": "15555550123"
    })
}

async fn send_transfer(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !authed(&headers) {
        return fail(401, 4, "AuthenticationFailed", "");
    }
    let (after, reply) = {
        let mut f = s.lock().unwrap();
        f.last_body = Some(body.clone());
        let Ok(v) = serde_json::from_str::<Value>(&body) else {
            return fail(400, 4, "RequestInvalid", "");
        };
        let Some(validate_only) = v["ValidateOnly"].as_bool() else {
            return fail(400, 4, "ParameterInvalid", "ValidateOnly");
        };
        let account = v["AccountNumber"].as_str().unwrap_or("");
        if account.starts_with('+') || account.is_empty() {
            return fail(200, 4, "AccountNumberInvalid", "AccountNumberFailedRegex");
        }
        let send = v["SendValue"].as_f64().unwrap_or(0.0);
        if send > f.balance {
            return fail(500, 5, "InsufficientBalance", "");
        }
        if let Some((rc, code, http)) = f.refuse.take() {
            return fail(http, rc, code, "");
        }
        let dref = v["DistributorRef"].as_str().unwrap_or("").to_string();
        if validate_only {
            f.validations += 1;
            let mut rec = record("", &dref, "Complete", send);
            rec["TransferId"]["TransferRef"] = Value::Null;
            return Json(json!({"TransferRecord": rec, "ResultCode": 1, "ErrorCodes": []}))
                .into_response();
        }
        f.purchases += 1;
        let tref = format!("86378449{}", f.purchases);
        let state = f.new_state.clone();
        f.transfers
            .push((tref.clone(), dref.clone(), state.clone()));
        if f.after == After::Cut {
            f.cut.as_ref().unwrap().store(true, Ordering::SeqCst);
        }
        (
            f.after,
            json!({"TransferRecord": record(&tref, &dref, &state, send), "ResultCode": 1, "ErrorCodes": []}),
        )
    };
    match after {
        After::Reply | After::Cut => Json(reply).into_response(),
        After::Hang => std::future::pending().await,
        After::Garbage => (StatusCode::OK, "Service Unavailable").into_response(),
    }
}

async fn list(State(s): State<Shared>, headers: HeaderMap, Json(v): Json<Value>) -> Response {
    if !authed(&headers) {
        return fail(401, 4, "AuthenticationFailed", "");
    }
    if v["Take"].as_i64().is_none() {
        return fail(400, 4, "ParameterMissing", "Take");
    }
    let f = s.lock().unwrap();
    let want = v["DistributorRef"].as_str().unwrap_or("");
    let items: Vec<Value> = f
        .transfers
        .iter()
        .filter(|t| t.1 == want)
        .map(|t| json!({"TransferRecord": record(&t.0, &t.1, &t.2, 10.0), "ResultCode": 1, "ErrorCodes": []}))
        .collect();
    Json(json!({"Items": items, "ThereAreMoreItems": false, "ResultCode": 1, "ErrorCodes": []}))
        .into_response()
}

async fn products(
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !authed(&headers) {
        return fail(401, 4, "AuthenticationFailed", "");
    }
    let price = |v: f64| json!({"SendValue": v, "SendCurrencyIso": "USD", "ReceiveValue": v, "ReceiveCurrencyIso": "USD", "CustomerFee": 0, "DistributorFee": 0});
    let items: Vec<Value> = if q.get("skuCodes").map(String::as_str) == Some("XXUS12345") {
        vec![json!({
            "ProviderCode": "XXUS", "SkuCode": "XXUS12345", "SettingDefinitions": [], "Minimum": price(5.0), "Maximum": price(50.0),
            "ProcessingMode": "Instant", "RedemptionMechanism": "Immediate", "Benefits": ["Mobile"], "DefaultDisplayText": "Example 5-50 USD"
        })]
    } else {
        vec![]
    };
    Json(json!({"ResultCode": 1, "ErrorCodes": [], "Items": items})).into_response()
}
