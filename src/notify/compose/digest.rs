//! The monthly digest (opt-in kind `digest`): per line, what was spent and bought, what
//! failed, the line's use, and a plain word when another listed package would cost less.

use super::render_parts;
use crate::config::MessageKind;
use crate::ledger::Draft;
use crate::money::Money;
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
    let mut rows = vec![("All lines".to_string(), money_list(total))];
    for l in lines {
        rows.push((format!("{} ({})", l.name, l.id), line_words(l)));
        if let Some(r) = &l.better {
            rows.push((format!("{}: a better offer", l.id), advice(r)));
        }
    }
    let intro = format!(
        "What renewd did in {label}: per line, the money spent, the top-ups bought and failed, \
         how much the line uses in a month, and where another package would have cost less."
    );
    render_parts(
        MessageKind::Digest,
        format!("digest:{label}"),
        None,
        format!("renewd: your lines in {label}"),
        &intro,
        &rows,
        "Recommendations compare the line's recent use with the packages its carrier lists today; \
         change topup_package in the config to follow one.",
    )
}

fn line_words(l: &LineMonth) -> String {
    let usage = match l.monthly_use {
        Some(u) => match (u.data, u.balance) {
            (Some(d), _) if d.kb > 0 => format!("uses about {d} a month"),
            (_, Some(b)) if b.minor > 0 => format!("uses about {b} a month"),
            _ => "no use seen".into(),
        },
        None => "not enough readings to tell its use".into(),
    };
    format!(
        "{} spent through {}; {} top-up(s), {} failed; {usage}",
        money_list(&l.spent),
        l.carrier,
        l.topups,
        l.failures
    )
}

fn advice(r: &Recommendation) -> String {
    format!(
        "{} x {} would cost {} a month instead of {}",
        r.count, r.offer.label, r.cost, r.spent
    )
}

fn money_list(list: &[Money]) -> String {
    if list.is_empty() {
        return "nothing".into();
    }
    list.iter()
        .map(Money::to_string)
        .collect::<Vec<_>>()
        .join(" + ")
}
