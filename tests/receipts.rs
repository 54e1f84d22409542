//! A receipt counts its own purchase in the month's spend, "cheapest" packages included.

mod common;

use common::{Env, read, stderr};

#[test]
fn a_cheapest_purchase_is_counted_in_its_own_receipt() {
    let env = Env::new(
        r#"
[budget]
monthly_cap = "40.00 USD"

[carriers.data]
type = "simulated"
balance = "0.00 USD"
data = "400 MB"
package_data = "1 GB"
package_price = "3.00 USD"

[[lines]]
id = "tablet"
name = "Tablet"
carrier = "data"
check = "every 6h"
[lines.policy]
data_below = "500 MB"
topup_package = "cheapest"
min_data = "1 GB"
"#,
    );
    let out = env.renewd(&["once"]);
    assert!(out.status.success(), "once failed: {}", stderr(&out));
    let receipts = env.outbox("receipt");
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let eml = read(&receipts[0]);
    for want in [
        "Subject: renewd: topped up Tablet: 3.00 USD",
        "This line this month  3.00 USD (no cap)",
        "All lines this month  3.00 USD of 40.00 USD",
    ] {
        assert!(eml.contains(want), "receipt lacks {want:?}:\n{eml}");
    }
    assert!(!eml.contains("nothing yet"), "{eml}");
}
