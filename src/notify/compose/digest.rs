//! The monthly digest (opt-in kind `digest`): per line, what was spent and bought, what
//! failed, the line's use, and a plain word when another listed package would cost less.

use crate::config::MessageKind;
use crate::ledger::Draft;
use crate::money::Money;
use crate::notify::doc::{Doc, Text, Val};
use crate::policy::digest::{Recommendation, Use};

/// One line's month, as the digest tells it.
#[derive(Debug, Clone)]
pub struct LineMonth {
    pub name: String,
    pub id: String,
    pub carrier: String,
    /// Confirmed, submitting and unknown top-ups' money, per currency.
    pub spent: Vec<Money>,
    pub topups: u32,
    pub failures: u32,
    /// The line's use scaled to a month, from its readings.
    pub monthly_use: Option<Use>,
    pub better: Option<Recommendation>,
}

/// The digest for `month` (`(year, month)`), once per month by its key.
pub fn digest(month: (i32, u32), lines: &[LineMonth], total: &[Money]) -> Draft {
    let label = format!("{}-{:02}", month.0, month.1);
    let mut rows = vec![(Text::id("digest-all"), money_list(total))];
    for l in lines {
        let name = Text::Msg(
            "row-line-value",
            vec![
                ("name", l.name.as_str().into()),
                ("id", l.id.as_str().into()),
            ],
        );
        rows.push((name, line_words(l)));
        if let Some(r) = &l.better {
            let better = Text::Msg("digest-better", vec![("id", l.id.as_str().into())]);
            rows.push((better, advice(r)));
        }
    }
    let month = || vec![("month", Val::from(label.as_str()))];
    let doc = Doc {
        subject: Text::Msg("digest-subject", month()),
        intro: Text::Msg("digest-intro", month()),
        rows,
        outro: Some(Text::id("digest-outro")),
    };
    doc.draft(format!("digest:{label}"), MessageKind::Digest, None)
}

fn line_words(l: &LineMonth) -> Text {
    let usage = match l.monthly_use {
        Some(u) => match (u.data, u.balance) {
            (Some(d), _) if d.kb > 0 => Text::Msg("digest-uses", vec![("amount", Val::Data(d))]),
            (_, Some(b)) if b.minor > 0 => Text::Msg("digest-uses", vec![("amount", b.into())]),
            _ => Text::id("digest-no-use"),
        },
        None => Text::id("digest-no-readings"),
    };
    Text::Msg(
        "digest-line",
        vec![
            ("spent", money_list(&l.spent).into()),
            ("carrier", l.carrier.as_str().into()),
            ("topups", l.topups.to_string().into()),
            ("failed", l.failures.to_string().into()),
            ("usage", usage.into()),
        ],
    )
}

fn advice(r: &Recommendation) -> Text {
    Text::Msg(
        "digest-advice",
        vec![
            ("count", r.count.to_string().into()),
            ("label", r.offer.label.as_str().into()),
            ("cost", r.cost.into()),
            ("spent", r.spent.into()),
        ],
    )
}

fn money_list(list: &[Money]) -> Text {
    if list.is_empty() {
        return Text::id("digest-nothing");
    }
    Text::Value(Val::Sum(list.to_vec()))
}
