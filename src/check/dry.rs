//! Dry runs that walk the whole path: what a line would buy now (priced, validated by the
//! provider where it can, with this month's spend and the caps applied), or at which
//! reading it would buy and what. Nothing is committed but the once-a-day dry-run email.

use chrono::Utc;

use super::{Ctx, Outcome, Report, report};
use crate::config::{Line, TopUpChoice};
use crate::ledger::LedgerError;
use crate::model::Observation;
use crate::money::{Money, format_duration};
use crate::policy::{CapHit, check_caps, month_of};

/// The caps applied to a purchase of `amount` now: `Ok(words)` when it fits.
pub fn caps(ctx: &Ctx, line: &Line, amount: Money) -> Result<Result<String, CapHit>, LedgerError> {
    let month = month_of(Utc::now(), ctx.config.daemon.timezone);
    let spent = |sim: Option<&str>, cap: Money| -> Result<Money, LedgerError> {
        let list = ctx.ledger.month_spend(sim, &month)?;
        Ok(list
            .into_iter()
            .find(|m| m.currency == cap.currency)
            .unwrap_or(Money::new(0, cap.currency)))
    };
    let sim = line.sim();
    let line_cap = match line.policy.monthly_cap {
        Some(cap) => Some((cap, spent(Some(&sim), cap)?)),
        None => None,
    };
    let global = match ctx.config.monthly_cap {
        Some(cap) => Some((cap, spent(None, cap)?)),
        None => None,
    };
    let words = |scope: &str, c: Option<(Money, Money)>| match c {
        Some((cap, spent)) => format!("{scope} {spent} of {cap} spent this month"),
        None => format!("no {scope} cap"),
    };
    Ok(check_caps(amount, line_cap, global).map(|()| {
        format!(
            "{}; {}",
            words("line", line_cap),
            words("all lines", global)
        )
    }))
}

/// A line with nothing to buy now, in a dry run: at which reading it would buy, and what.
pub fn hold(line: &Line, obs: &Observation, reason: &str) -> Report {
    let p = &line.policy;
    let mut when = Vec::new();
    if let Some(limit) = p.balance_below {
        let now = obs.balance.map_or("not reported".into(), |b| b.to_string());
        when.push(format!("balance below {limit} (now {now})"));
    }
    if let Some(limit) = p.data_below {
        let now = obs.data.map_or("not reported".into(), |d| d.to_string());
        when.push(format!("data below {limit} (now {now})"));
    }
    if let Some(within) = p.expires_within {
        when.push(format!("the plan ends within {}", format_duration(within)));
    }
    if let Some(within) = p.runs_out_within {
        when.push(format!(
            "the forecast runs out within {}",
            format_duration(within)
        ));
    }
    let detail = format!(
        "{reason}; would buy {} when {}",
        choice(&p.topup),
        when.join(" or ")
    );
    report(line, Outcome::Hold, detail)
}

/// What a policy buys, in words.
pub fn choice(c: &TopUpChoice) -> String {
    match c {
        TopUpChoice::Amount(m) => m.to_string(),
        TopUpChoice::Package { id, price: Some(p) } => format!("package {id} ({p})"),
        TopUpChoice::Package { id, price: None } => format!("package {id}"),
        TopUpChoice::Cheapest { min_data } => {
            format!("the cheapest package with {min_data} or more")
        }
    }
}
