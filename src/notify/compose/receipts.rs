//! The receipt after a confirmed top-up: what was bought for what price, the line now,
//! how long it should last at recent use, and the month's spend.

use std::time::Duration;

use chrono_tz::Tz;

use super::{Spend, local_time, render};
use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::{Observation, TopUp};
use crate::policy::{Forecast, estimate};

fn after_rows(after: Option<&Observation>, tz: Tz) -> Vec<(String, String)> {
    let Some(o) = after else {
        return vec![("Now".into(), "not reported yet".into())];
    };
    let mut rows = Vec::new();
    if let Some(b) = o.balance {
        rows.push(("Balance now".into(), b.to_string()));
    }
    if let Some(d) = o.data {
        rows.push(("Data now".into(), d.to_string()));
    }
    if let Some(e) = o.expires_at {
        rows.push(("Expires".into(), local_time(e, tz)));
    }
    rows
}

/// "about 12 days", or hours under two days.
fn about(d: Duration) -> String {
    let hours = (d.as_secs_f64() / 3600.0).round() as u64;
    match hours {
        0..=47 => format!("about {hours} hours"),
        _ => format!("about {} days", (hours as f64 / 24.0).round() as u64),
    }
}

/// How long the line's figure after the top-up lasts at the rate measured before it;
/// `None` without a reading after it or below the forecast's minimum history.
fn should_last(history: &[Observation], after: Option<&Observation>) -> Option<String> {
    let after = after?;
    let f = estimate(history, Some(after), after.at).filter(Forecast::enough_for_purchase)?;
    Some(format!(
        "{} at recent use ({} confidence)",
        about(f.left),
        f.confidence
    ))
}

/// After a confirmed top-up, without the readings before it (no "Should last" row).
pub fn receipt(
    line: &Line,
    t: &TopUp,
    after: Option<&Observation>,
    spend: &Spend,
    tz: Tz,
) -> Draft {
    receipt_with_history(line, t, after, &[], spend, tz)
}

/// After a confirmed top-up. `history` holds the line's readings before it, oldest first.
pub fn receipt_with_history(
    line: &Line,
    t: &TopUp,
    after: Option<&Observation>,
    history: &[Observation],
    spend: &Spend,
    tz: Tz,
) -> Draft {
    let price = t.amount.to_string();
    let bought = match &t.package {
        Some(p) => format!("{p} for {price}"),
        None => price.clone(),
    };
    let subject = format!("renewd: topped up {}: {price}", line.name);
    let mut rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Carrier".into(), t.carrier.clone()),
        ("Bought".into(), bought),
        ("Why".into(), t.trigger.clone()),
        (
            "When".into(),
            local_time(t.settled_at.unwrap_or(t.created_at), tz),
        ),
        (
            "Provider reference".into(),
            t.provider_ref
                .clone()
                .unwrap_or_else(|| "none given".into()),
        ),
        ("renewd reference".into(), t.reference.clone()),
        ("Ledger id".into(), t.id.to_string()),
    ];
    if let Some(d) = &t.detail {
        rows.push(("Provider says".into(), d.clone()));
    }
    rows.extend(after_rows(after, tz));
    if let Some(last) = should_last(history, after) {
        rows.push(("Should last".into(), last));
    }
    rows.extend(spend.lines());
    render(
        MessageKind::Receipt,
        format!("receipt:{}", t.id),
        line,
        subject,
        &format!("{} was topped up.", line.name),
        &rows,
        "",
    )
}

#[cfg(test)]
#[path = "receipts_tests.rs"]
mod tests;
