//! A fake Airalo Partner API v2 speaking the documented paths and example bodies
//! (shared/carrier-apis.md section 1). Tests queue one-shot replies per route and read
//! what the server saw (token fetches, order POSTs). For fleets it can serve any ICCID,
//! hold every reply but a 429 `latency`, and enforce the documented limits on usage (5 a second per
//! company, 10 a minute per ICCID; 429 `Too Many Attempts.` with `Retry-After` beyond),
//! logging every usage request.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::fake::{Canned, Hit, Window, bearer, retry_secs, serve};

pub const ICCID: &str = "8910300000000000001";
pub const PACKAGE: &str = "examplemobile-30days-3gb-topup";
pub const SECRET: &str = "airalo-s3cret-value";

/// What happens to a top-up order POST.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum OrderMode {
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
    /// Raw bodies of the token requests.
    pub token_bodies: Vec<String>,
    valid: HashSet<String>,
    /// One-shot replies by route name: token, usage, topups, packages, order, orders.
    pub queued: HashMap<&'static str, VecDeque<Canned>>,
    pub order_mode: OrderMode,
    /// Every top-up POST body received.
    pub order_posts: Vec<Value>,
    /// Placed orders (as in `GET /orders`).
    pub orders: Vec<Value>,
    /// Whether `GET /orders` lists top-up orders (the docs leave it open).
    pub hide_topups_in_orders: bool,
    /// `GET /sims/{iccid}/packages` entries.
    pub history: Vec<Value>,
    pub usage_body: Option<Value>,
    /// Serve any ICCID (a fleet), not only `ICCID`.
    pub any_iccid: bool,
    /// How long every reply is held.
    pub latency: Duration,
    /// When set, the limits the server enforces on usage (429 beyond them).
    pub limits: Option<Limits>,
    /// 429s the limits gave.
    pub limited: u32,
    /// Every usage request: arrival and reply status.
    pub usage_hits: Vec<Hit>,
}

/// The usage endpoint's limits: per company and per ICCID.
#[derive(Debug, Clone)]
pub struct Limits {
    pub company: Window,
    pub per_iccid: HashMap<String, Window>,
}

impl Limits {
    /// The documented ones with `per_second` for the company: 5 a second, 10 a minute per ICCID.
    #[allow(dead_code)]
    pub fn documented(per_second: usize) -> Self {
        Limits {
            company: Window::new(per_second, Duration::from_secs(1)),
            per_iccid: HashMap::new(),
        }
    }

    /// Counts a usage request for `iccid` at `at`, or says how long until one is accepted.
    fn admit(&mut self, iccid: &str, at: Instant) -> Result<(), Duration> {
        let minute = Duration::from_secs(60);
        let sim = self.per_iccid.entry(iccid.to_string());
        sim.or_insert_with(|| Window::new(10, minute)).admit(at)?;
        self.company.admit(at)
    }
}

pub type Shared = Arc<Mutex<Fake>>;

pub struct Server {
    /// The base URL including `/v2`.
    pub base: String,
    pub state: Shared,
}

impl Server {
    pub async fn start() -> Self {
        let state: Shared = Arc::default();
        let router = Router::new()
            .route("/v2/token", post(token))
            .route("/v2/sims/{iccid}/{what}", get(sim))
            .route("/v2/orders/topups", post(order))
            .route("/v2/orders", get(orders))
            .layer(from_fn_with_state(state.clone(), delay))
            .with_state(state.clone());
        Self {
            base: format!("{}/v2", serve(router).await),
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

    /// Makes every token issued so far invalid (as if Airalo revoked them).
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

/// A 429 for a usage request arriving at `at` past a limit, in Airalo's documented shape.
fn over_limit(s: &mut Fake, iccid: &str, at: Instant) -> Option<Response> {
    let limits = s.limits.as_mut()?;
    let wait = limits.admit(iccid, at).err()?;
    let max = limits.company.max.to_string();
    s.limited += 1;
    let reset = chrono::Utc::now().timestamp() + wait.as_secs() as i64 + 1;
    let reply = Canned::new(429, r#"{"message":"Too Many Attempts."}"#)
        .header("retry-after", &retry_secs(wait))
        .header("x-ratelimit-limit", &max)
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", &reset.to_string());
    Some(reply.into_response())
}

fn take(s: &mut Fake, route: &'static str) -> Option<Canned> {
    s.queued.get_mut(route).and_then(VecDeque::pop_front)
}

fn unauthenticated() -> Response {
    Canned::new(401, r#"{"data":[],"meta":{"message":"Unauthenticated."}}"#).into_response()
}

fn not_found() -> Response {
    Canned::new(
        404,
        r#"{"data":[],"meta":{"message":"messages.resource_not_found"}}"#,
    )
    .into_response()
}

async fn token(State(st): State<Shared>, body: String) -> Response {
    let mut s = st.lock().unwrap();
    s.token_calls += 1;
    s.token_bodies.push(body.clone());
    if let Some(c) = take(&mut s, "token") {
        return c.into_response();
    }
    if !body.contains(&format!("client_secret={SECRET}"))
        || !body.contains("grant_type=client_credentials")
    {
        return Canned::new(
            401,
            r#"{"data":[],"meta":{"message":"Client authentication failed"}}"#,
        )
        .into_response();
    }
    let t = format!("token-{}", s.token_calls);
    s.valid.insert(t.clone());
    Json(json!({"data": {"token_type": "Bearer", "expires_in": 31622400, "access_token": t}, "meta": {"message": "success"}})).into_response()
}

async fn sim(
    State(st): State<Shared>,
    Path((iccid, what)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let at = Instant::now();
    let mut s = st.lock().unwrap();
    if what != "usage" {
        return sim_reply(&mut s, &iccid, &what, &headers);
    }
    let reply = match over_limit(&mut s, &iccid, at) {
        Some(r) => r,
        None => sim_reply(&mut s, &iccid, &what, &headers),
    };
    let status = reply.status().as_u16();
    s.usage_hits.push(Hit { at, status });
    reply
}

fn sim_reply(s: &mut Fake, iccid: &str, what: &str, headers: &HeaderMap) -> Response {
    if !bearer(headers).is_some_and(|t| s.valid.contains(&t)) {
        return unauthenticated();
    }
    let route: &'static str = match what {
        "usage" => "usage",
        "topups" => "topups",
        "packages" => "packages",
        _ => return not_found(),
    };
    if let Some(c) = take(s, route) {
        return c.into_response();
    }
    if iccid != ICCID && !s.any_iccid {
        return not_found();
    }
    let data = match route {
        "usage" => s.usage_body.clone().unwrap_or_else(|| json!({"remaining": 767, "total": 2048, "expired_at": "2025-04-01 00:00:00", "is_unlimited": false, "status": "ACTIVE", "remaining_voice": 0, "remaining_text": 0, "total_voice": 0, "total_text": 0})),
        "topups" => json!([package(PACKAGE, 10, Some(8), 3072, 30), package("examplemobile-7days-1gb-topup", 5, Some(4), 1024, 7), package("examplemobile-30days-10gb-topup", 20, Some(16), 10240, 30)]),
        _ => Value::Array(s.history.clone()),
    };
    Json(json!({"pricing": {"model": "net_pricing", "discount_percentage": 0}, "data": data, "meta": {"message": "api.success"}})).into_response()
}

pub fn package(id: &str, price: i64, net: Option<i64>, mb: i64, days: i64) -> Value {
    json!({"id": id, "type": "topup", "price": price, "net_price": net, "amount": mb, "day": days, "is_unlimited": false,
        "title": format!("{} GB - {days} Days", mb / 1024), "data": format!("{} GB", mb / 1024), "short_info": "No phone number included.",
        "voice": 0, "text": 0, "prices": {"net_price": {"USD": net}, "recommended_retail_price": {"USD": price}}})
}

fn order_reply(post: &Value, n: usize) -> Value {
    json!({"id": 48213 + n, "code": format!("20250301-{:06}", 48213 + n), "package_id": post["package_id"], "currency": "USD", "quantity": 1,
        "type": "topup", "description": post["description"], "esim_type": "local", "validity": 30, "package": "Example Mobile-3 GB - 30 Days",
        "data": "3 GB", "price": 10, "net_price": 8, "pricing_model": "net_pricing", "text": null, "voice": null, "created_at": "2025-03-01 10:15:00",
        "manual_installation": "<p>...</p>", "qrcode_installation": "<p>...</p>", "installation_guides": {"en": "https://example.invalid"}})
}

/// Records the purchase: it shows in the orders list and in the eSIM's package history.
fn place(s: &mut Fake, post: &Value) -> Value {
    let reply = order_reply(post, s.orders.len());
    let mut listed = reply.clone();
    listed["status"] = json!({"name": "Completed", "slug": "completed"});
    s.orders.push(listed);
    let now = chrono::Utc::now().to_rfc3339();
    s.history.push(json!({"id": 728 + s.history.len(), "status": "ACTIVE", "remaining": 3072, "activated_at": now,
        "expired_at": null, "finished_at": null, "package": package(PACKAGE, 10, Some(8), 3072, 30)}));
    reply
}

async fn order(State(st): State<Shared>, headers: HeaderMap, Json(post): Json<Value>) -> Response {
    let mode = {
        let mut s = st.lock().unwrap();
        if !bearer(&headers).is_some_and(|t| s.valid.contains(&t)) {
            return unauthenticated();
        }
        s.order_posts.push(post.clone());
        if let Some(c) = take(&mut s, "order") {
            return c.into_response();
        }
        if post["iccid"] != ICCID {
            return Canned::new(422, r#"{"data":{"iccid":"The selected iccid is invalid."},"meta":{"message":"the parameter is invalid"}}"#).into_response();
        }
        let reply = place(&mut s, &post);
        match s.order_mode {
            OrderMode::Ok => {
                return Json(json!({"data": reply, "meta": {"message": "success"}}))
                    .into_response();
            }
            mode => mode,
        }
    };
    if mode == OrderMode::PlacedThenHang {
        std::future::pending::<()>().await;
    }
    Canned::new(500, r#"{"message":"Server Error"}"#).into_response()
}

async fn orders(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = st.lock().unwrap();
    if !bearer(&headers).is_some_and(|t| s.valid.contains(&t)) {
        return unauthenticated();
    }
    if let Some(c) = take(&mut s, "orders") {
        return c.into_response();
    }
    let needle = q.get("filter[description]").cloned().unwrap_or_default();
    let found: Vec<Value> = if s.hide_topups_in_orders {
        Vec::new()
    } else {
        s.orders
            .iter()
            .filter(|o| {
                o["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(&needle))
            })
            .cloned()
            .collect()
    };
    Json(json!({"data": found, "links": {}, "meta": {"message": "success"}})).into_response()
}
