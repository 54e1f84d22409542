//! Step 2 of a check: read the line's status and record it (or the failure).

use chrono::Utc;

use super::{Ctx, Outcome, Report, carrier, describe, log, report};
use crate::config::Line;
use crate::ledger::LedgerError;
use crate::model::Observation;
use crate::notify::compose;

/// Reads and records the line's status. `Ok(Err(report))` when the carrier could not
/// answer: the check ends there, and after the grace period a failure email goes out.
pub async fn read(ctx: &Ctx, line: &Line) -> Result<Result<Observation, Report>, LedgerError> {
    let name = line.status_carrier();
    let Ok(c) = carrier(ctx, name, line) else {
        let r = report(
            line,
            Outcome::CheckFailed,
            format!("carrier {name} is not configured"),
        );
        log(&r);
        return Ok(Err(r));
    };
    match c.status(line).await {
        Ok(obs) => {
            ctx.ledger.record_observation(&line.id, &line.sim(), &obs)?;
            Ok(Ok(obs))
        }
        Err(e) => {
            let now = Utc::now();
            let text = describe(&e);
            let rec = ctx.ledger.record_check_failure(&line.id, now, &text)?;
            let since = rec.failing_since.unwrap_or(now);
            let grace =
                chrono::Duration::from_std(ctx.config.daemon.check_grace).unwrap_or_default();
            if now - since >= grace {
                let draft = compose::check_failing(line, since, &text, ctx.config.daemon.timezone);
                ctx.ledger.enqueue(&draft, now)?;
            }
            let r = report(
                line,
                Outcome::CheckFailed,
                format!("cannot read status through {name}: {text}"),
            );
            log(&r);
            Ok(Err(r))
        }
    }
}
