//! Open top-ups whose SIM no configured line has any more (the line was removed, or its
//! ICCID/number changed): still reconciled at their carrier, never forgotten.

use chrono::Utc;

use super::{Ctx, reconcile};
use crate::config::{Line, Policy, TopUpChoice};
use crate::ledger::{LedgerError, Settlement};
use crate::model::{TopUp, TopUpState};
use crate::schedule::Schedule;

/// Settles what can be settled among open top-ups of SIMs the config no longer has.
/// Returns how many were looked at.
pub async fn reconcile_unconfigured(ctx: &Ctx) -> Result<usize, LedgerError> {
    let sims: std::collections::HashSet<String> = ctx.config.lines.iter().map(Line::sim).collect();
    let orphans: Vec<TopUp> = ctx
        .ledger
        .open_top_ups()?
        .into_iter()
        .filter(|t| !sims.contains(&t.sim))
        .collect();
    for t in &orphans {
        let line = stand_in(t);
        if t.state == TopUpState::Planned {
            let reason = "never sent: renewd stopped before sending it".to_string();
            ctx.ledger
                .settle(t.id, &Settlement::Failed { reason }, Utc::now(), None)?;
            continue;
        }
        tracing::info!(line = %t.line_id, topup = t.id, "reconciling a top-up of a line no longer configured");
        reconcile::look_up(ctx, &line, t).await?;
    }
    Ok(orphans.len())
}

/// A line rebuilt from a top-up's row: enough for its carrier to look the purchase up
/// (the SIM's ICCID or number, the carrier section) and for the emails to name it.
pub fn stand_in(t: &TopUp) -> Line {
    let (iccid, number) = match t.sim.split_once(':') {
        Some(("iccid", v)) => (Some(v.to_string()), None),
        Some(("number", v)) => (None, Some(v.to_string())),
        _ => (None, None),
    };
    Line {
        id: t.line_id.clone(),
        name: format!("{} (no longer in the config)", t.line_id),
        carrier: t.carrier.clone(),
        number,
        iccid,
        schedule: Schedule::parse("every 6h").expect("a valid schedule"),
        operator_id: None,
        sku_code: None,
        status_from: None,
        renews_on: None,
        policy: Policy {
            balance_below: None,
            data_below: None,
            expires_within: None,
            runs_out_within: None,
            topup: match &t.package {
                Some(id) => TopUpChoice::Package {
                    id: id.clone(),
                    price: Some(t.amount),
                },
                None => TopUpChoice::Amount(t.amount),
            },
            monthly_cap: None,
            plan_days: None,
        },
    }
}
