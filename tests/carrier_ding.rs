//! The DingConnect adapter against a fake Ding on loopback: exact request fields, judging by
//! `ResultCode`/`ProcessingState`, lookups after lost replies, never a second purchase.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use renewd::carriers::{Carrier, CarrierError, Lookup, Order, Submitted};
use renewd::config::Line;
use renewd::model::Offer;

#[path = "common/ding_server.rs"]
mod ding_server;
use ding_server::{After, Shared, start};

struct Rig {
    fake: Shared,
    line: Line,
    carrier: Arc<dyn Carrier>,
    _dir: tempfile::TempDir,
}

async fn rig(amount: &str, sku: &str) -> Rig {
    let (url, fake) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"
[daemon]
state_dir = "{state}"
[carriers.ding]
type = "dingconnect"
api_key = "ding-key"
base_url = "{url}"
timeout = "1s"
[[lines]]
id = "tmo"
carrier = "ding"
number = "+15555550123"
sku_code = "{sku}"
[lines.policy]
expires_within = "2d"
plan_days = 30
topup_amount = "{amount}"
"#,
        state = dir.path().display()
    );
    let cfg = renewd::config::from_str(&toml, Path::new("test.toml")).unwrap();
    let carriers = renewd::carriers::build(&cfg.carriers, dir.path()).unwrap();
    Rig {
        fake,
        line: cfg.lines[0].clone(),
        carrier: carriers["ding"].clone(),
        _dir: dir,
    }
}

fn order(reference: &str, amount: &str) -> Order {
    Order {
        reference: reference.into(),
        offer: Offer {
            amount: amount.parse().unwrap(),
            package: None,
            label: None,
        },
        created_at: Utc::now(),
        provider_ref: None,
        before: None,
    }
}

fn purchases(r: &Rig) -> usize {
    r.fake.lock().unwrap().purchases
}

#[tokio::test]
async fn happy_path_sends_the_documented_fields_exactly() {
    let r = rig("10.10 USD", "XXUS12345").await;
    let offer = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap();
    assert_eq!(offer.label.as_deref(), Some("Example 5-50 USD"));
    let Submitted::Confirmed(p) = r
        .carrier
        .top_up(&r.line, &order("tmo-1", "10.10 USD"))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(p.provider_ref.as_deref(), Some("863784491"));
    assert_eq!(
        p.charged.unwrap().to_string(),
        "10.35 USD",
        "SendValue plus DistributorFee"
    );
    assert!(p.detail.unwrap().contains("Pin: 1234567890"));
    let body = r.fake.lock().unwrap().last_body.clone().unwrap();
    for part in [
        r#""SendValue":10.10"#,
        r#""ValidateOnly":false"#,
        r#""AccountNumber":"15555550123""#,
        r#""DistributorRef":"tmo-1""#,
        r#""SkuCode":"XXUS12345""#,
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }
    assert_eq!(purchases(&r), 1);
}

#[tokio::test]
async fn dry_run_validates_only() {
    let r = rig("10.00 USD", "XXUS12345").await;
    let offer = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap();
    r.carrier.dry_run(&r.line, &offer).await.unwrap();
    let f = r.fake.lock().unwrap();
    assert_eq!((f.validations, f.purchases), (1, 0));
    assert!(
        f.last_body
            .as_ref()
            .unwrap()
            .contains(r#""ValidateOnly":true"#)
    );
}

#[tokio::test]
async fn quote_checks_the_product_range_and_sku() {
    let r = rig("75.00 USD", "XXUS12345").await;
    let err = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("from 5.00 USD to 50.00 USD"), "{err}");
    let r = rig("10.00 USD", "NOPE").await;
    let err = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::Setup { .. }) && err.to_string().contains("NOPE"),
        "{err}"
    );
}

#[tokio::test]
async fn lost_replies_end_in_lookup_and_one_purchase() {
    for after in [After::Hang, After::Cut, After::Garbage] {
        let r = rig("10.00 USD", "XXUS12345").await;
        r.fake.lock().unwrap().after = after;
        let started = Instant::now();
        let err = r
            .carrier
            .top_up(&r.line, &order("tmo-2", "10.00 USD"))
            .await
            .unwrap_err();
        assert!(err.outcome_unknown(), "{after:?}: {err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let found = r
            .carrier
            .lookup(&r.line, &order("tmo-2", "10.00 USD"))
            .await
            .unwrap();
        assert!(
            matches!(found, Lookup::Confirmed(_)),
            "{after:?}: {found:?}"
        );
        assert_eq!(purchases(&r), 1, "{after:?}");
    }
}

#[tokio::test]
async fn processing_states_are_judged_both_spellings() {
    let r = rig("10.00 USD", "XXUS12345").await;
    r.fake.lock().unwrap().new_state = "Submitted".into();
    let o = order("tmo-3", "10.00 USD");
    let sub = r.carrier.top_up(&r.line, &o).await.unwrap();
    assert_eq!(
        sub,
        Submitted::Pending {
            provider_ref: Some("863784491".into())
        }
    );
    assert!(matches!(
        r.carrier.lookup(&r.line, &o).await.unwrap(),
        Lookup::Pending { .. }
    ));
    for (state, done) in [
        ("Completed", true),
        ("Complete", true),
        ("Failed", false),
        ("Cancelled", false),
    ] {
        r.fake.lock().unwrap().transfers[0].2 = state.into();
        let got = r.carrier.lookup(&r.line, &o).await.unwrap();
        assert_eq!(
            matches!(got, Lookup::Confirmed(_)),
            done,
            "{state}: {got:?}"
        );
        assert_eq!(
            matches!(got, Lookup::Failed { .. }),
            !done,
            "{state}: {got:?}"
        );
    }
    assert_eq!(
        r.carrier
            .lookup(&r.line, &order("never-sent", "10.00 USD"))
            .await
            .unwrap(),
        Lookup::NotFound
    );
    assert_eq!(purchases(&r), 1);
}

#[tokio::test]
async fn insufficient_balance_on_http_500_is_unknown_not_failed() {
    // Ding has answered a 5xx after paying: whatever the body says, it is looked up.
    let r = rig("10.00 USD", "XXUS12345").await;
    r.fake.lock().unwrap().balance = 5.0;
    let err = r
        .carrier
        .top_up(&r.line, &order("tmo-4", "10.00 USD"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CarrierError::Server { status: 500, .. }) && err.outcome_unknown(),
        "{err:?}"
    );
    assert_eq!(purchases(&r), 0);
}

/// The DingConnect outcome table of ARCHITECTURE.md, one row per case:
/// (ResultCode, Code, HTTP) -> unknown (looked up), retryable, rate limited, setup.
#[tokio::test]
async fn error_codes_are_classified_by_the_reference() {
    let cases = [
        ((3, "TransientProviderError", 200), true, true, false, false),
        ((3, "ProviderError", 200), true, true, false, false),
        ((3, "ProviderError", 502), true, true, false, false),
        ((5, "InsufficientBalance", 500), true, true, false, false),
        ((3, "ProviderTimedOut", 200), false, true, false, false),
        ((5, "RechargeNotAllowed", 200), false, false, false, false),
        ((5, "InsufficientBalance", 200), false, false, false, false),
        ((4, "ParameterOutOfRange", 400), false, false, false, false),
        ((4, "AccountNumberInvalid", 400), false, false, false, false),
        ((4, "AuthenticationFailed", 401), false, false, false, true),
        ((4, "RateLimited", 200), false, true, true, false),
        ((3, "SomethingNew", 200), true, true, false, false),
        ((5, "SomethingElse", 200), true, true, false, false),
        ((5, "SomethingElse", 400), true, true, false, false),
    ];
    for (refuse, unknown, retryable, limited, setup) in cases {
        let r = rig("10.00 USD", "XXUS12345").await;
        r.fake.lock().unwrap().refuse = Some(refuse);
        let err = r
            .carrier
            .top_up(&r.line, &order("tmo-5", "10.00 USD"))
            .await
            .unwrap_err();
        assert_eq!(err.outcome_unknown(), unknown, "{refuse:?}: {err}");
        assert_eq!(err.retryable(), retryable, "{refuse:?}: {err}");
        assert_eq!(
            matches!(err, CarrierError::RateLimited { .. }),
            limited,
            "{refuse:?}"
        );
        assert_eq!(
            matches!(err, CarrierError::Setup { .. }),
            setup,
            "{refuse:?}"
        );
    }
}

#[tokio::test]
async fn duplicate_reference_is_looked_up_not_resent() {
    let r = rig("10.00 USD", "XXUS12345").await;
    {
        let mut f = r.fake.lock().unwrap();
        f.transfers
            .push(("111".into(), "tmo-6".into(), "Complete".into()));
        f.refuse = Some((4, "DuplicateTransactionPrevented", 200));
    }
    let got = r
        .carrier
        .top_up(&r.line, &order("tmo-6", "10.00 USD"))
        .await
        .unwrap();
    let Submitted::Confirmed(p) = got else {
        panic!("{got:?}")
    };
    assert_eq!(p.provider_ref.as_deref(), Some("111"));
    assert_eq!(purchases(&r), 0);
}

#[tokio::test]
async fn long_references_become_one_stable_short_distributor_ref() {
    let r = rig("10.00 USD", "XXUS12345").await;
    let long = "a-line-with-a-rather-long-identifier-20250301T101500Z-000042";
    r.carrier
        .top_up(&r.line, &order(long, "10.00 USD"))
        .await
        .unwrap();
    let sent = r.fake.lock().unwrap().transfers[0].1.clone();
    assert!(sent.len() <= 50 && sent.is_ascii(), "{sent}");
    assert!(matches!(
        r.carrier
            .lookup(&r.line, &order(long, "10.00 USD"))
            .await
            .unwrap(),
        Lookup::Confirmed(_)
    ));
}
