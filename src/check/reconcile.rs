//! Step 1 of a check: settle this line's open top-ups before anything else is bought.
//!
//! `planned` rows were never sent (the send is committed as `submitting` first), so they
//! fail safely. `submitting`/`unknown` rows are looked up at the provider by reference;
//! they are never re-sent. One still unsettled after `UNKNOWN_GRACE` draws one email.

use chrono::Utc;

use super::{Ctx, outcome};
use crate::carriers::{Lookup, Order};
use crate::config::Line;
use crate::ledger::{LedgerError, Settlement};
use crate::model::{Offer, TopUp, TopUpState};
use crate::notify::compose;

/// How long an unknown outcome may stay unsettled before a person is emailed.
pub const UNKNOWN_GRACE: chrono::Duration = chrono::Duration::minutes(30);

/// Settles what can be settled among the open top-ups of the line's SIM (also those
/// bought under another config id).
pub async fn open_top_ups(ctx: &Ctx, line: &Line) -> Result<(), LedgerError> {
    let sim = line.sim();
    for t in ctx.ledger.open_top_ups_of(&sim)? {
        if t.state == TopUpState::Planned {
            let reason = "never sent: renewd stopped before sending it".to_string();
            ctx.ledger
                .settle(t.id, &Settlement::Failed { reason }, Utc::now(), None)?;
            tracing::warn!(line = %line.id, topup = t.id, "planned top-up was never sent; marked failed");
            continue;
        }
        look_up(ctx, line, &t).await?;
    }
    Ok(())
}

/// The order as it was sent, rebuilt from its ledger row.
pub fn order_of(t: &TopUp) -> Order {
    Order {
        reference: t.reference.clone(),
        offer: Offer {
            amount: t.amount,
            package: t.package.clone(),
            label: None,
        },
        created_at: t.created_at,
        provider_ref: t.provider_ref.clone(),
        before: t.before.clone(),
    }
}

/// Looks a sent top-up up at the carrier that was asked to make it, and settles it.
pub(super) async fn look_up(ctx: &Ctx, line: &Line, t: &TopUp) -> Result<(), LedgerError> {
    let Some(c) = ctx.carriers.get(&t.carrier) else {
        return still_unknown(
            ctx,
            line,
            t,
            &format!("carrier {} is no longer configured", t.carrier),
        );
    };
    match c.lookup(line, &order_of(t)).await {
        Ok(Lookup::Confirmed(p)) => {
            tracing::info!(line = %line.id, topup = t.id, "lookup confirmed the top-up");
            outcome::confirm(ctx, line, t, p).await.map(|_| ())
        }
        Ok(Lookup::Failed { reason }) => {
            tracing::warn!(line = %line.id, topup = t.id, %reason, "lookup: the top-up failed at the provider");
            outcome::fail(ctx, line, t, &outcome::lookup_failed_note(&reason)).map(|_| ())
        }
        Ok(Lookup::Pending { provider_ref }) => {
            if let Some(r) = provider_ref.filter(|r| t.provider_ref.as_deref() != Some(r)) {
                ctx.ledger.set_provider_ref(t.id, &r)?;
            }
            still_unknown(ctx, line, t, "the provider is still processing it")
        }
        Ok(Lookup::NotFound) => still_unknown(ctx, line, t, "the provider has no record of it yet"),
        Err(e) => still_unknown(ctx, line, t, &format!("lookup failed: {e}")),
    }
}

/// Keeps the top-up open (as `unknown`) and, past the grace period, tells a person once.
fn still_unknown(ctx: &Ctx, line: &Line, t: &TopUp, reason: &str) -> Result<(), LedgerError> {
    let now = Utc::now();
    if t.state == TopUpState::Submitting {
        ctx.ledger.settle(
            t.id,
            &Settlement::Unknown {
                reason: reason.to_string(),
            },
            now,
            None,
        )?;
    }
    tracing::warn!(line = %line.id, topup = t.id, decision = "unknown", "top-up outcome still unknown: {reason}");
    if now - t.sent_at.unwrap_or(t.created_at) >= UNKNOWN_GRACE {
        ctx.ledger
            .enqueue(&compose::unknown_outcome(line, t, reason), now)?;
    }
    Ok(())
}
