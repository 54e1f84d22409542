//! The words of every email: receipt, failure and warning drafts, text and HTML.
//!
//! Pure: each function turns facts into a `Draft` whose key makes it once-per-event.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::{Observation, TopUp};
use crate::money::Money;
use crate::policy::CapHit;

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
fn render(
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
fn render_parts(
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

/// A top-up the provider definitely refused.
pub fn topup_failed(line: &Line, t: &TopUp, reason: &str, next: &str, tz: Tz) -> Draft {
    let subject = format!("renewd: top-up FAILED for {}", line.name);
    let rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Carrier".into(), t.carrier.clone()),
        (
            "Tried to buy".into(),
            t.package.clone().unwrap_or_else(|| t.amount.to_string()),
        ),
        ("Why".into(), t.trigger.clone()),
        ("Provider said".into(), reason.to_string()),
        (
            "When".into(),
            local_time(t.settled_at.unwrap_or(t.created_at), tz),
        ),
        ("Ledger id".into(), t.id.to_string()),
    ];
    render(
        MessageKind::Failure,
        format!("failed:{}", t.id),
        line,
        subject,
        &format!("A top-up for {} failed. Nothing was charged.", line.name),
        &rows,
        next,
    )
}

/// A top-up whose outcome could not be settled: a person must check and resolve it.
pub fn unknown_outcome(line: &Line, t: &TopUp, reason: &str) -> Draft {
    let subject = format!(
        "renewd: top-up outcome UNKNOWN for {} (needs you)",
        line.name
    );
    let rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Carrier".into(), t.carrier.clone()),
        ("Amount".into(), t.amount.to_string()),
        ("renewd reference".into(), t.reference.clone()),
        (
            "Provider reference".into(),
            t.provider_ref.clone().unwrap_or_else(|| "none".into()),
        ),
        ("Last error".into(), reason.to_string()),
        ("Ledger id".into(), t.id.to_string()),
    ];
    let outro = format!(
        "renewd buys nothing more for this line until this is settled. Check the carrier's account for the reference above, then run: renewd resolve {} --paid (or --failed)",
        t.id
    );
    render(
        MessageKind::Warning,
        format!("unknown:{}", t.id),
        line,
        subject,
        "renewd sent a top-up but could not learn whether it went through.",
        &rows,
        &outro,
    )
}

/// A cap stopped a purchase (once per line and month).
pub fn cap_blocked(line: &Line, hit: &CapHit, month: (i32, u32), trigger: &str) -> Draft {
    let subject = format!(
        "renewd: {} cap reached, {} not topped up",
        hit.scope, line.name
    );
    let rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Why it wanted to buy".into(), trigger.to_string()),
        ("Would have bought".into(), hit.amount.to_string()),
        (
            format!("Spent this month ({} cap)", hit.scope),
            format!("{} of {}", hit.spent, hit.cap),
        ),
    ];
    let outro = "Raise the cap in the config (monthly_cap) and reload renewd (systemctl reload renewd), or top the line up by hand. You get this warning once a month per line.";
    let key = format!("cap:{}:{}-{:02}", line.id, month.0, month.1);
    render(
        MessageKind::Warning,
        key,
        line,
        subject,
        &format!(
            "{} needs a top-up but the {} monthly cap would be exceeded.",
            line.name, hit.scope
        ),
        &rows,
        outro,
    )
}

/// A warning without a purchase: dry run, cannot act, dead SIM, failing checks.
pub fn warning(
    line: &Line,
    key: String,
    subject: &str,
    intro: &str,
    rows: Vec<(String, String)>,
    outro: &str,
) -> Draft {
    let mut all = vec![("Line".to_string(), format!("{} ({})", line.name, line.id))];
    all.extend(rows);
    render(
        MessageKind::Warning,
        key,
        line,
        format!("renewd: {subject}"),
        intro,
        &all,
        outro,
    )
}

/// The line could not be checked for longer than the grace period.
pub fn check_failing(line: &Line, since: DateTime<Utc>, error: &str, tz: Tz) -> Draft {
    let rows = vec![
        ("Line".into(), format!("{} ({})", line.name, line.id)),
        ("Failing since".into(), local_time(since, tz)),
        ("Last error".into(), error.to_string()),
    ];
    let key = format!("checkfail:{}:{}", line.id, since.timestamp());
    render(
        MessageKind::Failure,
        key,
        line,
        format!("renewd: cannot check {}", line.name),
        &format!(
            "renewd has not been able to check {} since {}.",
            line.name,
            local_time(since, tz)
        ),
        &rows,
        "renewd keeps trying on the line's schedule. Check the carrier's credentials and service status.",
    )
}

/// The message `renewd test-email` sends: proof that the transport works.
pub fn test_message(smtp_url: &str, now: DateTime<Utc>) -> Draft {
    let rows = vec![
        ("Sent through".to_string(), smtp_url.to_string()),
        (
            "Sent at".to_string(),
            now.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ),
    ];
    let intro = "This is a test message from renewd. Receipts, failures and warnings will arrive like this one.";
    render_parts(
        MessageKind::Warning,
        format!("test:{}", now.timestamp_millis()),
        None,
        "renewd: test message".into(),
        intro,
        &rows,
        "",
    )
}
