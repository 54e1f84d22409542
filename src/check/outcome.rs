//! The end of a purchase: a confirmed top-up with its receipt, or a failure with its email,
//! each written in one ledger transaction with its message.

use chrono::Utc;

use super::{Ctx, Outcome, Report, report};
use crate::carriers::{CarrierError, Purchase};
use crate::config::Line;
use crate::ledger::{LedgerError, Settlement};
use crate::model::{Observation, TopUp};
use crate::money::{Currency, Money};
use crate::notify::compose::{self, FailureNote, Spend};
use crate::notify::doc::Text;
use crate::policy::{RETRY_PAUSE, month_of};

/// Records a confirmed purchase with its receipt, reading the line once more for the receipt.
pub async fn confirm(
    ctx: &Ctx,
    line: &Line,
    t: &TopUp,
    p: Purchase,
) -> Result<Report, LedgerError> {
    let after = read_after(ctx, line).await;
    let now = Utc::now();
    let mut settled = t.clone();
    settled.provider_ref = p.provider_ref.clone().or(settled.provider_ref);
    settled.settled_at = Some(now);
    settled.detail = p.detail.clone();
    if let Some(c) = p
        .charged
        .filter(|c| c.currency == t.amount.currency && c.minor > 0)
    {
        settled.amount = c;
    }
    let spend = spend(ctx, line, t.amount.currency, now)?;
    let history = ctx
        .ledger
        .recent_observations(&line.sim(), crate::policy::FORECAST_READINGS)?;
    let receipt = compose::receipt_with_history(
        line,
        &settled,
        after.as_ref(),
        &history,
        &spend_with(spend, &settled, t),
        ctx.config.daemon.timezone,
    );
    let outcome = Settlement::Confirmed {
        provider_ref: p.provider_ref,
        charged: p.charged,
        detail: p.detail,
    };
    let mut t = ctx.ledger.settle(t.id, &outcome, now, Some(&receipt))?;
    if let Some(obs) = &after {
        ctx.ledger.record_observation(&line.id, &line.sim(), obs)?;
        note_shown(ctx, &mut t, obs)?;
    }
    let detail = format!(
        "bought {} ({}), provider ref {}",
        t.package.clone().unwrap_or_else(|| t.amount.to_string()),
        t.trigger,
        t.provider_ref.as_deref().unwrap_or("-")
    );
    Ok(Report {
        topup: Some(t),
        ..report(line, Outcome::Topup, detail)
    })
}

/// Records the first reading that shows a confirmed top-up (a figure rose above its
/// before-snapshot); until one does, the line does not buy again for the same crossing.
pub fn note_shown(ctx: &Ctx, t: &mut TopUp, obs: &Observation) -> Result<(), LedgerError> {
    let settled = t.settled_at.unwrap_or(t.created_at);
    let sent = t.sent_at.unwrap_or(t.created_at);
    if t.state != crate::model::TopUpState::Confirmed || t.shown_at.is_some() || obs.at < sent {
        return Ok(());
    }
    if crate::policy::shows_top_up(obs, t.before.as_ref()) {
        ctx.ledger.mark_shown(t.id, obs.at.max(settled))?;
        t.shown_at = Some(obs.at.max(settled));
    }
    Ok(())
}

/// Records a definite failure with its email.
pub fn fail(ctx: &Ctx, line: &Line, t: &TopUp, note: &FailureNote) -> Result<Report, LedgerError> {
    let now = Utc::now();
    let mut failed = t.clone();
    failed.settled_at = Some(now);
    let draft = compose::topup_failed_with(line, &failed, note, ctx.config.daemon.timezone);
    let reason = note.provider_text.clone();
    let t = ctx.ledger.settle(
        t.id,
        &Settlement::Failed {
            reason: reason.clone(),
        },
        now,
        Some(&draft),
    )?;
    Ok(Report {
        topup: Some(t),
        ..report(line, Outcome::Failed, reason)
    })
}

/// What a failure email says about a provider's refusal: its words and code, what renewd
/// does next, and what the person can do.
pub fn note_for(e: &CarrierError) -> FailureNote {
    let code = match e {
        CarrierError::Refused { code, .. } | CarrierError::LineGone { code, .. } => {
            Some(code.clone())
        }
        _ => None,
    };
    let you_can = match e {
        CarrierError::LineGone { .. } => "note-replace-sim",
        CarrierError::Setup { .. } => "note-fix-carrier",
        CarrierError::Refused {
            retryable: false, ..
        } => "note-read-provider",
        _ => "note-nothing-unless",
    };
    FailureNote {
        provider_text: e.to_string(),
        provider_code: code,
        next: Some(Text::id("note-next-pause")),
        next_at: Some(Utc::now() + chrono::Duration::from_std(RETRY_PAUSE).unwrap_or_default()),
        you_can: Some(Text::id(you_can)),
    }
}

/// The note for a top-up a lookup found failed at the provider.
pub fn lookup_failed_note(reason: &str) -> FailureNote {
    FailureNote {
        provider_text: reason.to_string(),
        provider_code: None,
        next: Some(Text::id("note-may-buy-again")),
        next_at: Some(Utc::now() + chrono::Duration::from_std(RETRY_PAUSE).unwrap_or_default()),
        you_can: Some(Text::id("note-nothing-charged")),
    }
}

/// The line's status right after a purchase, when the carrier reports anything (10 s max).
async fn read_after(ctx: &Ctx, line: &Line) -> Option<Observation> {
    let c = ctx.carriers.get(line.status_carrier())?;
    let r = c.reports();
    if !(r.balance || r.data || r.expiry) {
        return None;
    }
    tokio::time::timeout(std::time::Duration::from_secs(10), c.status(line))
        .await
        .ok()?
        .ok()
}

/// Month-to-date spend with this top-up, in the top-up's own currency (a "cheapest"
/// purchase names no currency in the config: its price says it).
fn spend(
    ctx: &Ctx,
    line: &Line,
    cur: Currency,
    now: chrono::DateTime<Utc>,
) -> Result<Spend, LedgerError> {
    let month = month_of(now, ctx.config.daemon.timezone);
    let pick = |list: Vec<Money>| list.into_iter().find(|m| m.currency == cur);
    Ok(Spend {
        line: pick(ctx.ledger.month_spend(Some(&line.sim()), &month)?),
        line_cap: line.policy.monthly_cap,
        global: pick(ctx.ledger.month_spend(None, &month)?),
        global_cap: ctx.config.monthly_cap,
    })
}

/// The spend as it will be once this top-up's final amount replaces its planned one.
fn spend_with(mut s: Spend, settled: &TopUp, planned: &TopUp) -> Spend {
    let adjust = |m: Option<Money>| {
        m.map(|m| {
            Money::new(
                m.minor - planned.amount.minor + settled.amount.minor,
                m.currency,
            )
        })
    };
    s.line = adjust(s.line);
    s.global = adjust(s.global);
    s
}
