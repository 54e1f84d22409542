//! The monthly digest's facts, read from the ledger and the carriers' listed offers, and
//! queued once per month (its key) when some delivery asks for `digest`.

use chrono::{DateTime, Utc};

use super::Ctx;
use crate::config::{Line, MessageKind};
use crate::ledger::{LedgerError, Month};
use crate::model::TopUpState;
use crate::notify::compose::{self, LineMonth};
use crate::policy::digest::{recommend, usage, within};
use crate::policy::month_of;

/// How many recent readings the use is computed from (about a month when downsampled).
const READINGS: usize = 2000;

/// Whether any delivery wants digests (`email.send` names `digest`).
pub fn wanted(ctx: &Ctx) -> bool {
    ctx.config
        .email
        .as_ref()
        .is_some_and(|e| e.send.contains(&MessageKind::Digest))
}

/// Queues the digest of the month before `now`'s (dropped if it was queued already).
/// Returns whether a new one was queued.
pub async fn queue_last_month(ctx: &Ctx, now: DateTime<Utc>) -> Result<bool, LedgerError> {
    let tz = ctx.config.daemon.timezone;
    let this = month_of(now, tz);
    let last = month_of(this.start - chrono::Duration::seconds(1), tz);
    let mut lines = Vec::new();
    for line in &ctx.config.lines {
        lines.push(line_month(ctx, line, &last).await?);
    }
    let total = ctx.ledger.month_spend(None, &last)?;
    let quiet = |l: &LineMonth| l.spent.is_empty() && l.topups == 0 && l.failures == 0;
    if lines.iter().all(quiet) {
        return Ok(false); // nothing happened that month (e.g. renewd was not installed yet)
    }
    ctx.ledger
        .enqueue(&compose::digest(last.label, &lines, &total), now)
}

async fn line_month(ctx: &Ctx, line: &Line, month: &Month) -> Result<LineMonth, LedgerError> {
    let sim = line.sim();
    let bought: Vec<_> = ctx
        .ledger
        .history(Some(&sim), Some(month.start))?
        .into_iter()
        .filter(|t| t.created_at < month.end)
        .collect();
    let count = |s: TopUpState| bought.iter().filter(|t| t.state == s).count() as u32;
    let spent = ctx.ledger.month_spend(Some(&sim), month)?;
    let readings = ctx.ledger.recent_observations(&sim, READINGS)?;
    let monthly_use = usage(&readings).and_then(|u| u.per_month());
    let seen = usage(&within(&readings, month.start, month.end));
    let offers = match ctx.carriers.get(&line.carrier) {
        Some(c) => c.offers(line).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let monthly_data = monthly_use
        .and_then(|u| u.data)
        .or(seen.and_then(|u| u.data));
    let better = monthly_data
        .zip(spent.first().copied())
        .and_then(|(d, s)| recommend(d, s, &offers));
    Ok(LineMonth {
        name: line.name.clone(),
        id: line.id.clone(),
        carrier: line.carrier.clone(),
        spent,
        topups: count(TopUpState::Confirmed),
        failures: count(TopUpState::Failed),
        monthly_use,
        better,
    })
}
