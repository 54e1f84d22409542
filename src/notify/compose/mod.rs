//! The words of every email: receipt, failure and warning drafts, text and HTML.
//!
//! Pure: each function turns facts into a `Draft` whose key makes it once-per-event.
//! Receipts and failures live here, warnings in `warnings.rs`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::{Observation, TopUp};
use crate::money::Money;

/// Month-to-date spend against the caps, for receipts and cap warnings.
#[derive(Debug, Clone, Default)]
pub struct Spend {
    pub line: Option<Money>,
    pub line_cap: Option<Money>,
    pub global: Option<Money>,
    pub global_cap: Option<Money>,
}

impl Spend {
    fn lines(&self) -> Vec<(String, String)> {
        let show = |spent: Option<Money>, cap: Option<Money>| match (spent, cap) {
            (Some(s), Some(c)) => format!("{s} of {c}"),
            (Some(s), None) => format!("{s} (no cap)"),
            (None, Some(c)) => format!("nothing yet of {c}"),
            (None, None) => "nothing yet (no cap)".into(),
        };
        vec![
            (
                "This line this month".into(),
                show(self.line, self.line_cap),
            ),
            (
                "All lines this month".into(),
                show(self.global, self.global_cap),
            ),
        ]
    }
}

/// Formats a time in the daemon's zone, e.g. "2026-11-30 14:05 EST".
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// Renders rows as plain text and as an HTML table, under a heading paragraph.
pub(super) fn render(
    kind: MessageKind,
    key: String,
    line: &Line,
    subject: String,
    intro: &str,
    rows: &[(String, String)],
    outro: &str,
) -> Draft {
    render_parts(
        kind,
        key,
        Some(line.id.clone()),
        subject,
        intro,
        rows,
        outro,
    )
}

/// `render` for messages that may belong to no line.
pub(super) fn render_parts(
    kind: MessageKind,
    key: String,
    line_id: Option<String>,
    subject: String,
    intro: &str,
    rows: &[(String, String)],
    outro: &str,
) -> Draft {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = format!("{intro}\n\n");
    for (k, v) in rows {
        text.push_str(&format!("{k:width$}  {v}\n"));
    }
    if !outro.is_empty() {
        text.push_str(&format!("\n{outro}\n"));
    }
    text.push_str("\n-- \nrenewd\n");
    let mut html = format!("<html><body><p>{}</p>\n<table>\n", esc(intro));
    for (k, v) in rows {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    html.push_str("</table>\n");
    if !outro.is_empty() {
        html.push_str(&format!("<p>{}</p>\n", esc(outro)));
    }
    html.push_str("<p style=\"color:#888\">renewd</p></body></html>\n");
    Draft {
        key,
        kind,
        line_id,
        subject,
        text,
        html,
        translations: Vec::new(),
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

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

/// After a confirmed top-up.
pub fn receipt(
    line: &Line,
    t: &TopUp,
    after: Option<&Observation>,
    spend: &Spend,
    tz: Tz,
) -> Draft {
    let what = t.package.clone().unwrap_or_else(|| t.amount.to_string());
    let subject = format!("renewd: topped up {} with {what}", line.name);
    let mut rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Carrier".into(), t.carrier.clone()),
        ("Bought".into(), what),
        ("Amount".into(), t.amount.to_string()),
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

/// What a failure email says beyond the facts: the provider's words, and what happens next.
#[derive(Debug, Clone, Default)]
pub struct FailureNote {
    /// The provider's own error text, as it gave it.
    pub provider_text: String,
    /// The provider's own error code, when it gave one.
    pub provider_code: Option<String>,
    /// What renewd does next, e.g. "tries again at the next check".
    pub next: String,
    /// When renewd does it, if it is scheduled.
    pub next_at: Option<DateTime<Utc>>,
    /// What the person can do, e.g. "add funds to the Reloadly wallet".
    pub you_can: String,
}

/// A top-up the provider definitely refused, with its code and the next steps spelled out.
pub fn topup_failed_with(line: &Line, t: &TopUp, note: &FailureNote, tz: Tz) -> Draft {
    let subject = format!("renewd: top-up FAILED for {}", line.name);
    let said = match &note.provider_code {
        Some(code) => format!("{} (code {code})", note.provider_text),
        None => note.provider_text.clone(),
    };
    let mut rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Carrier".into(), t.carrier.clone()),
        (
            "Tried to buy".into(),
            t.package.clone().unwrap_or_else(|| t.amount.to_string()),
        ),
        ("Why".into(), t.trigger.clone()),
        ("Provider said".into(), said),
        (
            "When".into(),
            local_time(t.settled_at.unwrap_or(t.created_at), tz),
        ),
        ("Ledger id".into(), t.id.to_string()),
    ];
    if !note.next.is_empty() {
        let when = note
            .next_at
            .map(|at| format!(" ({})", local_time(at, tz)))
            .unwrap_or_default();
        rows.push(("renewd will".into(), format!("{}{when}", note.next)));
    }
    if !note.you_can.is_empty() {
        rows.push(("You can".into(), note.you_can.clone()));
    }
    let intro = format!("A top-up for {} failed. Nothing was charged.", line.name);
    render(
        MessageKind::Failure,
        format!("failed:{}", t.id),
        line,
        subject,
        &intro,
        &rows,
        "",
    )
}

mod warnings;

pub use warnings::{cap_blocked, check_failing, dry_run, test_message, unknown_outcome, warning};

#[cfg(test)]
mod tests;
