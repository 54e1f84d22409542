//! What the ledger knows of a line's SIM at a check: its open top-up, the last confirmed
//! and failed ones, and its recent readings; read once, before the policy decides.

use chrono::{DateTime, Utc};

use super::{Ctx, outcome};
use crate::config::Line;
use crate::ledger::LedgerError;
use crate::model::{Observation, TopUp};

/// How many recent readings the policy (forecast) sees.
const HISTORY: usize = crate::policy::FORECAST_READINGS;

pub struct Known {
    pub open: Option<TopUp>,
    pub last_confirmed: Option<TopUp>,
    /// The most recent failed top-up of the last day, for the retry pause.
    pub last_failed: Option<TopUp>,
    pub history: Vec<Observation>,
}

/// Reads what the policy needs; records first whether `obs` shows the last top-up.
pub fn load(
    ctx: &Ctx,
    line: &Line,
    obs: &Observation,
    now: DateTime<Utc>,
) -> Result<Known, LedgerError> {
    let sim = line.sim();
    let open = ctx.ledger.open_top_ups_of(&sim)?.into_iter().next();
    let mut last_confirmed = ctx.ledger.last_confirmed(&sim)?;
    if let Some(t) = last_confirmed.as_mut() {
        outcome::note_shown(ctx, t, obs)?;
    }
    let day_ago = now - chrono::Duration::days(1);
    let last_failed = ctx.ledger.last_failed_since(&sim, day_ago)?;
    Ok(Known {
        open,
        last_confirmed,
        last_failed,
        history: ctx.ledger.recent_observations(&sim, HISTORY)?,
    })
}
