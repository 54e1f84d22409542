//! The Airalo adapter against a local server speaking the documented Partner API v2.

#[path = "common/airalo_server.rs"]
mod airalo_server;
#[path = "common/fake.rs"]
mod fake;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use airalo_server::{ICCID, OrderMode, PACKAGE, SECRET, Server};
use chrono::{TimeZone, Utc};
use fake::{Canned, line};
use renewd::carriers::{Carrier, CarrierError, CarrierSpec, Lookup, Order, Submitted, build};
use renewd::config::{Line, TopUpChoice};
use renewd::model::{LineState, Offer};
use renewd::money::{DataSize, Money};

async fn adapter(server: &Server, extra: &str) -> Arc<dyn Carrier> {
    let toml = format!(
        "type = \"airalo\"\nclient_id = \"cid\"\nclient_secret = \"{SECRET}\"\nbase_url = \"{}\"\n{extra}",
        server.base
    );
    let spec: CarrierSpec = toml::from_str(&toml).expect("carrier section");
    let dir = tempfile::tempdir().expect("tempdir");
    build(&BTreeMap::from([("travel".to_string(), spec)]), dir.path())
        .expect("build")
        .remove("travel")
        .expect("adapter")
}

fn the_line() -> Line {
    line(
        "travel",
        ICCID,
        TopUpChoice::Package {
            id: PACKAGE.into(),
            price: None,
        },
    )
}

fn order(reference: &str) -> Order {
    let offer = Offer {
        amount: "8.00 USD".parse().unwrap(),
        package: Some(PACKAGE.into()),
        label: None,
    };
    Order {
        reference: reference.into(),
        offer,
        created_at: Utc::now() - chrono::Duration::seconds(1),
        provider_ref: None,
        before: None,
    }
}

#[tokio::test]
async fn happy_path_status_quote_buy_and_look_up_with_one_token() {
    let server = Server::start().await;
    let air = adapter(&server, "").await;
    let line = the_line();

    let obs = air.status(&line).await.unwrap();
    assert_eq!(obs.data, Some(DataSize::from_mb(767)));
    assert_eq!(
        obs.expires_at,
        Some(Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap()),
        "no zone: taken as UTC"
    );
    assert_eq!(
        (obs.state, obs.unlimited, obs.balance),
        (LineState::Active, false, None)
    );

    let offer = air.quote(&line, &line.policy.topup).await.unwrap();
    assert_eq!(
        offer.amount,
        "8.00 USD".parse::<Money>().unwrap(),
        "net_price is what the account pays"
    );
    assert_eq!(
        (offer.package.as_deref(), offer.label.as_deref()),
        (Some(PACKAGE), Some("3 GB - 30 Days"))
    );

    let o = order("ref-1");
    let Submitted::Confirmed(p) = air.top_up(&line, &o).await.unwrap() else {
        panic!("Airalo answers at once")
    };
    assert_eq!(p.provider_ref.as_deref(), Some("20250301-048213"));
    assert_eq!(p.charged, Some("8.00 USD".parse().unwrap()));
    assert_eq!(
        p.detail.as_deref(),
        Some("Example Mobile-3 GB - 30 Days, 3 GB, valid 30 days")
    );
    let post = server.with(|s| s.order_posts[0].clone());
    assert_eq!(
        post,
        serde_json::json!({"package_id": PACKAGE, "iccid": ICCID, "description": "renewd:travel:ref-1"})
    );

    assert!(
        matches!(air.lookup(&line, &o).await.unwrap(), Lookup::Confirmed(p) if p.provider_ref.as_deref() == Some("20250301-048213"))
    );
    let later = Order {
        created_at: Utc::now() + chrono::Duration::minutes(5),
        ..order("ref")
    };
    assert_eq!(
        air.lookup(&line, &later).await.unwrap(),
        Lookup::NotFound,
        "LIKE hits are compared exactly; the history entry is older"
    );
    server.with(|s| {
        assert_eq!(s.token_calls, 1, "the token is cached");
        assert!(
            s.token_bodies[0].contains("client_id=cid")
                && s.token_bodies[0].contains("grant_type=client_credentials")
        );
    });
    assert_eq!(
        air.min_settle(),
        Duration::from_secs(25 * 60),
        "longer than the 20-minute usage cache"
    );
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once() {
    let server = Server::start().await;
    let air = adapter(&server, "").await;
    air.status(&the_line()).await.unwrap();
    server.revoke_tokens();
    air.status(&the_line()).await.unwrap();
    assert_eq!(server.with(|s| s.token_calls), 2);
}

#[tokio::test]
async fn bad_credentials_are_a_setup_error_without_the_secret() {
    let server = Server::start().await;
    server.queue(
        "token",
        Canned::new(
            401,
            r#"{"data":[],"meta":{"message":"Client authentication failed"}}"#,
        ),
    );
    let air = adapter(&server, "").await;
    let err = air.status(&the_line()).await.unwrap_err();
    assert!(matches!(err, CarrierError::Setup { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("Client authentication failed") && text.contains("client_secret"),
        "{text}"
    );
    assert!(!text.contains(SECRET) && !format!("{err:?}").contains(SECRET));
}

#[tokio::test]
async fn token_requests_stay_under_three_a_minute() {
    let server = Server::start().await;
    for _ in 0..4 {
        server.queue("token", Canned::new(503, "{}"));
    }
    let air = adapter(&server, "").await;
    for _ in 0..3 {
        let err = air.status(&the_line()).await.unwrap_err();
        assert!(
            matches!(err, CarrierError::NotSent { .. }),
            "a failed token fetch sends nothing: {err:?}"
        );
    }
    let err = air.status(&the_line()).await.unwrap_err();
    assert!(
        matches!(
            err,
            CarrierError::RateLimited {
                retry_after: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.with(|s| s.token_calls), 3);
}

/// (route, reply, what the error must be). Each shape of the reference's error section.
#[tokio::test]
async fn error_shapes_and_business_codes_are_classified() {
    type Check = fn(&CarrierError) -> bool;
    let cases: Vec<(&str, Canned, Check)> = vec![
        (
            "order",
            Canned::new(422, r#"{"code":11,"reason":"Insufficient balance"}"#),
            |e| matches!(e, CarrierError::Refused { code, retryable: false, message, .. } if code == "11" && message.contains("fund your Airalo account")),
        ),
        (
            "order",
            Canned::new(422, r#"{"code":13,"reason":"Operator maintenance"}"#),
            |e| {
                matches!(
                    e,
                    CarrierError::Refused {
                        retryable: true,
                        ..
                    }
                )
            },
        ),
        (
            "order",
            Canned::new(422, r#"{"code":33,"reason":"Not enough stock"}"#),
            |e| {
                matches!(
                    e,
                    CarrierError::Refused {
                        retryable: true,
                        ..
                    }
                )
            },
        ),
        (
            "order",
            // "Unexpected error" does not say the order was not taken.
            Canned::new(422, r#"{"code":53,"reason":"Unexpected"}"#),
            |e| e.outcome_unknown(),
        ),
        (
            "order",
            Canned::new(422, r#"{"code":14,"reason":"Invalid checksum"}"#),
            |e| matches!(e, CarrierError::Refused { retryable: false, message, .. } if message.contains("bug")),
        ),
        (
            "order",
            Canned::new(422, r#"{"code":43,"reason":"Bad request"}"#),
            |e| matches!(e, CarrierError::Refused { retryable: false, message, .. } if message.contains("bug")),
        ),
        (
            "order",
            Canned::new(422, r#"{"code":23,"reason":"Top-up disabled"}"#),
            |e| {
                matches!(
                    e,
                    CarrierError::Refused {
                        retryable: false,
                        ..
                    }
                )
            },
        ),
        (
            "order",
            Canned::new(422, r#"{"code":34,"reason":"Out of stock"}"#),
            |e| {
                matches!(
                    e,
                    CarrierError::Refused {
                        retryable: false,
                        ..
                    }
                )
            },
        ),
        (
            "order",
            Canned::new(422, r#"{"code":73,"reason":"The eSIM has been recycled"}"#),
            |e| matches!(e, CarrierError::LineGone { code, .. } if code == "73"),
        ),
        (
            "order",
            Canned::new(403, r#"{"code":89,"reason":"IP not allowed"}"#),
            |e| matches!(e, CarrierError::Setup { detail, .. } if detail.contains("allow-list")),
        ),
        (
            "order",
            Canned::new(
                422,
                r#"{"data":{"package_id":"invalid topup package"},"meta":{"message":"the parameter is invalid"}}"#,
            ),
            |e| matches!(e, CarrierError::Refused { code, message, retryable: false, .. } if code == "validation" && message.contains("package_id: invalid topup package")),
        ),
        (
            "order",
            Canned::new(429, r#"{"message":"Too Many Attempts."}"#)
                .header("retry-after", "17")
                .header("x-ratelimit-remaining", "0"),
            |e| matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_secs(17)),
        ),
        ("order", Canned::new(502, "<html>bad gateway</html>"), |e| {
            matches!(e, CarrierError::Server { status: 502, .. }) && e.outcome_unknown()
        }),
        (
            "usage",
            Canned::new(
                404,
                r#"{"data":[],"meta":{"message":"messages.resource_not_found"}}"#,
            ),
            |e| matches!(e, CarrierError::LineGone { code, .. } if code == "404"),
        ),
        (
            "usage",
            Canned::new(404, "Not Found"),
            |e| matches!(e, CarrierError::Setup { detail, .. } if detail.contains("base_url")),
        ),
        // A read waits out a pause up to 120 s and is sent again; a longer one gives up.
        (
            "usage",
            Canned::new(429, r#"{"message":"Too Many Attempts."}"#).header("retry-after", "600"),
            |e| matches!(e, CarrierError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 600),
        ),
    ];
    for (route, reply, check) in cases {
        let server = Server::start().await;
        let air = adapter(&server, "").await;
        let shown = reply.body.clone();
        server.queue(route, reply);
        let err = match route {
            "order" => air
                .top_up(&the_line(), &order("r"))
                .await
                .map(|_| ())
                .unwrap_err(),
            _ => air.status(&the_line()).await.map(|_| ()).unwrap_err(),
        };
        assert!(check(&err), "{route} {shown} gave {err:?}");
        if route == "order" && !err.outcome_unknown() {
            assert!(
                server.with(|s| s.orders.is_empty()),
                "a refusal buys nothing"
            );
        }
    }
}

#[tokio::test]
async fn a_500_during_the_order_is_unknown_then_settled_by_lookup() {
    let server = Server::start().await;
    server.with(|s| s.order_mode = OrderMode::PlacedThen500);
    let air = adapter(&server, "").await;
    let o = order("lost-500");
    let err = air.top_up(&the_line(), &o).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert!(
        matches!(air.lookup(&the_line(), &o).await.unwrap(), Lookup::Confirmed(p) if p.provider_ref.as_deref() == Some("20250301-048213"))
    );
    assert_eq!(server.with(|s| s.order_posts.len()), 1, "never sent twice");
}

#[tokio::test]
async fn a_timeout_during_the_order_seen_only_in_the_package_history_stays_open() {
    let server = Server::start().await;
    server.with(|s| {
        s.order_mode = OrderMode::PlacedThenHang;
        s.hide_topups_in_orders = true; // the docs leave open whether top-ups are listed
    });
    let air = adapter(&server, "timeout = \"500ms\"").await;
    let o = order("lost-timeout");
    let err = air.top_up(&the_line(), &o).await.unwrap_err();
    assert!(
        matches!(err, CarrierError::NoAnswer { .. }) && err.outcome_unknown(),
        "{err:?}"
    );
    let found = air.lookup(&the_line(), &o).await.unwrap();
    // The history carries no reference of ours: it neither confirms nor clears.
    assert_eq!(found, Lookup::Pending { provider_ref: None });
    assert_eq!(server.with(|s| s.order_posts.len()), 1);
}

#[tokio::test]
async fn lookup_finds_nothing_when_nothing_was_bought_and_waits_on_a_queued_package() {
    let server = Server::start().await;
    let air = adapter(&server, "").await;
    let o = order("never-sent");
    assert_eq!(air.lookup(&the_line(), &o).await.unwrap(), Lookup::NotFound);
    server.with(|s| s.history.push(serde_json::json!({"id": 9, "status": "NOT_ACTIVE", "remaining": 3072, "activated_at": null, "package": airalo_server::package(PACKAGE, 10, Some(8), 3072, 30)})));
    assert_eq!(
        air.lookup(&the_line(), &o).await.unwrap(),
        Lookup::Pending { provider_ref: None },
        "not started: cannot tell old from new"
    );
}

#[tokio::test]
async fn malformed_or_wrong_unit_usage_is_an_error_and_buys_nothing() {
    let bodies = [
        "{not json",
        r#"{"data":{"remaining":"767 MB","total":2048,"expired_at":"2025-04-01 00:00:00","is_unlimited":false,"status":"ACTIVE"}}"#,
        r#"{"data":{"remaining":0.75,"total":2,"expired_at":"2025-04-01 00:00:00","is_unlimited":false,"status":"ACTIVE"}}"#,
        r#"{"data":{"remaining":-5,"total":2048,"expired_at":"2025-04-01 00:00:00","is_unlimited":false,"status":"ACTIVE"}}"#,
        r#"{"data":{"remaining":767,"total":2048,"expired_at":"01/04/2025","is_unlimited":false,"status":"ACTIVE"}}"#,
    ];
    for body in bodies {
        let server = Server::start().await;
        server.queue("usage", Canned::new(200, body));
        let air = adapter(&server, "").await;
        let err = air.status(&the_line()).await.unwrap_err();
        assert!(
            matches!(err, CarrierError::Malformed { .. }),
            "{body} gave {err:?}"
        );
        assert!(server.with(|s| s.order_posts.is_empty()));
    }
}

#[tokio::test]
async fn unknown_iccid_and_recycled_esim_are_gone() {
    let server = Server::start().await;
    let air = adapter(&server, "").await;
    let err = air
        .status(&line(
            "travel",
            "8910300000000009999",
            TopUpChoice::Cheapest {
                min_data: DataSize::from_mb(1),
            },
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::LineGone { .. }) && !err.retryable(),
        "{err:?}"
    );

    server.with(|s| s.usage_body = Some(serde_json::json!({"remaining": 0, "total": 0, "expired_at": null, "is_unlimited": null, "status": "RECYCLED"})));
    let obs = air.status(&the_line()).await.unwrap();
    assert_eq!(obs.state, LineState::Dead);
    assert!(obs.note.unwrap().contains("new eSIM"));
}

#[tokio::test]
async fn unlimited_packages_report_no_data_figure() {
    let server = Server::start().await;
    server.with(|s| s.usage_body = Some(serde_json::json!({"remaining": 0, "total": 0, "expired_at": "2025-04-01 00:00:00", "is_unlimited": true, "status": "ACTIVE"})));
    let obs = adapter(&server, "")
        .await
        .status(&the_line())
        .await
        .unwrap();
    assert!(obs.unlimited && obs.data.is_none(), "{obs:?}");
}

#[tokio::test]
async fn quote_checks_the_offer_and_picks_the_cheapest() {
    let server = Server::start().await;
    let air = adapter(&server, "").await;
    let line = the_line();
    let err = air
        .quote(
            &line,
            &TopUpChoice::Package {
                id: "nope".into(),
                price: None,
            },
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        !err.retryable()
            && text.contains("\"nope\" is not offered")
            && text.contains(PACKAGE)
            && text.contains("8.00 USD"),
        "{text}"
    );

    let cheapest = |mb| TopUpChoice::Cheapest {
        min_data: DataSize::from_mb(mb),
    };
    let cases = [
        (500, "examplemobile-7days-1gb-topup"),
        (2048, PACKAGE),
        (5000, "examplemobile-30days-10gb-topup"),
    ];
    for (mb, want) in cases {
        assert_eq!(
            air.quote(&line, &cheapest(mb))
                .await
                .unwrap()
                .package
                .as_deref(),
            Some(want),
            "min {mb} MB"
        );
    }
    assert!(
        air.quote(&line, &cheapest(20000))
            .await
            .unwrap_err()
            .to_string()
            .contains("no offered top-up gives at least")
    );

    let capped = TopUpChoice::Package {
        id: PACKAGE.into(),
        price: Some("5.00 USD".parse().unwrap()),
    };
    assert!(
        air.quote(&line, &capped)
            .await
            .unwrap_err()
            .to_string()
            .contains("now costs 8.00 USD")
    );
}

#[test]
fn a_plain_http_base_url_for_a_remote_host_is_a_config_error_naming_the_key() {
    let toml = r#"
[carriers.travel]
type = "airalo"
client_id = "cid"
client_secret = "s"
base_url = "http://partners-api.airalo.com/v2"
[[lines]]
id = "travel"
carrier = "travel"
iccid = "8910300000000000001"
[lines.policy]
data_below = "1 GB"
topup_package = "p"
"#;
    let err = renewd::config::from_str(toml, std::path::Path::new("t.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("carriers.travel.base_url")
            && err.contains("https://partners-api.airalo.com/v2"),
        "{err}"
    );
}
