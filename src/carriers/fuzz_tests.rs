//! Fuzzing every carrier reply parser (proptest): arbitrary bytes and documented bodies with
//! mutations (values swapped for other JSON, keys dropped, text cut short), under every
//! HTTP status class. 0 panics; a purchase is never confirmed without the provider's
//! reference. Cases per property: `PROPTEST_CASES` (256 by default; 6 properties, each case feeding one body to every parser of its adapter).

use chrono::Utc;
use proptest::prelude::*;
use serde_json::Value;

use super::outcome_tests::{http, reply};
use super::{Lookup, Submitted};

/// Documented reply bodies, the seeds for mutation.
const SEEDS: &[&str] = &[
    r#"{"data":{"code":"20250301-048213","currency":"USD","price":5.0,"net_price":4.0,"package":"p","data":"1 GB","validity":7,"description":"d","status":{"slug":"completed"}}}"#,
    r#"{"data":[{"code":"c","description":"d","status":{"slug":"failed"}}]}"#,
    r#"{"data":{"remaining":100,"total":1000,"expired_at":"2025-04-01 00:00:00","is_unlimited":false,"status":"ACTIVE"}}"#,
    r#"{"code":53,"reason":"x","data":{"f":"m"},"meta":{"message":"m"},"message":"m"}"#,
    r#"{"volume":12.5,"expiry_date":"2025-03-01T00:00:00Z","status":"ACTIVE"}"#,
    r#"{"order_number":2000000123,"order_type":"TOPUP","order_date":"2025-03-01T12:00:00Z","order_status":"COMPLETED","invoice_amount":"10.00","currency":"EUR","sims":[{"iccid":"1"}]}"#,
    r#"{"error_code":1000,"error_token":"Conflict","message":"busy","errorCode":"BadCredentials"}"#,
    r#"{"transactionId":4602843,"status":"SUCCESSFUL","customIdentifier":"r","deliveredAmount":15,"deliveredAmountCurrencyCode":"USD","balanceInfo":{"cost":14.48,"currencyCode":"USD"}}"#,
    r#"{"code":null,"message":null,"status":"PROCESSING","transaction":{"transactionId":1,"status":"FAILED"}}"#,
    r#"{"timeStamp":"t","message":"m","path":"/topups","errorCode":"INVALID_RECIPIENT_PHONE"}"#,
    r#"{"TransferRecord":{"TransferId":{"TransferRef":"863784492","DistributorRef":"d"},"SkuCode":"X","Price":{"SendValue":10.0,"SendCurrencyIso":"USD","ReceiveValue":10.0,"ReceiveCurrencyIso":"USD","CustomerFee":0,"DistributorFee":0},"ProcessingState":"Complete","ReceiptText":"ok","ReceiptParams":{"Pin":"1"},"AccountNumber":"1"},"ResultCode":1,"ErrorCodes":[]}"#,
    r#"{"Items":[{"TransferRecord":{"TransferId":{"TransferRef":"1","DistributorRef":"d"},"ProcessingState":"Failed"},"ResultCode":1,"ErrorCodes":[]}],"ResultCode":1,"ErrorCodes":[{"Code":"ProviderError","Context":"c"}]}"#,
    r#"{"state":"confirmed","reference":"r","charged":"5.00 USD","message":"m","balance":"1.00 USD","data":"1 GB","expires":"2025-03-01"}"#,
];

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(Value::String("".into())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every object in `v`, depth-first, as a path of keys.
fn objects(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = v {
        out.push(path.clone());
        for (k, child) in m {
            path.push(k.clone());
            objects(child, path, out);
            path.pop();
        }
    }
}

fn at<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut serde_json::Map<String, Value>> {
    let mut cur = v;
    for k in path {
        cur = cur.get_mut(k)?;
    }
    cur.as_object_mut()
}

/// A seed with `edits` applied: (which object, which key, new value or removal), then
/// maybe cut short.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<usize>(), any::<usize>(), prop::option::of(any_json()));
    (
        0..SEEDS.len(),
        prop::collection::vec(edit, 1..4),
        prop::option::of(any::<usize>()),
    )
        .prop_map(|(seed, edits, cut)| {
            let mut v: Value = serde_json::from_str(SEEDS[seed]).unwrap();
            for (o, k, new) in edits {
                let mut paths = Vec::new();
                objects(&v, &mut Vec::new(), &mut paths);
                let path = paths[o % paths.len()].clone();
                let Some(m) = at(&mut v, &path) else { continue };
                let keys: Vec<String> = m.keys().cloned().collect();
                if keys.is_empty() {
                    continue;
                }
                let key = &keys[k % keys.len()];
                match new {
                    Some(n) => m.insert(key.clone(), n),
                    None => m.remove(key),
                };
            }
            let mut bytes = serde_json::to_vec(&v).unwrap();
            if let Some(c) = cut {
                bytes.truncate(c % (bytes.len() + 1));
            }
            bytes
        })
}

/// A body: arbitrary bytes, or a mutated documented one.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..256), mutated()]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(201), 100u16..600]
}

fn as_reply(status: u16, body: &[u8]) -> super::http::Reply {
    let mut r = reply(200, "");
    r.status = reqwest::StatusCode::from_u16(status).unwrap();
    r.body = body.to_vec();
    r
}

fn has_ref(r: &Option<String>) -> bool {
    r.as_deref().is_some_and(|s| !s.trim().is_empty())
}

proptest! {
    #[test]
    fn airalo_top_up_reply(status in status(), body in body()) {
        if let Ok(Submitted::Confirmed(p)) = super::airalo::placed(&http(), &as_reply(status, &body)) {
            prop_assert!(has_ref(&p.provider_ref), "confirmed without a reference");
            prop_assert!((200..300).contains(&status));
        }
    }

    #[test]
    fn airalo_other_replies(status in status(), body in body()) {
        use super::airalo::api::{Envelope, OrderReply, Usage};
        let h = http();
        let r = as_reply(status, &body);
        let _ = super::airalo::errors::classify(&h, &r).to_string();
        if let Ok(u) = h.json::<Envelope<Usage>>(&r, "usage") {
            let _ = u.data.observation(Utc::now());
        }
        if let Ok(l) = h.json::<Envelope<Vec<OrderReply>>>(&r, "orders") {
            for o in l.data {
                let _ = (o.purchase(), o.failed());
            }
        }
    }

    #[test]
    fn onence_replies(status in status(), body in body()) {
        use super::onence::api::{OrderInfo, Quota};
        let h = http();
        let r = as_reply(status, &body);
        let _ = super::onence::errors::classify(&h, &r).to_string();
        let _ = super::onence::errors::token_error(&h, &r).to_string();
        if let Ok(q) = h.json::<Quota>(&r, "quota") {
            let _ = q.observation(Utc::now());
        }
        if let Ok(o) = h.json::<OrderInfo>(&r, "order")
            && let Lookup::Confirmed(p) = o.lookup()
        {
            prop_assert!(has_ref(&p.provider_ref), "confirmed without an order number");
        }
    }

    #[test]
    fn reloadly_replies(status in status(), body in body()) {
        use super::reloadly::wire;
        let h = http();
        let r = as_reply(status, &body);
        let _ = wire::classify("t", &r).to_string();
        if let Ok(t) = wire::parse_status(&h, &r) {
            let _ = (t.charged(), t.detail());
        }
        let _ = h.json::<wire::AsyncReply>(&r, "async");
    }

    #[test]
    fn ding_replies(status in status(), body in body()) {
        use super::dingconnect::{transfer, wire};
        let h = http();
        let r = as_reply(status, &body);
        if let Ok(Submitted::Confirmed(p)) = transfer::outcome(&h, &r) {
            prop_assert!(has_ref(&p.provider_ref), "confirmed without a TransferRef");
            prop_assert!((200..300).contains(&status));
        }
        if let Ok(l) = super::dingconnect::decode::<wire::TransferList>(&h, &r, "list") {
            for rec in l.items.into_iter().filter_map(|i| i.transfer_record) {
                let _ = (rec.state(), rec.charged(), rec.detail());
            }
        }
    }

    #[test]
    fn command_stdout(body in body()) {
        if let Ok(reply) = super::command::reply::parse(&body) {
            let _ = reply.observation(Utc::now());
            let _ = reply.lookup();
            let _ = reply.submitted();
        }
    }
}
