//! A fake 1NCE Management API speaking the documented paths and example bodies
//! (shared/carrier-apis.md section 2). Tests queue one-shot replies per route and read
//! what the server saw (token fetches, top-up POSTs). For fleets it can serve any ICCID,
//! hold every reply but a 429 `latency`, and enforce the documented `/sims` limit (10 requests a
//! second; 429 beyond), logging every `/sims` request.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::fake::{Canned, Hit, Window, base64, bearer, retry_secs, serve};

pub const ICCID: &str = "8988228000000000001";
pub const USER: &str = "api-user";
pub const PASSWORD: &str = "1nce-s3cret-pw";

/// What happens to a top-up POST.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum TopUpMode {
    #[default]
    Ok,
    /// The order is placed, then the reply is a 500.
    PlacedThen500,
    /// The order is placed, then no reply ever comes.
    PlacedThenHang,
}

#[derive(Default)]
pub struct Fake {
    pub token_calls: u32,
    /// Whether every token request carried the right Basic auth and JSON body.
    pub token_requests_ok: bool,
    valid: HashSet<String>,
    /// One-shot replies by route name: token, quota, topup, order, orders.
    pub queued: HashMap<&'static str, VecDeque<Canned>>,
    pub mode: TopUpMode,
    pub topup_posts: u32,
    /// Placed orders, newest last.
    pub orders: Vec<Value>,
    /// Status new orders get; later readable as placed.
    pub new_order_status: String,
    /// Hide orders from the list (exercise the quota fallback).
    pub hide_orders_in_list: bool,
    /// MB left; a top-up adds 500.
    pub volume: f64,
    pub quota_created_at: String,
    /// Serve any ICCID (a fleet), not only `ICCID`.
    pub any_iccid: bool,
    /// How long every reply is held.
    pub latency: Duration,
    /// When set, the `/sims` limit the server enforces (429 beyond it).
    pub sims_limit: Option<Window>,
    /// Whether a 429 from the limit carries `Retry-After` (1NCE does not document one).
    pub retry_after: bool,
    /// 429s the limit gave (any `/sims` route).
    pub limited: u32,
    /// Every quota request: arrival and reply status.
    pub quota_hits: Vec<Hit>,
}

/// The limit the docs give for `/sims`: 10 requests a second per customer.
#[allow(dead_code)]
pub fn documented_sims_limit(per_second: usize) -> Window {
    Window::new(per_second, Duration::from_secs(1))
}

pub type Shared = Arc<Mutex<Fake>>;

pub struct Server {
    /// The base URL (`.../management-api`).
    pub base: String,
    pub state: Shared,
}

impl Server {
    pub async fn start() -> Self {
        let state: Shared = Arc::new(Mutex::new(Fake {
            token_requests_ok: true,
            new_order_status: "COMPLETED".into(),
            volume: 435.787951,
            quota_created_at: "2025-03-01T13:13:21Z".into(),
            ..Fake::default()
        }));
        let router = Router::new()
            .route("/management-api/oauth/token", post(token))
            .route("/management-api/v2/sims/{iccid}/quota/data", get(quota))
            .route("/management-api/v1/sims/{iccid}/topup", post(topup))
            .route("/management-api/v1/orders/{n}", get(one_order))
            .route("/management-api/v1/orders", get(orders))
            .layer(from_fn_with_state(state.clone(), delay))
            .with_state(state.clone());
        Self {
            base: format!("{}/management-api", serve(router).await),
            state,
        }
    }

    pub fn queue(&self, route: &'static str, reply: Canned) {
        self.state
            .lock()
            .unwrap()
            .queued
            .entry(route)
            .or_default()
            .push_back(reply);
    }

    pub fn revoke_tokens(&self) {
        self.state.lock().unwrap().valid.clear();
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Fake) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

/// Holds every reply `latency`, but a 429 (a gateway refuses before the work is done).
async fn delay(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let latency = st.lock().unwrap().latency;
    let reply = next.run(req).await;
    if reply.status().as_u16() != 429 {
        tokio::time::sleep(latency).await;
    }
    reply
}

/// A 429 for a `/sims` request arriving at `at` past the limit (the limit counts it
/// otherwise).
fn over_limit(s: &mut Fake, at: Instant) -> Option<Response> {
    let wait = s.sims_limit.as_mut()?.admit(at).err()?;
    s.limited += 1;
    let c = Canned::new(429, r#"{"message":"Too Many Requests"}"#);
    let c = if s.retry_after {
        c.header("retry-after", &retry_secs(wait))
    } else {
        c
    };
    Some(c.into_response())
}

fn take(s: &mut Fake, route: &'static str) -> Option<Canned> {
    s.queued.get_mut(route).and_then(VecDeque::pop_front)
}

fn authed(s: &Fake, headers: &HeaderMap) -> bool {
    bearer(headers).is_some_and(|t| s.valid.contains(&t))
}

async fn token(State(st): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut s = st.lock().unwrap();
    s.token_calls += 1;
    if let Some(c) = take(&mut s, "token") {
        return c.into_response();
    }
    let basic = format!("Basic {}", base64(&format!("{USER}:{PASSWORD}")));
    let auth_ok =
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(basic.as_str());
    let body_ok = serde_json::from_str::<Value>(&body).ok()
        == Some(json!({"grant_type": "client_credentials"}));
    if !auth_ok || !body_ok {
        s.token_requests_ok = false;
        return Canned::new(
            400,
            r#"{"statusCode":400,"errorCode":"BadCredentials","message":"User does not exist"}"#,
        )
        .into_response();
    }
    let t = format!("eyJpZHRva2Vu-{}", s.token_calls);
    s.valid.insert(t.clone());
    Json(json!({"status_code": 200, "access_token": t, "token_type": "bearer", "expires_in": 3600, "userId": USER, "scope": "all"})).into_response()
}

async fn quota(
    State(st): State<Shared>,
    Path(iccid): Path<String>,
    headers: HeaderMap,
) -> Response {
    let at = Instant::now();
    let mut s = st.lock().unwrap();
    let reply = match over_limit(&mut s, at) {
        Some(r) => r,
        None => quota_reply(&mut s, &iccid, &headers),
    };
    let status = reply.status().as_u16();
    s.quota_hits.push(Hit { at, status });
    reply
}

fn quota_reply(s: &mut Fake, iccid: &str, headers: &HeaderMap) -> Response {
    if !authed(s, headers) {
        return Canned::new(401, "").into_response();
    }
    if let Some(c) = take(s, "quota") {
        return c.into_response();
    }
    if iccid != ICCID && !s.any_iccid {
        return Canned::new(
            404,
            r#"{"error_code":1000,"error_token":"NotFound","message":"SIM not found"}"#,
        )
        .into_response();
    }
    Json(json!({"id": 1, "status": {"id": 1, "description": "ACTIVE"}, "volume": s.volume, "total_volume": 500, "accumulated_total_volume": 1000,
        "last_volume_added": 500, "service": "data", "threshold_percentage": 20, "threshold_volume": 100,
        "expiry_date": "2034-01-01T00:00:00.000Z", "created_at": s.quota_created_at})).into_response()
}

/// Records the order and adds the top-up to the quota.
fn place(s: &mut Fake) -> u64 {
    let n = 2_000_000_123 + s.orders.len() as u64;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s.orders.push(json!({"order_number": n, "order_type": "TOPUP", "order_date": now, "order_status": s.new_order_status, "invoice_number": "20000002",
        "invoice_amount": "10.00", "currency": "EUR", "sims": [{"iccid": ICCID, "_links": [{"rel": "self", "href": "https://example.invalid"}]}],
        "products": [{"product_id": 1001, "quantity": 1}]}));
    s.volume += 500.0;
    s.quota_created_at = now;
    n
}

async fn topup(
    State(st): State<Shared>,
    Path(iccid): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (mode, n) = {
        let mut s = st.lock().unwrap();
        if let Some(r) = over_limit(&mut s, Instant::now()) {
            return r;
        }
        if !authed(&s, &headers) {
            return Canned::new(401, "").into_response();
        }
        s.topup_posts += 1;
        if let Some(c) = take(&mut s, "topup") {
            return c.into_response();
        }
        if iccid != ICCID {
            return Canned::new(404, "").into_response();
        }
        (s.mode, place(&mut s))
    };
    match mode {
        TopUpMode::Ok => Canned::new(201, "")
            .header(
                "location",
                &format!("https://api.1nce.com/management-api/v1/orders/{n}"),
            )
            .into_response(),
        TopUpMode::PlacedThen500 => Canned::new(
            500,
            r#"{"error_code":1000,"error_token":"InternalServerError","message":"oops"}"#,
        )
        .into_response(),
        TopUpMode::PlacedThenHang => std::future::pending().await,
    }
}

async fn one_order(
    State(st): State<Shared>,
    Path(n): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut s = st.lock().unwrap();
    if !authed(&s, &headers) {
        return Canned::new(401, "").into_response();
    }
    if let Some(c) = take(&mut s, "order") {
        return c.into_response();
    }
    match s.orders.iter().find(|o| {
        o["order_number"]
            .as_u64()
            .is_some_and(|x| x.to_string() == n)
    }) {
        Some(o) => Json(o.clone()).into_response(),
        None => Canned::new(404, "").into_response(),
    }
}

async fn orders(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = st.lock().unwrap();
    if !authed(&s, &headers) {
        return Canned::new(401, "").into_response();
    }
    if let Some(c) = take(&mut s, "orders") {
        return c.into_response();
    }
    let list: Vec<Value> = if s.hide_orders_in_list {
        Vec::new()
    } else {
        s.orders.iter().rev().cloned().collect()
    };
    Json(Value::Array(list)).into_response()
}
