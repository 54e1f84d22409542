//! Warnings and other messages without a purchase: unknown outcomes, caps, failing
//! checks, dry runs, and the `test-email` message.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{draft, line_row, msg, of_line, when};
use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::TopUp;
use crate::notify::doc::{Doc, Text, Val};
use crate::policy::CapHit;

/// A top-up whose outcome could not be settled: a person must check and resolve it.
pub fn unknown_outcome(line: &Line, t: &TopUp, reason: &str) -> Draft {
    let provider_ref = match &t.provider_ref {
        Some(r) => Text::raw(r),
        None => Text::id("none-given"),
    };
    let rows = vec![
        line_row(line),
        (Text::id("row-carrier"), Text::raw(&t.carrier)),
        (Text::id("row-amount"), Text::Value(t.amount.into())),
        (Text::id("row-renewd-ref"), Text::raw(&t.reference)),
        (Text::id("row-provider-ref"), provider_ref),
        (Text::id("row-last-error"), Text::raw(reason)),
        (Text::id("row-ledger-id"), Text::raw(t.id.to_string())),
    ];
    let doc = Doc {
        subject: of_line("unknown-subject", line),
        intro: Text::id("unknown-intro"),
        rows,
        outro: Some(msg("unknown-outro", vec![("id", t.id.to_string().into())])),
    };
    draft(MessageKind::Warning, format!("unknown:{}", t.id), line, doc)
}

/// A cap stopped a purchase (once per line and month).
pub fn cap_blocked(line: &Line, hit: &CapHit, month: (i32, u32), trigger: &str) -> Draft {
    let scope = || -> Val {
        let id = if hit.scope == "line" {
            "cap-scope-line"
        } else {
            "cap-scope-global"
        };
        Text::id(id).into()
    };
    let rows = vec![
        line_row(line),
        (Text::id("cap-why"), super::trigger(trigger)),
        (Text::id("cap-would-buy"), Text::Value(hit.amount.into())),
        (
            msg("cap-spent", vec![("scope", scope())]),
            msg(
                "spend-of",
                vec![("spent", hit.spent.into()), ("cap", hit.cap.into())],
            ),
        ),
    ];
    let with_line = |id| {
        msg(
            id,
            vec![("scope", scope()), ("line", line.name.as_str().into())],
        )
    };
    let doc = Doc {
        subject: with_line("cap-subject"),
        intro: with_line("cap-intro"),
        rows,
        outro: Some(Text::id("cap-outro")),
    };
    let key = format!("cap:{}:{}-{:02}", line.id, month.0, month.1);
    draft(MessageKind::Warning, key, line, doc)
}

/// A warning without a purchase (cannot act, dead SIM, stuck top-up, no offer): `ids`
/// names its `[subject, intro, outro]` in the catalogue, each given `$line`; the line's
/// row comes first.
pub fn warning(line: &Line, key: String, ids: [&'static str; 3], rows: Vec<(Text, Text)>) -> Draft {
    let [subject, intro, outro] = ids;
    let mut all = vec![line_row(line)];
    all.extend(rows);
    let doc = Doc {
        subject: of_line(subject, line),
        intro: of_line(intro, line),
        rows: all,
        outro: Some(of_line(outro, line)),
    };
    draft(MessageKind::Warning, key, line, doc)
}

/// The line could not be checked for longer than the grace period.
pub fn check_failing(line: &Line, since: DateTime<Utc>, error: &str, tz: Tz) -> Draft {
    let rows = vec![
        line_row(line),
        (Text::id("checkfail-since"), when(since, tz)),
        (Text::id("row-last-error"), Text::raw(error)),
    ];
    let doc = Doc {
        subject: of_line("checkfail-subject", line),
        intro: msg(
            "checkfail-intro",
            vec![
                ("line", line.name.as_str().into()),
                ("since", Val::Time(since, tz)),
            ],
        ),
        rows,
        outro: Some(Text::id("checkfail-outro")),
    };
    let key = format!("checkfail:{}:{}", line.id, since.timestamp());
    draft(MessageKind::Failure, key, line, doc)
}

/// Dry run: what renewd would have bought (once per line and trigger, per day).
pub fn dry_run(line: &Line, trigger: &str, would_buy: &str, now: DateTime<Utc>, tz: Tz) -> Draft {
    let rows = vec![
        line_row(line),
        (Text::id("row-why"), super::trigger(trigger)),
        (Text::id("cap-would-buy"), Text::raw(would_buy)),
        (Text::id("dryrun-decided"), when(now, tz)),
    ];
    let key = format!(
        "dryrun:{}:{}",
        line.id,
        now.with_timezone(&tz).format("%Y-%m-%d")
    );
    let doc = Doc {
        subject: of_line("dryrun-subject", line),
        intro: of_line("dryrun-intro", line),
        rows,
        outro: Some(Text::id("dryrun-outro")),
    };
    draft(MessageKind::Warning, key, line, doc)
}

/// The message `renewd test-email` sends: proof that the transport works.
pub fn test_message(smtp_url: &str, now: DateTime<Utc>) -> Draft {
    let doc = Doc {
        subject: Text::id("test-subject"),
        intro: Text::id("test-intro"),
        rows: vec![
            (
                Text::id("test-through"),
                Text::raw(super::super::redact::redact_urls(smtp_url)),
            ),
            (
                Text::id("test-at"),
                Text::raw(now.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            ),
        ],
        outro: None,
    };
    doc.draft(
        format!("test:{}", now.timestamp_millis()),
        MessageKind::Warning,
        None,
    )
}
