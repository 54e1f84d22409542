//! Caps and calendar months: does a purchase fit, and which month does `now` fall in.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::expiry::local_midnight;
use crate::ledger::Month;
use crate::money::Money;

/// Which cap stopped a purchase, with the figures for the warning.
#[derive(Debug, Clone, PartialEq)]
pub struct CapHit {
    /// `"line"` or `"global"`.
    pub scope: &'static str,
    pub cap: Money,
    /// Already counted this month (planned, submitting, confirmed, unknown).
    pub spent: Money,
    pub amount: Money,
}

/// Checks a purchase against the caps. `spent` figures are in the cap's currency.
pub fn check_caps(
    amount: Money,
    line: Option<(Money, Money)>,
    global: Option<(Money, Money)>,
) -> Result<(), CapHit> {
    for (scope, cap) in [("line", line), ("global", global)] {
        let Some((cap, spent)) = cap else { continue };
        let total = spent.checked_add(amount);
        if total.is_none_or(|t| t.minor > cap.minor) {
            return Err(CapHit {
                scope,
                cap,
                spent,
                amount,
            });
        }
    }
    Ok(())
}

/// The calendar month containing `now` in `tz`.
pub fn month_of(now: DateTime<Utc>, tz: Tz) -> Month {
    let local = now.with_timezone(&tz);
    let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1).expect("day 1 exists");
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("next month exists");
    Month {
        start: local_midnight(first, tz),
        end: local_midnight(next, tz),
        label: (local.year(), local.month()),
    }
}
