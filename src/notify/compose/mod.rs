//! The words of every email: receipt, failure and warning drafts, text and HTML.
//!
//! Pure: each function turns facts into a `Draft` whose key makes it once-per-event.
//! Receipts and failures live here, warnings in `warnings.rs`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::{Line, MessageKind};
use crate::ledger::Draft;
use crate::model::TopUp;
use crate::money::Money;
use crate::notify::doc::{Doc, Text, Val};

/// Month-to-date spend against the caps, for receipts and cap warnings.
#[derive(Debug, Clone, Default)]
pub struct Spend {
    pub line: Option<Money>,
    pub line_cap: Option<Money>,
    pub global: Option<Money>,
    pub global_cap: Option<Money>,
}

impl Spend {
    pub(super) fn rows(&self) -> Vec<(Text, Text)> {
        let show = |spent: Option<Money>, cap: Option<Money>| match (spent, cap) {
            (Some(s), Some(c)) => msg("spend-of", vec![("spent", s.into()), ("cap", c.into())]),
            (Some(s), None) => msg("spend-no-cap", vec![("spent", s.into())]),
            (None, Some(c)) => msg("spend-nothing-of", vec![("cap", c.into())]),
            (None, None) => Text::id("spend-nothing-no-cap"),
        };
        vec![
            (Text::id("spend-line"), show(self.line, self.line_cap)),
            (Text::id("spend-all"), show(self.global, self.global_cap)),
        ]
    }
}

/// Formats a time in the daemon's zone, e.g. "2026-11-30 14:05 EST".
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    crate::i18n::date_time(crate::i18n::Lang::En, t, tz)
}

fn msg(id: &'static str, args: Vec<(&'static str, Val)>) -> Text {
    Text::Msg(id, args)
}

/// A time as a row value, written for each language.
fn when(t: DateTime<Utc>, tz: Tz) -> Text {
    Text::Value(Val::Time(t, tz))
}

/// `Name (id)`, the first row of every line's message.
fn line_row(line: &Line) -> (Text, Text) {
    (
        Text::id("row-line"),
        msg(
            "row-line-value",
            vec![
                ("name", line.name.as_str().into()),
                ("id", line.id.as_str().into()),
            ],
        ),
    )
}

/// `{ $line }` for subjects and intros.
fn of_line(id: &'static str, line: &Line) -> Text {
    msg(id, vec![("line", line.name.as_str().into())])
}

/// A line's message: its `Doc` rendered in every language.
pub(super) fn draft(kind: MessageKind, key: String, line: &Line, doc: Doc) -> Draft {
    doc.draft(key, kind, Some(line.id.clone()))
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A trigger as policy wrote it, in the reader's language where its form is known
/// ("balance 3.12 USD < 5.00 USD", "data 312 MB < 500 MB", "the plan has expired").
pub fn trigger(s: &str) -> Text {
    let pair = |prefix: &str| {
        s.strip_prefix(prefix)
            .and_then(|rest| rest.split_once(" < "))
            .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
    };
    if let Some((now, limit)) = pair("balance ")
        && let (Ok(n), Ok(l)) = (now.parse::<Money>(), limit.parse::<Money>())
    {
        return msg(
            "trigger-balance",
            vec![("now", n.into()), ("limit", l.into())],
        );
    }
    if let Some((now, limit)) = pair("data ") {
        return msg(
            "trigger-data",
            vec![("now", now.into()), ("limit", limit.into())],
        );
    }
    if s == "the plan has expired" {
        return Text::id("trigger-expired");
    }
    Text::raw(s)
}

/// What a purchase was for: the package's name, else the amount.
fn bought(t: &TopUp) -> Val {
    match &t.package {
        Some(p) => p.as_str().into(),
        None => t.amount.into(),
    }
}

/// What a failure email says beyond the facts: the provider's words, and what happens next.
#[derive(Debug, Clone, Default)]
pub struct FailureNote {
    /// The provider's own error text, as it gave it.
    pub provider_text: String,
    /// The provider's own error code, when it gave one.
    pub provider_code: Option<String>,
    /// What renewd does next (a catalogue message), e.g. "tries again after a pause".
    pub next: Option<Text>,
    /// When renewd does it, if it is scheduled.
    pub next_at: Option<DateTime<Utc>>,
    /// What the person can do (a catalogue message), e.g. "add funds to the wallet".
    pub you_can: Option<Text>,
}

/// A top-up the provider definitely refused, with its code and the next steps spelled out.
pub fn topup_failed_with(line: &Line, t: &TopUp, note: &FailureNote, tz: Tz) -> Draft {
    let said = match &note.provider_code {
        Some(code) => msg(
            "failed-said-code",
            vec![
                ("text", note.provider_text.as_str().into()),
                ("code", code.as_str().into()),
            ],
        ),
        None => Text::raw(&note.provider_text),
    };
    let mut rows = vec![
        line_row(line),
        (Text::id("row-carrier"), Text::raw(&t.carrier)),
        (Text::id("failed-tried"), Text::Value(bought(t))),
        (Text::id("row-why"), trigger(&t.trigger)),
        (Text::id("failed-said"), said),
        (
            Text::id("row-when"),
            when(t.settled_at.unwrap_or(t.created_at), tz),
        ),
        (Text::id("row-ledger-id"), Text::raw(t.id.to_string())),
    ];
    if let Some(next) = &note.next {
        let next = match note.next_at {
            Some(at) => msg(
                "failed-next-at",
                vec![("what", next.clone().into()), ("when", Val::Time(at, tz))],
            ),
            None => next.clone(),
        };
        rows.push((Text::id("failed-will"), next));
    }
    if let Some(you_can) = &note.you_can {
        rows.push((Text::id("failed-you-can"), you_can.clone()));
    }
    let doc = Doc {
        subject: of_line("failed-subject", line),
        intro: of_line("failed-intro", line),
        rows,
        outro: None,
    };
    draft(MessageKind::Failure, format!("failed:{}", t.id), line, doc)
}

mod digest;
mod receipts;
mod warnings;

pub use digest::{LineMonth, digest};
pub use receipts::{receipt, receipt_with_history};

pub use warnings::{cap_blocked, check_failing, dry_run, test_message, unknown_outcome, warning};

#[cfg(test)]
mod snapshots;
#[cfg(test)]
mod tests;
