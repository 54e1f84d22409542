//! The Reloadly adapter against a fake Reloadly on loopback: purchases, reconciliation after
//! lost replies, refusals. Every "unknown" case asserts the fake recorded one purchase only.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use renewd::carriers::{Carrier, CarrierError, Lookup, Order, Submitted};
use renewd::config::Line;
use renewd::model::Offer;

#[path = "common/reloadly_server.rs"]
mod reloadly_server;
use reloadly_server::{After, Shared, operator, start};

struct Rig {
    fake: Shared,
    url: String,
    line: Line,
    carrier: Arc<dyn Carrier>,
    _dir: tempfile::TempDir,
}

async fn rig(line_extra: &str) -> Rig {
    let (url, fake) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"
[daemon]
state_dir = "{state}"
[carriers.airtime]
type = "reloadly"
client_id = "cid"
client_secret = "csecret"
base_url = "{url}"
auth_url = "{url}"
timeout = "1s"
[[lines]]
id = "att-prepaid"
carrier = "airtime"
number = "+15555550123"
{line_extra}
[lines.policy]
expires_within = "2d"
plan_days = 30
topup_amount = "15.00 USD"
"#,
        state = dir.path().display()
    );
    let cfg = renewd::config::from_str(&toml, Path::new("test.toml")).unwrap();
    let carriers = renewd::carriers::build(&cfg.carriers, dir.path()).unwrap();
    Rig {
        fake,
        url,
        line: cfg.lines[0].clone(),
        carrier: carriers["airtime"].clone(),
        _dir: dir,
    }
}

fn order(reference: &str) -> Order {
    Order {
        reference: reference.into(),
        offer: Offer {
            amount: "15.00 USD".parse().unwrap(),
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
async fn happy_path_buys_once_and_reports_nothing_about_the_line() {
    let r = rig("").await;
    assert_eq!(r.carrier.reports(), Default::default());
    let obs = r.carrier.status(&r.line).await.unwrap();
    assert!(obs.balance.is_none() && obs.data.is_none() && obs.expires_at.is_none());

    let offer = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap();
    assert!(offer.label.unwrap().contains("Example Wireless"));
    let Submitted::Confirmed(p) = r.carrier.top_up(&r.line, &order("att-1")).await.unwrap() else {
        panic!("not confirmed")
    };
    assert_eq!(p.provider_ref.as_deref(), Some("4602843"));
    assert_eq!(p.charged.unwrap().to_string(), "14.48 USD");

    let f = r.fake.lock().unwrap();
    assert_eq!(f.purchases, 1);
    assert_eq!(
        f.audiences,
        vec![r.url.clone()],
        "token audience is the airtime host in use"
    );
    assert_eq!(
        f.auto_detects, 1,
        "operator auto-detected once, then cached"
    );
    let body = f.last_body.clone().unwrap();
    assert_eq!(body["customIdentifier"], "att-1");
    assert_eq!(body["operatorId"], 1234);
    assert_eq!(body["amount"].as_f64(), Some(15.0));
    assert_eq!(body["useLocalAmount"], true);
    assert_eq!(body["recipientPhone"]["number"], "15555550123");
    assert_eq!(body["recipientPhone"]["countryCode"], "US");
}

#[tokio::test]
async fn processing_then_lookup_by_transaction_id_in_the_wrapped_shape() {
    let r = rig("operator_id = 1234").await;
    {
        let mut f = r.fake.lock().unwrap();
        f.new_status = "PROCESSING".into();
        f.wrapped_status = true;
    }
    let mut o = order("att-2");
    let Submitted::Pending { provider_ref } = r.carrier.top_up(&r.line, &o).await.unwrap() else {
        panic!("not pending")
    };
    assert_eq!(provider_ref.as_deref(), Some("4602843"));
    assert_eq!(
        r.fake.lock().unwrap().auto_detects,
        0,
        "pinned operator_id is used as is"
    );
    o.provider_ref = provider_ref;
    assert!(matches!(
        r.carrier.lookup(&r.line, &o).await.unwrap(),
        Lookup::Pending { .. }
    ));
    r.fake.lock().unwrap().transactions[0].2 = "SUCCESSFUL".into();
    assert!(matches!(
        r.carrier.lookup(&r.line, &o).await.unwrap(),
        Lookup::Confirmed(_)
    ));
    assert_eq!(purchases(&r), 1);
}

/// A lost reply of each kind leaves the outcome unknown; the lookup by reference finds the purchase.
#[tokio::test]
async fn lost_replies_end_in_lookup_and_one_purchase() {
    for after in [After::Hang, After::Cut, After::Garbage] {
        let r = rig("").await;
        r.fake.lock().unwrap().after = after;
        let started = Instant::now();
        let err = r
            .carrier
            .top_up(&r.line, &order("att-3"))
            .await
            .unwrap_err();
        assert!(err.outcome_unknown(), "{after:?}: {err}");
        let kind_ok = match after {
            After::Garbage => matches!(err, CarrierError::Malformed { .. }),
            _ => matches!(err, CarrierError::NoAnswer { .. }),
        };
        assert!(kind_ok, "{after:?}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{after:?}: the 1s time limit held"
        );
        let found = r.carrier.lookup(&r.line, &order("att-3")).await.unwrap();
        assert!(
            matches!(found, Lookup::Confirmed(_)),
            "{after:?}: {found:?}"
        );
        assert_eq!(purchases(&r), 1, "{after:?}");
    }
}

#[tokio::test]
async fn already_used_after_a_lost_reply_is_looked_up_not_failed() {
    let r = rig("").await;
    {
        let mut f = r.fake.lock().unwrap();
        f.after = After::Cut;
        f.report_blind = 1;
    }
    assert!(
        r.carrier
            .top_up(&r.line, &order("att-4"))
            .await
            .unwrap_err()
            .outcome_unknown()
    );
    assert_eq!(
        r.carrier.lookup(&r.line, &order("att-4")).await.unwrap(),
        Lookup::NotFound
    );
    r.fake.lock().unwrap().after = After::Reply;
    let again = r.carrier.top_up(&r.line, &order("att-4")).await.unwrap();
    let Submitted::Confirmed(p) = again else {
        panic!("{again:?}")
    };
    assert_eq!(p.provider_ref.as_deref(), Some("4602843"));
    assert_eq!(purchases(&r), 1);
}

#[tokio::test]
async fn too_little_account_balance_is_a_permanent_refusal_saying_fund_it() {
    let r = rig("").await;
    r.fake.lock().unwrap().account_balance = 10.0;
    let offer = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap();
    assert!(r.carrier.dry_run(&r.line, &offer).await.is_err());
    let err = r
        .carrier
        .top_up(&r.line, &order("att-5"))
        .await
        .unwrap_err();
    let CarrierError::Refused {
        code,
        message,
        retryable,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(code, "INSUFFICIENT_BALANCE");
    assert!(message.contains("fund the account"), "{message}");
    assert!(!retryable && !err.outcome_unknown());
    assert_eq!(purchases(&r), 0);
}

#[tokio::test]
async fn pin_operators_and_wrong_fixed_amounts_are_refused_before_buying() {
    let r = rig("").await;
    r.fake.lock().unwrap().operator = operator(true, &[]);
    let err = r
        .carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::Setup { .. }) && err.to_string().contains("PIN-based"),
        "{err}"
    );
    assert!(r.carrier.top_up(&r.line, &order("att-6")).await.is_err());

    let r2 = rig("operator_id = 1234").await;
    r2.fake.lock().unwrap().operator = operator(false, &[10.0, 25.0]);
    let err = r2
        .carrier
        .quote(&r2.line, &r2.line.policy.topup)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"10.00 USD\", \"25.00 USD\""), "{err}");
    assert_eq!(purchases(&r) + purchases(&r2), 0);
}

#[tokio::test]
async fn recently_recharged_and_failed_hold_the_number_back() {
    let r = rig("").await;
    r.fake.lock().unwrap().recently_recharged = true;
    let err = r
        .carrier
        .top_up(&r.line, &order("att-7"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{err}"
    );
    r.fake.lock().unwrap().last_body = None;
    let held = r
        .carrier
        .top_up(&r.line, &order("att-8"))
        .await
        .unwrap_err();
    assert!(matches!(held, CarrierError::RateLimited { .. }), "{held}");
    assert!(
        r.fake.lock().unwrap().last_body.is_none(),
        "nothing sent during the 2-minute gap"
    );

    let r = rig("").await;
    r.fake.lock().unwrap().new_status = "FAILED".into();
    let err = r
        .carrier
        .top_up(&r.line, &order("att-9"))
        .await
        .unwrap_err();
    assert!(err.retryable() && !err.outcome_unknown(), "{err}");
    let held = r
        .carrier
        .top_up(&r.line, &order("att-10"))
        .await
        .unwrap_err();
    assert!(
        matches!(held, CarrierError::RateLimited { retry_after: Some(d), .. } if d > Duration::from_secs(29 * 60)),
        "{held}"
    );
    assert_eq!(purchases(&r), 1);
}

#[tokio::test]
async fn an_expired_token_is_renewed_once() {
    let r = rig("").await;
    r.fake.lock().unwrap().expire_token = true;
    r.carrier
        .quote(&r.line, &r.line.policy.topup)
        .await
        .unwrap();
    assert_eq!(r.fake.lock().unwrap().token_fetches, 2);
}

#[tokio::test]
async fn a_server_that_is_not_there_means_nothing_was_sent() {
    let r = rig("").await;
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let toml = format!(
        "[carriers.x]\ntype = \"reloadly\"\nclient_id = \"cid\"\nclient_secret = \"csecret\"\nbase_url = \"{dead}\"\nauth_url = \"{dead}\"\n"
    );
    let specs: std::collections::BTreeMap<String, renewd::carriers::CarrierSpec> =
        toml::from_str::<toml::Table>(&toml).unwrap()["carriers"]
            .clone()
            .try_into()
            .unwrap();
    let c = renewd::carriers::build(&specs, dir.path()).unwrap();
    let err = c["x"].top_up(&r.line, &order("att-11")).await.unwrap_err();
    assert!(
        matches!(err, CarrierError::NotSent { .. }) && !err.outcome_unknown(),
        "{err}"
    );
}
