//! Steps 3-4 of a check: act on the policy's decision, buying through the ledger's life cycle.
//!
//! Order of every purchase: intent committed with caps checked (`plan_top_up`), then
//! `submitting` committed, then the request, then the outcome with its email in one write.

use chrono::Utc;

use super::outcome::{confirm, fail, note_for};
use super::{Ctx, Outcome, Report, describe, report};
use crate::carriers::{CarrierError, Submitted};
use crate::config::Line;
use crate::ledger::{Caps, Intent, LedgerError, Planned, Settlement};
use crate::model::{Observation, Offer, TopUp};
use crate::notify::compose;
use crate::notify::doc::Text;
use crate::policy::{Decision, month_of};

/// Acts on a decision and returns the check's report.
pub async fn on_decision(
    ctx: &Ctx,
    line: &Line,
    decision: Decision,
    obs: Observation,
) -> Result<Report, LedgerError> {
    let mut r = match decision {
        Decision::Hold { reason } if ctx.dry_run => super::dry::hold(line, &obs, &reason),
        Decision::Hold { reason } => report(line, Outcome::Hold, reason),
        Decision::Wait { reason } => report(line, Outcome::Wait, reason),
        Decision::CannotAct { reason } => {
            let month = month_of(Utc::now(), ctx.config.daemon.timezone).label;
            let key = format!("cannotact:{}:{}-{:02}", line.id, month.0, month.1);
            let draft = compose::warning(
                line,
                key,
                ["cannotact-subject", "cannotact-intro", "cannotact-outro"],
                vec![(Text::id("row-why"), Text::raw(&reason))],
            );
            ctx.ledger.enqueue(&draft, Utc::now())?;
            report(line, Outcome::CannotAct, reason)
        }
        Decision::Dead { reason } => {
            let draft = compose::warning(
                line,
                format!("dead:{}", line.id),
                ["dead-subject", "dead-intro", "dead-outro"],
                vec![(Text::id("row-carrier-says"), Text::raw(&reason))],
            );
            ctx.ledger.enqueue(&draft, Utc::now())?;
            report(line, Outcome::Dead, reason)
        }
        Decision::Stuck { top_up, reason } => stuck(ctx, line, top_up, reason, &obs)?,
        Decision::TopUp { trigger } => buy(ctx, line, &trigger, &obs).await?,
    };
    r.observation = Some(obs);
    Ok(r)
}

/// A confirmed top-up that no reading shows: wait, and tell a person once per top-up.
fn stuck(
    ctx: &Ctx,
    line: &Line,
    top_up: i64,
    reason: String,
    obs: &Observation,
) -> Result<Report, LedgerError> {
    let rows = vec![
        (Text::id("row-why"), Text::raw(&reason)),
        (Text::id("row-carrier-reports"), Text::raw(reading(obs))),
    ];
    let draft = compose::warning(
        line,
        format!("stuck:{top_up}"),
        ["stuck-subject", "stuck-intro", "stuck-outro"],
        rows,
    );
    ctx.ledger.enqueue(&draft, Utc::now())?;
    Ok(report(line, Outcome::Wait, reason))
}

/// A reading in words: "balance 4.20 USD, data 312 MB, expires 2026-12-01 00:00 UTC".
fn reading(obs: &Observation) -> String {
    let mut parts = Vec::new();
    if let Some(b) = obs.balance {
        parts.push(format!("balance {b}"));
    }
    if let Some(d) = obs.data {
        parts.push(format!("data {d}"));
    }
    if let Some(e) = obs.expires_at {
        parts.push(format!("expires {}", e.format("%Y-%m-%d %H:%M UTC")));
    }
    if parts.is_empty() {
        parts.push(obs.state.as_str().to_string());
    }
    parts.join(", ")
}

/// Quotes, commits the intent, sends the purchase and records the outcome.
async fn buy(
    ctx: &Ctx,
    line: &Line,
    trigger: &str,
    obs: &Observation,
) -> Result<Report, LedgerError> {
    let Some(carrier) = ctx.carriers.get(&line.carrier) else {
        return Ok(report(
            line,
            Outcome::Failed,
            format!("carrier {} is not configured", line.carrier),
        ));
    };
    let offer = match carrier.quote(line, &line.policy.topup).await {
        Ok(o) => o,
        Err(e) => return no_offer(ctx, line, trigger, &e),
    };
    let what = offer
        .label
        .clone()
        .or(offer.package.clone())
        .unwrap_or_else(|| offer.amount.to_string());
    if ctx.dry_run {
        // Ask the provider to validate without buying, where it can (DingConnect ValidateOnly).
        if let Err(e) = carrier.dry_run(line, &offer).await {
            let detail = format!("{trigger}; {what} would be refused: {}", describe(&e));
            return Ok(report(line, Outcome::Failed, detail));
        }
        return match super::dry::caps(ctx, line, offer.amount)? {
            Ok(spend) => dry_run(ctx, line, trigger, &format!("{what} ({spend})")),
            Err(hit) => {
                let detail = format!(
                    "{trigger}, but {what} would pass the {} cap ({} spent of {}): would buy nothing",
                    hit.scope, hit.spent, hit.cap
                );
                Ok(report(line, Outcome::Blocked, detail))
            }
        };
    }
    let t = match plan(ctx, line, trigger, obs, &offer)? {
        Planned::Ok(t) => t,
        Planned::Blocked(hit) => {
            let detail = format!(
                "{trigger}, but {what} would pass the {} cap ({} spent of {})",
                hit.scope, hit.spent, hit.cap
            );
            return Ok(report(line, Outcome::Blocked, detail));
        }
    };
    ctx.ledger.mark_submitting(t.id, Utc::now())?;
    tracing::info!(line = %line.id, topup = t.id, reference = %t.reference, "buying {what}: {trigger}");
    let result = carrier.top_up(line, &super::reconcile::order_of(&t)).await;
    submitted(ctx, line, &t, result).await
}

/// Records a purchase without a definite answer as `unknown`: looked up at the next check.
fn leave_unknown(ctx: &Ctx, line: &Line, t: &TopUp, reason: String) -> Result<Report, LedgerError> {
    let t = ctx.ledger.settle(
        t.id,
        &Settlement::Unknown {
            reason: reason.clone(),
        },
        Utc::now(),
        None,
    )?;
    Ok(Report {
        topup: Some(t),
        ..report(line, Outcome::Unknown, reason)
    })
}

/// Commits the intent, with the caps checked in the same transaction.
fn plan(
    ctx: &Ctx,
    line: &Line,
    trigger: &str,
    obs: &Observation,
    offer: &Offer,
) -> Result<Planned, LedgerError> {
    let now = Utc::now();
    let intent = Intent {
        line_id: line.id.clone(),
        sim: line.sim(),
        carrier: line.carrier.clone(),
        reference: new_reference(&line.id, now),
        amount: offer.amount,
        package: offer.package.clone(),
        trigger: trigger.to_string(),
        before: Some(obs.clone()),
        at: now,
    };
    let month = month_of(now, ctx.config.daemon.timezone);
    let caps = Caps {
        line: line.policy.monthly_cap,
        global: ctx.config.monthly_cap,
        month,
    };
    ctx.ledger.plan_top_up(&intent, &caps, &|hit| {
        compose::cap_blocked(line, hit, month.label, trigger)
    })
}

/// Records what the purchase request came back with.
async fn submitted(
    ctx: &Ctx,
    line: &Line,
    t: &TopUp,
    result: Result<Submitted, CarrierError>,
) -> Result<Report, LedgerError> {
    match result {
        Ok(Submitted::Confirmed(p)) => confirm(ctx, line, t, p).await,
        Ok(Submitted::Pending { provider_ref }) => {
            if let Some(r) = &provider_ref {
                ctx.ledger.set_provider_ref(t.id, r)?;
            }
            leave_unknown(
                ctx,
                line,
                t,
                "accepted by the provider; waiting for the result".into(),
            )
        }
        Err(e) if e.outcome_unknown() => {
            let reason = format!(
                "no definite answer: {e}; it will be looked up by reference, never re-sent"
            );
            leave_unknown(ctx, line, t, reason)
        }
        Err(e) => fail(ctx, line, t, &note_for(&e)),
    }
}

/// The carrier would not price the top-up (package not offered, PIN operator, account
/// empty...): nothing was committed; the person hears of it once a day per line.
fn no_offer(
    ctx: &Ctx,
    line: &Line,
    trigger: &str,
    e: &CarrierError,
) -> Result<Report, LedgerError> {
    let now = Utc::now();
    let day = now
        .with_timezone(&ctx.config.daemon.timezone)
        .format("%Y-%m-%d");
    let rows = vec![
        (Text::id("cap-why"), compose::trigger(trigger)),
        (Text::id("row-carrier-said"), Text::raw(e.to_string())),
    ];
    let draft = compose::warning(
        line,
        format!("nooffer:{}:{day}", line.id),
        ["nooffer-subject", "nooffer-intro", "nooffer-outro"],
        rows,
    );
    ctx.ledger.enqueue(&draft, now)?;
    Ok(report(
        line,
        Outcome::Failed,
        format!("{trigger}, but no offer: {}", describe(e)),
    ))
}

/// Dry run: says what would be bought; under `daemon.dry_run` also by email, once a day per line.
fn dry_run(ctx: &Ctx, line: &Line, trigger: &str, what: &str) -> Result<Report, LedgerError> {
    let now = Utc::now();
    if ctx.config.daemon.dry_run {
        let draft = compose::dry_run(line, trigger, what, now, ctx.config.daemon.timezone);
        ctx.ledger.enqueue(&draft, now)?;
    }
    Ok(report(
        line,
        Outcome::DryRun,
        format!("would buy {what}: {trigger}"),
    ))
}

/// A short unique ASCII reference, e.g. `mom-tmobile-20261130T140501-7f3a` (<= 50 chars).
pub fn new_reference(line_id: &str, now: chrono::DateTime<Utc>) -> String {
    let id: String = line_id.chars().take(24).collect();
    format!(
        "{id}-{}-{:04x}",
        now.format("%Y%m%dT%H%M%S"),
        rand::random::<u16>()
    )
}
