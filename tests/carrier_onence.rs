//! The 1NCE adapter against a local server speaking the documented Management API.

#[path = "common/fake.rs"]
mod fake;
#[path = "common/onence_server.rs"]
mod onence_server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use fake::{Canned, line};
use onence_server::{ICCID, PASSWORD, Server, TopUpMode, USER};
use renewd::carriers::{
    Carrier, CarrierError, CarrierSpec, Lookup, Order, Purchase, Submitted, build,
};
use renewd::config::{Line, TopUpChoice};
use renewd::model::{LineState, Observation, Offer};
use renewd::money::{DataSize, Money};

async fn adapter(server: &Server, extra: &str) -> Arc<dyn Carrier> {
    let toml = format!(
        "type = \"1nce\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\nbase_url = \"{}\"\n{extra}",
        server.base
    );
    let spec: CarrierSpec = toml::from_str(&toml).expect("carrier section");
    let dir = tempfile::tempdir().expect("tempdir");
    build(&BTreeMap::from([("iot".to_string(), spec)]), dir.path())
        .expect("build")
        .remove("iot")
        .expect("adapter")
}

fn price() -> Money {
    "10.00 EUR".parse().unwrap()
}

fn the_line() -> Line {
    line("iot", ICCID, TopUpChoice::Amount(price()))
}

fn order(before: Option<Observation>) -> Order {
    let offer = Offer {
        amount: price(),
        package: None,
        label: None,
    };
    Order {
        reference: "r1".into(),
        offer,
        created_at: Utc::now() - chrono::Duration::seconds(1),
        provider_ref: None,
        before,
    }
}

#[tokio::test]
async fn happy_path_quota_top_up_and_order_with_one_token() {
    let server = Server::start().await;
    let nce = adapter(&server, "").await;
    let line = the_line();

    let obs = nce.status(&line).await.unwrap();
    assert_eq!(obs.data, DataSize::from_mb_f64(435.787951));
    assert_eq!(obs.data.unwrap().kb, 446_247, "MB floats kept to the KB");
    assert_eq!(
        obs.expires_at,
        Some(Utc.with_ymd_and_hms(2034, 1, 1, 0, 0, 0).unwrap())
    );
    assert_eq!((obs.state, obs.balance), (LineState::Active, None));

    let offer = nce.quote(&line, &line.policy.topup).await.unwrap();
    assert_eq!((offer.amount, offer.package), (price(), None));
    assert!(
        nce.quote(
            &line,
            &TopUpChoice::Package {
                id: "x".into(),
                price: None
            }
        )
        .await
        .unwrap_err()
        .to_string()
        .contains("topup_amount")
    );

    let got = nce.top_up(&line, &order(Some(obs))).await.unwrap();
    let want = Purchase {
        provider_ref: Some("2000000123".into()),
        charged: Some(price()),
        detail: Some("1NCE order 2000000123 (TOPUP) completed".into()),
    };
    assert_eq!(got, Submitted::Confirmed(want));
    server.with(|s| {
        assert_eq!(
            (s.token_calls, s.topup_posts),
            (1, 1),
            "one token for all calls"
        );
        assert!(
            s.token_requests_ok,
            "Basic auth with a JSON grant_type body"
        );
    });
}

#[tokio::test]
async fn an_order_not_completed_yet_is_pending_then_looked_up_by_number() {
    let server = Server::start().await;
    server.with(|s| s.new_order_status = "IN_PROGRESS".into());
    let nce = adapter(&server, "").await;
    let got = nce.top_up(&the_line(), &order(None)).await.unwrap();
    assert_eq!(
        got,
        Submitted::Pending {
            provider_ref: Some("2000000123".into())
        },
        "the Location number is kept at once"
    );
    let mut o = order(None);
    o.provider_ref = Some("2000000123".into());
    assert_eq!(
        nce.lookup(&the_line(), &o).await.unwrap(),
        Lookup::Pending {
            provider_ref: Some("2000000123".into())
        }
    );
    server.with(|s| s.orders[0]["order_status"] = "COMPLETED".into());
    assert!(
        matches!(nce.lookup(&the_line(), &o).await.unwrap(), Lookup::Confirmed(p) if p.charged == Some(price()))
    );
    server.with(|s| s.orders[0]["order_status"] = "CANCELLED".into());
    assert!(matches!(
        nce.lookup(&the_line(), &o).await.unwrap(),
        Lookup::Failed { .. }
    ));
    assert_eq!(server.with(|s| s.topup_posts), 1);
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once() {
    let server = Server::start().await;
    let nce = adapter(&server, "").await;
    nce.status(&the_line()).await.unwrap();
    server.revoke_tokens();
    nce.status(&the_line()).await.unwrap();
    assert_eq!(server.with(|s| s.token_calls), 2);
}

#[tokio::test]
async fn token_errors_say_what_to_fix_without_the_password() {
    let server = Server::start().await;
    server.queue(
        "token",
        Canned::new(
            400,
            r#"{"statusCode":400,"errorCode":"BadCredentials","message":"User does not exist"}"#,
        ),
    );
    let nce = adapter(&server, "").await;
    let err = nce.top_up(&the_line(), &order(None)).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, CarrierError::Setup { .. })
            && text.contains("BadCredentials")
            && text.contains("password set again"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD) && !format!("{err:?}").contains(PASSWORD));
    assert_eq!(server.with(|s| s.topup_posts), 0);
}

/// (route, reply, what the error must be): v1 bare, v1 message, v2 shape, 429.
#[tokio::test]
async fn error_shapes_are_classified() {
    type Check = fn(&CarrierError) -> bool;
    let cases: Vec<(&str, Canned, Check)> = vec![
        (
            "quota",
            Canned::new(
                404,
                r#"{"error_code":1000,"error_token":"NotFound","message":"SIM not found"}"#,
            ),
            |e| matches!(e, CarrierError::LineGone { code, message, .. } if code == "NotFound 1000" && message.contains("SIM not found")),
        ),
        (
            "quota",
            Canned::new(
                500,
                r#"{"error_code":1000,"error_token":"InternalServerError","message":"x"}"#,
            ),
            |e| matches!(e, CarrierError::Server { status: 500, .. }),
        ),
        // A read waits out a pause up to 120 s and is sent again; a longer one gives up.
        (
            "quota",
            Canned::new(429, "").header("retry-after", "600"),
            |e| matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 600),
        ),
        // A purchase is never sent again after a 429.
        (
            "topup",
            Canned::new(429, "").header("retry-after", "42"),
            |e| matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 42),
        ),
        (
            "topup",
            Canned::new(404, ""),
            |e| matches!(e, CarrierError::LineGone { code, .. } if code == "HTTP 404"),
        ),
        (
            "topup",
            Canned::new(403, ""),
            |e| matches!(e, CarrierError::Setup { detail, .. } if detail.contains("does not belong")),
        ),
        (
            "topup",
            Canned::new(422, ""),
            |e| matches!(e, CarrierError::Refused { retryable: false, message, .. } if message.contains("extension")),
        ),
        (
            "topup",
            Canned::new(400, r#"{"message":"Payment method used is not valid."}"#),
            |e| matches!(e, CarrierError::Refused { retryable: false, message, .. } if message == "Payment method used is not valid."),
        ),
        (
            "topup",
            Canned::new(
                409,
                r#"{"error_code":1000,"error_token":"Conflict","message":"busy"}"#,
            ),
            // Not a documented top-up answer: the order may have been placed.
            |e| e.outcome_unknown(),
        ),
        ("topup", Canned::new(502, "{\"message\":\"x\"}"), |e| {
            e.outcome_unknown()
        }),
        ("topup", Canned::new(418, ""), |e| e.outcome_unknown()),
    ];
    for (route, reply, check) in cases {
        let server = Server::start().await;
        let nce = adapter(&server, "").await;
        let shown = format!("{} {}", reply.status, reply.body);
        server.queue(route, reply);
        let err = match route {
            "topup" => nce
                .top_up(&the_line(), &order(None))
                .await
                .map(|_| ())
                .unwrap_err(),
            _ => nce.status(&the_line()).await.map(|_| ()).unwrap_err(),
        };
        assert!(check(&err), "{route} {shown} gave {err:?}");
        assert!(server.with(|s| s.orders.is_empty()));
    }
}

#[tokio::test]
async fn a_500_during_the_top_up_found_only_in_the_order_list_stays_open() {
    let server = Server::start().await;
    server.with(|s| s.mode = TopUpMode::PlacedThen500);
    let nce = adapter(&server, "").await;
    let o = order(None);
    let err = nce.top_up(&the_line(), &o).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let found = nce.lookup(&the_line(), &o).await.unwrap();
    // 1NCE takes no reference: an order of this SIM after the send may be another's.
    assert_eq!(found, Lookup::Pending { provider_ref: None });
    assert_eq!(server.with(|s| s.topup_posts), 1, "never sent twice");
}

#[tokio::test]
async fn a_timeout_during_the_top_up_seen_only_in_the_quota_stays_open() {
    let server = Server::start().await;
    server.with(|s| {
        s.mode = TopUpMode::PlacedThenHang;
        s.hide_orders_in_list = true;
    });
    let nce = adapter(&server, "timeout = \"500ms\"").await;
    let before = nce.status(&the_line()).await.unwrap();
    let o = order(Some(before));
    let err = nce.top_up(&the_line(), &o).await.unwrap_err();
    assert!(
        matches!(err, CarrierError::NoAnswer { .. }) && err.outcome_unknown(),
        "{err:?}"
    );
    let found = nce.lookup(&the_line(), &o).await.unwrap();
    assert_eq!(found, Lookup::Pending { provider_ref: None });
    assert_eq!(server.with(|s| s.topup_posts), 1);
}

#[tokio::test]
async fn lookup_of_a_top_up_that_never_happened_is_not_found() {
    let server = Server::start().await;
    let nce = adapter(&server, "").await;
    let before = nce.status(&the_line()).await.unwrap();
    assert_eq!(
        nce.lookup(&the_line(), &order(Some(before))).await.unwrap(),
        Lookup::NotFound
    );
}

#[tokio::test]
async fn malformed_or_wrong_unit_quota_is_an_error_and_buys_nothing() {
    let bodies = [
        "<html>",
        r#"{"volume":"435.78 MB","expiry_date":"2034-01-01T00:00:00.000Z"}"#,
        r#"{"volume":435.78,"expiry_date":"01.01.2034"}"#,
        r#"{"total_volume":500}"#,
    ];
    for body in bodies {
        let server = Server::start().await;
        server.queue("quota", Canned::new(200, body));
        let nce = adapter(&server, "").await;
        let err = nce.status(&the_line()).await.unwrap_err();
        assert!(
            matches!(err, CarrierError::Malformed { .. }),
            "{body} gave {err:?}"
        );
        assert_eq!(server.with(|s| s.topup_posts), 0);
    }
}

#[tokio::test]
async fn a_negative_volume_and_an_exhausted_quota_are_read_as_such() {
    let server = Server::start().await;
    server.queue("quota", Canned::new(200, r#"{"status":{"id":0,"description":"EXHAUSTED"},"volume":-1.5,"expiry_date":"2034-01-01T00:00:00.000Z"}"#));
    let obs = adapter(&server, "")
        .await
        .status(&the_line())
        .await
        .unwrap();
    assert_eq!(obs.data, Some(DataSize { kb: -1536 }));
    assert_eq!(obs.state, LineState::Expired);
}

#[tokio::test]
async fn unknown_iccid_is_gone() {
    let server = Server::start().await;
    let nce = adapter(&server, "timeout = \"5s\"").await;
    let err = nce
        .status(&line(
            "iot",
            "8988228000000009999",
            TopUpChoice::Amount(price()),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::LineGone { .. }) && !err.retryable(),
        "{err:?}"
    );
    assert_eq!(nce.min_settle(), Duration::ZERO);
}
