//! Steps 3-4 of a check: act on the policy's decision, buying through the ledger's life cycle.
//!
//! Order of every purchase: intent committed with caps checked (`plan_top_up`), then
//! `submitting` committed, then the request, then the outcome with its email in one write.

use chrono::Utc;

use super::{Ctx, Report, describe, log, report};
use crate::carriers::{CarrierError, Purchase, Submitted};
use crate::config::Line;
use crate::ledger::{Caps, Intent, LedgerError, Planned, Settlement};
use crate::model::{Observation, TopUp};
use crate::notify::compose::{self, Spend};
use crate::policy::{Decision, month_of};

/// Acts on a decision and returns the check's report.
pub async fn on_decision(
    ctx: &Ctx,
    line: &Line,
    decision: Decision,
    obs: Observation,
) -> Result<Report, LedgerError> {
    let mut r = match decision {
        Decision::Hold { reason } => report(line, "hold", reason),
        Decision::Wait { reason } => report(line, "wait", reason),
        Decision::CannotAct { reason } => {
            let month = month_of(Utc::now(), ctx.config.daemon.timezone).label;
            let key = format!("cannotact:{}:{}-{:02}", line.id, month.0, month.1);
            let outro = "Set plan_days or renews_on on the line, or read its status through another carrier with status_from.";
            let draft = compose::warning(
                line,
                key,
                &format!("cannot act on {}", line.name),
                "renewd cannot tell whether this line needs a top-up, so it buys nothing.",
                vec![("Why".into(), reason.clone())],
                outro,
            );
            ctx.ledger.enqueue(&draft, Utc::now())?;
            report(line, "cannot_act", reason)
        }
        Decision::Dead { reason } => {
            let draft = compose::warning(
                line,
                format!("dead:{}", line.id),
                &format!("{} can no longer be topped up", line.name),
                "The carrier reports this SIM as gone; renewd buys nothing for it.",
                vec![("Carrier says".into(), reason.clone())],
                "Replace the SIM/eSIM and update the config.",
            );
            ctx.ledger.enqueue(&draft, Utc::now())?;
            report(line, "dead", reason)
        }
        Decision::TopUp { trigger } => buy(ctx, line, &trigger, &obs).await?,
    };
    r.observation = Some(obs);
    log(&r);
    Ok(r)
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
            "failed",
            format!("carrier {} is not configured", line.carrier),
        ));
    };
    let offer = match carrier.quote(line, &line.policy.topup).await {
        Ok(o) => o,
        Err(e) => {
            return Ok(report(
                line,
                "failed",
                format!("{trigger}, but no offer: {}", describe(&e)),
            ));
        }
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
            return Ok(report(line, "failed", detail));
        }
        return dry_run(ctx, line, trigger, &what);
    }
    let now = Utc::now();
    let reference = new_reference(&line.id, now);
    let intent = Intent {
        line_id: line.id.clone(),
        carrier: line.carrier.clone(),
        reference,
        amount: offer.amount,
        package: offer.package.clone(),
        trigger: trigger.to_string(),
        before: Some(obs.clone()),
        at: now,
    };
    let caps = Caps {
        line: line.policy.monthly_cap,
        global: ctx.config.monthly_cap,
        month: month_of(now, ctx.config.daemon.timezone),
    };
    let month = caps.month.label;
    let t = match ctx.ledger.plan_top_up(&intent, &caps, &|hit| {
        compose::cap_blocked(line, hit, month, trigger)
    })? {
        Planned::Ok(t) => t,
        Planned::Blocked(hit) => {
            let detail = format!(
                "{trigger}, but {what} would pass the {} cap ({} spent of {})",
                hit.scope, hit.spent, hit.cap
            );
            return Ok(report(line, "blocked", detail));
        }
    };
    ctx.ledger.mark_submitting(t.id, Utc::now())?;
    tracing::info!(line = %line.id, topup = t.id, reference = %t.reference, "buying {what}: {trigger}");
    let result = carrier.top_up(line, &super::reconcile::order_of(&t)).await;
    submitted(ctx, line, &t, result).await
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
            let reason = "accepted by the provider; waiting for the result".to_string();
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
                ..report(line, "unknown", reason)
            })
        }
        Err(e) if e.outcome_unknown() => {
            let reason = format!(
                "no definite answer: {e}; it will be looked up by reference, never re-sent"
            );
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
                ..report(line, "unknown", reason)
            })
        }
        Err(e) => {
            let next = if e.retryable() {
                "renewd tries again after the retry pause if the line still needs it."
            } else {
                "renewd tries again after the retry pause, but this needs a person: see what the provider said."
            };
            fail(ctx, line, t, &describe(&e), next)
        }
    }
}

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
    if let Some(c) = p.charged.filter(|c| c.currency == t.amount.currency) {
        settled.amount = c;
    }
    let spend = spend(ctx, line, now)?;
    let receipt = compose::receipt(
        line,
        &settled,
        after.as_ref(),
        &spend_with(spend, &settled, t),
        ctx.config.daemon.timezone,
    );
    let outcome = Settlement::Confirmed {
        provider_ref: p.provider_ref,
        charged: p.charged,
        detail: p.detail,
    };
    let t = ctx.ledger.settle(t.id, &outcome, now, Some(&receipt))?;
    if let Some(obs) = &after {
        ctx.ledger.record_observation(&line.id, obs)?;
    }
    let detail = format!(
        "bought {} ({}), provider ref {}",
        t.package.clone().unwrap_or_else(|| t.amount.to_string()),
        t.trigger,
        t.provider_ref.as_deref().unwrap_or("-")
    );
    Ok(Report {
        topup: Some(t),
        ..report(line, "topup", detail)
    })
}

/// Records a definite failure with its email.
pub fn fail(
    ctx: &Ctx,
    line: &Line,
    t: &TopUp,
    reason: &str,
    next: &str,
) -> Result<Report, LedgerError> {
    let now = Utc::now();
    let mut failed = t.clone();
    failed.settled_at = Some(now);
    let draft = compose::topup_failed(line, &failed, reason, next, ctx.config.daemon.timezone);
    let t = ctx.ledger.settle(
        t.id,
        &Settlement::Failed {
            reason: reason.to_string(),
        },
        now,
        Some(&draft),
    )?;
    Ok(Report {
        topup: Some(t),
        ..report(line, "failed", reason.to_string())
    })
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

/// Month-to-date spend before this top-up, in each cap's currency.
fn spend(ctx: &Ctx, line: &Line, now: chrono::DateTime<Utc>) -> Result<Spend, LedgerError> {
    let month = month_of(now, ctx.config.daemon.timezone);
    let pick = |list: Vec<crate::money::Money>, cur| list.into_iter().find(|m| m.currency == cur);
    let cur = line_currency(line);
    Ok(Spend {
        line: cur.and_then(|c| pick(ctx.ledger.month_spend(Some(&line.id), &month).ok()?, c)),
        line_cap: line.policy.monthly_cap,
        global: cur.and_then(|c| pick(ctx.ledger.month_spend(None, &month).ok()?, c)),
        global_cap: ctx.config.monthly_cap,
    })
}

/// The spend as it will be once this top-up's final amount replaces its planned one.
fn spend_with(mut s: Spend, settled: &TopUp, planned: &TopUp) -> Spend {
    let adjust = |m: Option<crate::money::Money>| {
        m.map(|m| {
            crate::money::Money::new(
                m.minor - planned.amount.minor + settled.amount.minor,
                m.currency,
            )
        })
    };
    s.line = adjust(s.line);
    s.global = adjust(s.global);
    s
}

fn line_currency(line: &Line) -> Option<crate::money::Currency> {
    line.policy
        .monthly_cap
        .map(|m| m.currency)
        .or(match &line.policy.topup {
            crate::config::TopUpChoice::Amount(m) => Some(m.currency),
            crate::config::TopUpChoice::Package { price, .. } => price.map(|p| p.currency),
            crate::config::TopUpChoice::Cheapest { .. } => None,
        })
}

/// Dry run: says what would be bought; under `daemon.dry_run` also by email, once a day per line.
fn dry_run(ctx: &Ctx, line: &Line, trigger: &str, what: &str) -> Result<Report, LedgerError> {
    let now = Utc::now();
    let day = now
        .with_timezone(&ctx.config.daemon.timezone)
        .format("%Y-%m-%d");
    let rows = vec![
        ("Would buy".to_string(), what.to_string()),
        ("Why".to_string(), trigger.to_string()),
    ];
    let draft = compose::warning(
        line,
        format!("dryrun:{}:{day}", line.id),
        &format!("dry run: would top up {}", line.name),
        "renewd runs in dry-run mode and bought nothing.",
        rows,
        "Set dry_run = false in [daemon] to let renewd buy.",
    );
    if ctx.config.daemon.dry_run {
        ctx.ledger.enqueue(&draft, now)?;
    }
    Ok(report(
        line,
        "dry_run",
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
