//! A fake Reloadly (token host and airtime API on one port) speaking the documented shapes
//! of carrier-apis.md section 3, with switches for the failures the tests need.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

#[path = "cut_listener.rs"]
mod cut_listener;

/// What the purchase endpoint does after recording a purchase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum After {
    Reply,
    /// Never answer (the client times out).
    Hang,
    /// Drop the connection instead of answering.
    Cut,
    /// Answer 200 with a body that is not JSON.
    Garbage,
}

#[derive(Debug)]
pub struct Fake {
    pub after: After,
    /// Purchases recorded (each a debit); the tests' "bought twice?" counter.
    pub purchases: usize,
    pub token_fetches: usize,
    pub audiences: Vec<String>,
    /// (transactionId, customIdentifier, status)
    pub transactions: Vec<(i64, String, String)>,
    /// Status given to new transactions.
    pub new_status: String,
    pub account_balance: f64,
    pub operator: Value,
    /// Report queries that pretend to see nothing yet.
    pub report_blind: usize,
    /// The next API call gets 401 TOKEN_EXPIRED.
    pub expire_token: bool,
    /// Status replies in the Java SDK's `{status, transaction}` wrapper.
    pub wrapped_status: bool,
    pub recently_recharged: bool,
    pub last_body: Option<Value>,
    pub auto_detects: usize,
    /// The listener's cut switch.
    pub cut: Option<Arc<std::sync::atomic::AtomicBool>>,
}

pub type Shared = Arc<Mutex<Fake>>;

pub fn operator(pin: bool, fixed: &[f64]) -> Value {
    json!({
        "id": 1234, "operatorId": 1234, "name": "Example Wireless United States", "bundle": false, "data": false,
        "pin": pin, "supportsLocalAmounts": true, "denominationType": if fixed.is_empty() { "RANGE" } else { "FIXED" },
        "senderCurrencyCode": "USD", "destinationCurrencyCode": "USD", "minAmount": 5.0, "maxAmount": 100.0,
        "localMinAmount": 5.0, "localMaxAmount": 100.0, "fixedAmounts": fixed, "localFixedAmounts": fixed,
        "fx": {"rate": 1.0, "currencyCode": "USD"}, "country": {"isoName": "US", "name": "United States"}
    })
}

/// Starts the fake; returns its base URL and state.
pub async fn start() -> (String, Shared) {
    let fake = Arc::new(Mutex::new(Fake {
        after: After::Reply,
        purchases: 0,
        token_fetches: 0,
        audiences: vec![],
        transactions: vec![],
        new_status: "SUCCESSFUL".into(),
        account_balance: 500.0,
        operator: operator(false, &[]),
        report_blind: 0,
        expire_token: false,
        wrapped_status: false,
        recently_recharged: false,
        last_body: None,
        auto_detects: 0,
        cut: None,
    }));
    let router = Router::new()
        .route("/oauth/token", post(token))
        .route("/accounts/balance", get(balance))
        .route("/operators/{id}", get(operator_by_id))
        .route(
            "/operators/auto-detect/phone/{phone}/countries/{iso}",
            get(auto_detect),
        )
        .route("/topups-async", post(topup))
        .route("/topups/{id}/status", get(status))
        .route("/topups/reports/transactions", get(report))
        .with_state(fake.clone());
    let (url, cut) = cut_listener::serve(router).await;
    fake.lock().unwrap().cut = Some(cut);
    (url, fake)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"timeStamp": "2025-03-01 18:37:10", "message": message, "path": "/", "errorCode": code, "infoLink": null, "details": []});
    (status, Json(body)).into_response()
}

/// Checks the bearer token and Accept header; `Some` is the refusal to send.
fn refuse(f: &mut Fake, headers: &HeaderMap) -> Option<Response> {
    if headers.get("accept").and_then(|v| v.to_str().ok())
        != Some("application/com.reloadly.topups-v1+json")
    {
        return Some(error(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "wrong Accept header",
        ));
    }
    let want = format!("Bearer tok-{}", f.token_fetches);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "Invalid token",
        ));
    }
    if std::mem::take(&mut f.expire_token) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "TOKEN_EXPIRED",
            "Token expired",
        ));
    }
    None
}

async fn token(State(s): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut f = s.lock().unwrap();
    if body["client_id"] != "cid"
        || body["client_secret"] != "csecret"
        || body["grant_type"] != "client_credentials"
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Access Denied",
        );
    }
    f.token_fetches += 1;
    f.audiences
        .push(body["audience"].as_str().unwrap_or("").to_string());
    Json(json!({"access_token": format!("tok-{}", f.token_fetches), "scope": "developer", "expires_in": 5184000, "token_type": "Bearer"})).into_response()
}

async fn balance(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut f = s.lock().unwrap();
    if let Some(r) = refuse(&mut f, &headers) {
        return r;
    }
    Json(json!({"balance": f.account_balance, "currencyCode": "USD", "currencyName": "US Dollar", "updatedAt": "2025-03-01 08:45:51"})).into_response()
}

async fn operator_by_id(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    let mut f = s.lock().unwrap();
    if let Some(r) = refuse(&mut f, &headers) {
        return r;
    }
    if f.operator["id"] != id {
        return error(
            StatusCode::NOT_FOUND,
            "OPERATOR_NOT_FOUND",
            "Operator not found",
        );
    }
    Json(f.operator.clone()).into_response()
}

async fn auto_detect(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((phone, iso)): Path<(String, String)>,
) -> Response {
    let mut f = s.lock().unwrap();
    if let Some(r) = refuse(&mut f, &headers) {
        return r;
    }
    f.auto_detects += 1;
    if iso != "US" || !phone.starts_with('1') {
        return error(
            StatusCode::BAD_REQUEST,
            "COULD_NOT_AUTO_DETECT_OPERATOR",
            "Could not auto detect operator",
        );
    }
    Json(f.operator.clone()).into_response()
}

async fn topup(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let after = {
        let mut f = s.lock().unwrap();
        if let Some(r) = refuse(&mut f, &headers) {
            return r;
        }
        let Ok(v) = serde_json::from_str::<Value>(&body) else {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_INPUT_PROVIDED",
                "bad json",
            );
        };
        f.last_body = Some(v.clone());
        if std::mem::take(&mut f.recently_recharged) {
            return error(
                StatusCode::BAD_REQUEST,
                "PHONE_RECENTLY_RECHARGED",
                "Phone recently recharged",
            );
        }
        let reference = v["customIdentifier"].as_str().unwrap_or("").to_string();
        if f.transactions.iter().any(|t| t.1 == reference) {
            return error(
                StatusCode::BAD_REQUEST,
                "CUSTOM_IDENTIFIER_ALREADY_USED",
                "Custom identifier already used",
            );
        }
        f.purchases += 1;
        let id = 4602842 + f.purchases as i64;
        let status = f.new_status.clone();
        f.transactions.push((id, reference, status));
        if f.after == After::Cut {
            f.cut.as_ref().unwrap().store(true, Ordering::SeqCst);
        }
        (f.after, id)
    };
    match after {
        (After::Reply, id) => Json(json!({"transactionId": id})).into_response(),
        (After::Hang, _) => std::future::pending().await,
        (After::Cut, id) => Json(json!({"transactionId": id})).into_response(),
        (After::Garbage, _) => (StatusCode::OK, "<html>upstream hiccup</html>").into_response(),
    }
}

fn transaction(id: i64, reference: &str, status: &str) -> Value {
    json!({
        "transactionId": id, "status": status, "operatorTransactionId": "7297929551:OrderConfirmed",
        "customIdentifier": reference, "recipientPhone": 15555550123u64, "countryCode": "US", "operatorId": 1234,
        "operatorName": "Example Wireless United States", "requestedAmount": 15, "requestedAmountCurrencyCode": "USD",
        "deliveredAmount": 15, "deliveredAmountCurrencyCode": "USD", "transactionDate": "2025-03-01 10:15:02", "pinDetail": null,
        "balanceInfo": {"oldBalance": 500.0, "newBalance": 485.52, "cost": 14.48, "currencyCode": "USD", "currencyName": "US Dollar"}
    })
}

async fn status(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let mut f = s.lock().unwrap();
    if let Some(r) = refuse(&mut f, &headers) {
        return r;
    }
    let Some((id, reference, status)) = f.transactions.iter().find(|t| t.0 == id).cloned() else {
        return error(StatusCode::NOT_FOUND, "TRANSACTION_NOT_FOUND", "not found");
    };
    let t = transaction(id, &reference, &status);
    let body = if f.wrapped_status {
        json!({"code": null, "message": null, "status": status, "transaction": t})
    } else {
        t
    };
    Json(body).into_response()
}

async fn report(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let mut f = s.lock().unwrap();
    if let Some(r) = refuse(&mut f, &headers) {
        return r;
    }
    let want = q.get("customIdentifier").cloned().unwrap_or_default();
    let content: Vec<Value> = if f.report_blind > 0 {
        f.report_blind -= 1;
        vec![]
    } else {
        f.transactions
            .iter()
            .filter(|t| t.1 == want)
            .map(|t| transaction(t.0, &t.1, &t.2))
            .collect()
    };
    Json(json!({"content": content, "totalElements": content.len(), "number": 0})).into_response()
}
