//! Warnings and other messages without a purchase: unknown outcomes, caps, failing
//! checks, dry runs, and the `test-email` message.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{local_time, render, render_parts};
use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::TopUp;
use crate::policy::CapHit;

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

/// Dry run: what renewd would have bought (once per line and trigger, per day).
pub fn dry_run(line: &Line, trigger: &str, would_buy: &str, now: DateTime<Utc>, tz: Tz) -> Draft {
    let rows = vec![
        ("Why".to_string(), trigger.to_string()),
        ("Would have bought".to_string(), would_buy.to_string()),
        ("Decided at".to_string(), local_time(now, tz)),
    ];
    let key = format!(
        "dryrun:{}:{}",
        line.id,
        now.with_timezone(&tz).format("%Y-%m-%d")
    );
    let outro = "daemon.dry_run is on, so nothing was bought. Set dry_run = false and reload renewd to let it buy.";
    warning(
        line,
        key,
        &format!("dry run: would top up {}", line.name),
        &format!("renewd would have topped up {}.", line.name),
        rows,
        outro,
    )
}

/// The message `renewd test-email` sends: proof that the transport works.
pub fn test_message(smtp_url: &str, now: DateTime<Utc>) -> Draft {
    let rows = vec![
        (
            "Sent through".to_string(),
            super::super::redact::redact_urls(smtp_url),
        ),
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
