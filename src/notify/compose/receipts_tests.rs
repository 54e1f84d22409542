//! The receipt's whole text, snapshot-style: price in the subject, each fact once, the
//! month's spend including this purchase, and how long the top-up should last.

use super::super::tests::{NY, at, line, top_up, usd};
use super::*;
use crate::money::DataSize;

fn mb(hours_ago: i64, mb: i64) -> Observation {
    Observation {
        data: Some(DataSize::from_mb(mb)),
        ..Observation::empty(at() - chrono::Duration::hours(hours_ago))
    }
}

#[test]
fn a_cheapest_package_receipt_in_full() {
    let t = TopUp {
        package: Some("1 GB - 7 Days".into()),
        amount: usd(300),
        ..top_up()
    };
    // 100 MB a day for two days before the top-up; 1 GB after it: about 10 days.
    let history = [mb(49, 500), mb(25, 400), mb(1, 300)];
    let after = Observation {
        data: Some(DataSize::from_mb(1000)),
        ..Observation::empty(at())
    };
    let spend = Spend {
        line: Some(usd(300)),
        line_cap: None,
        global: Some(usd(300)),
        global_cap: Some(usd(5000)),
    };
    let d = receipt_with_history(&line(), &t, Some(&after), &history, &spend, NY);
    assert_eq!(d.subject, "renewd: topped up Mom <T&M>: 3.00 USD");
    let want = "\
Mom <T&M> was topped up.

Line                  Mom <T&M> (mom)
Carrier               airtime
Bought                1 GB - 7 Days for 3.00 USD
Why                   data 312 MB < 500 MB
When                  2026-11-30 14:05 EST
Provider reference    RLD-7781
renewd reference      renewd-mom-42
Ledger id             42
Data now              1000 MB
Should last           about 10 days at recent use (medium confidence)
This line this month  3.00 USD (no cap)
All lines this month  3.00 USD of 50.00 USD

-- 
renewd
";
    assert_eq!(d.text, want);
    assert_eq!(
        d.text.matches("3.00 USD").count(),
        3,
        "price once in Bought, twice in spend"
    );
}

#[test]
fn an_amount_receipt_without_history_says_nothing_about_lasting() {
    let t = TopUp {
        package: None,
        ..top_up()
    };
    // A minute of history is below the forecast's minimum: no guess is printed.
    let history = [mb(0, 300)];
    let d = receipt_with_history(&line(), &t, None, &history, &Spend::default(), NY);
    assert_eq!(d.subject, "renewd: topped up Mom <T&M>: 25.00 USD");
    assert!(
        d.text.contains("Bought                25.00 USD\n"),
        "{}",
        d.text
    );
    assert!(d.text.contains("Now                   not reported yet\n"));
    assert!(!d.text.contains("Should last"), "{}", d.text);
    assert!(!d.text.contains("Amount"), "{}", d.text);
    assert_eq!(d.text.matches("Bought").count(), 1);
}
