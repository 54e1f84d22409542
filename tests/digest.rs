//! The monthly digest, composed in-process from a real ledger and the simulated carrier:
//! spend, top-ups, failures, use, and a cheaper listed package when there is one.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use renewd::check::{Ctx, digest};
use renewd::ledger::{Caps, Intent, Ledger, Planned, Settlement, SqliteLedger};
use renewd::model::Observation;
use renewd::money::{DataSize, Money};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const CONFIG: &str = r#"
[daemon]
state_dir = "STATE"
[email]
smtp_url = "smtp://127.0.0.1:2525"
from = "renewd <renewd@example.com>"
to = ["me@example.com"]
send = ["receipt", "digest"]
[carriers.sim]
type = "simulated"
package_data = "1 GB"
package_price = "3.00 USD"
[[lines]]
id = "tablet"
carrier = "sim"
[lines.policy]
data_below = "500 MB"
topup_package = "cheapest"
min_data = "1 GB"
"#;

#[tokio::test]
async fn the_digest_tells_spend_use_and_a_cheaper_package_once_a_month() {
    let dir = tempfile::tempdir().unwrap();
    let text = CONFIG.replace("STATE", &dir.path().display().to_string());
    let config = renewd::config::from_str(&text, Path::new("t.toml")).unwrap();
    let ledger: Arc<dyn Ledger> = Arc::new(SqliteLedger::open(dir.path()).unwrap());
    let carriers = renewd::carriers::build(&config.carriers, dir.path()).unwrap();
    let line = config.lines[0].clone();
    let ctx = Ctx {
        config: Arc::new(config),
        carriers: Arc::new(carriers),
        ledger: ledger.clone(),
        dry_run: false,
    };
    assert!(digest::wanted(&ctx));
    // November: 3 GB used over the month, three 1 GB packages bought at 3.00 USD.
    let usd = |minor| Money::new(minor, renewd::money::Currency::new("USD").unwrap());
    for day in 0..30 {
        let mut o = Observation::empty(t("2026-11-01T00:00:00Z") + chrono::Duration::days(day));
        o.data = Some(DataSize::from_mb(1024 - (day % 10) * 100));
        ledger
            .record_observation("tablet", &line.sim(), &o)
            .unwrap();
    }
    for n in 0..3 {
        let at = t("2026-11-05T00:00:00Z") + chrono::Duration::days(n * 10);
        let intent = Intent {
            line_id: "tablet".into(),
            sim: line.sim(),
            carrier: "sim".into(),
            reference: format!("ref-{n}"),
            amount: usd(300),
            package: Some("1 GB".into()),
            trigger: "data".into(),
            before: None,
            at,
        };
        let caps = Caps {
            line: None,
            global: None,
            month: renewd::policy::month_of(at, chrono_tz::UTC),
        };
        let Planned::Ok(top) = ledger
            .plan_top_up(&intent, &caps, &|_| unreachable!())
            .unwrap()
        else {
            panic!("planned")
        };
        ledger.mark_submitting(top.id, at).unwrap();
        let ok = Settlement::Confirmed {
            provider_ref: None,
            charged: None,
            detail: None,
        };
        ledger.settle(top.id, &ok, at, None).unwrap();
    }
    let now = t("2026-12-01T08:00:00Z");
    assert!(digest::queue_last_month(&ctx, now).await.unwrap());
    assert!(
        !digest::queue_last_month(&ctx, now).await.unwrap(),
        "once a month"
    );
    let msgs = ledger.due_messages(now, 10).unwrap();
    assert_eq!(msgs.len(), 1);
    let d = &msgs[0].draft;
    assert_eq!(d.subject, "renewd: your lines in 2026-11");
    for want in [
        "9.00 USD spent through sim",
        "3 top-up(s), 0 failed",
        "uses about",
        "1 x 3 GB would cost 7.50 USD a month instead of 9.00 USD",
    ] {
        assert!(d.text.contains(want), "{want:?} not in:\n{}", d.text);
    }
}
