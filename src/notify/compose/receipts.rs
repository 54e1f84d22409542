//! The receipt after a confirmed top-up: what was bought for what price, the line now,
//! how long it should last at recent use, and the month's spend.

use std::time::Duration;

use chrono_tz::Tz;

use super::{Spend, draft, line_row, msg, of_line, trigger, when};
use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::{Observation, TopUp};
use crate::notify::doc::{Doc, Text, Val};
use crate::policy::{Confidence, Forecast, estimate};

fn after_rows(after: Option<&Observation>, tz: Tz) -> Vec<(Text, Text)> {
    let Some(o) = after else {
        return vec![(Text::id("row-now"), Text::id("not-reported"))];
    };
    let mut rows = Vec::new();
    if let Some(b) = o.balance {
        rows.push((Text::id("row-balance-now"), Text::Value(b.into())));
    }
    if let Some(d) = o.data {
        rows.push((Text::id("row-data-now"), Text::Value(Val::Data(d))));
    }
    if let Some(e) = o.expires_at {
        rows.push((Text::id("row-expires"), when(e, tz)));
    }
    rows
}

/// "about 12 days", or hours under two days.
fn about(d: Duration) -> Text {
    let hours = (d.as_secs_f64() / 3600.0).round() as u64;
    match hours {
        0..=47 => msg("about-hours", vec![("n", hours.to_string().into())]),
        _ => {
            let days = (hours as f64 / 24.0).round() as u64;
            msg("about-days", vec![("n", days.to_string().into())])
        }
    }
}

/// How long the line's figure after the top-up lasts at the rate measured before it;
/// `None` without a reading after it or below the forecast's minimum history.
fn should_last(history: &[Observation], after: Option<&Observation>) -> Option<Text> {
    let after = after?;
    let f = estimate(history, Some(after), after.at).filter(Forecast::enough_for_purchase)?;
    let confidence = match f.confidence {
        Confidence::Low => "confidence-low",
        Confidence::Medium => "confidence-medium",
        Confidence::High => "confidence-high",
    };
    Some(msg(
        "receipt-should-last",
        vec![
            ("about", about(f.left).into()),
            ("confidence", Text::id(confidence).into()),
        ],
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
    let price = Val::from(t.amount);
    let bought = match &t.package {
        Some(p) => msg(
            "receipt-package-for",
            vec![("package", p.as_str().into()), ("price", price.clone())],
        ),
        None => Text::Value(price.clone()),
    };
    let subject = msg(
        "receipt-subject",
        vec![("line", line.name.as_str().into()), ("price", price)],
    );
    let provider_ref = match &t.provider_ref {
        Some(r) => Text::raw(r),
        None => Text::id("none-given"),
    };
    let mut rows = vec![
        line_row(line),
        (Text::id("row-carrier"), Text::raw(&t.carrier)),
        (Text::id("row-bought"), bought),
        (Text::id("row-why"), trigger(&t.trigger)),
        (
            Text::id("row-when"),
            when(t.settled_at.unwrap_or(t.created_at), tz),
        ),
        (Text::id("row-provider-ref"), provider_ref),
        (Text::id("row-renewd-ref"), Text::raw(&t.reference)),
        (Text::id("row-ledger-id"), Text::raw(t.id.to_string())),
    ];
    if let Some(d) = &t.detail {
        rows.push((Text::id("row-provider-says"), Text::raw(d)));
    }
    rows.extend(after_rows(after, tz));
    if let Some(last) = should_last(history, after) {
        rows.push((Text::id("row-should-last"), last));
    }
    rows.extend(spend.rows());
    let doc = Doc {
        subject,
        intro: of_line("receipt-intro", line),
        rows,
        outro: None,
    };
    draft(MessageKind::Receipt, format!("receipt:{}", t.id), line, doc)
}

#[cfg(test)]
#[path = "receipts_tests.rs"]
mod tests;
