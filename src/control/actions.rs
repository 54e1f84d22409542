//! What each control request does, the same whether the daemon or the command runs it.

use chrono::Utc;

use super::{Reply, Request};
use crate::check::{self, Ctx};
use crate::config::Line;

/// Carries out a request with `ctx` (the daemon's current one, or the command's own).
pub async fn handle(ctx: &Ctx, req: &Request) -> Reply {
    let id = match req {
        Request::Topup { line } | Request::Pause { line } | Request::Resume { line } => line,
    };
    let Some(line) = ctx.config.lines.iter().find(|l| &l.id == id) else {
        let known: Vec<&str> = ctx.config.lines.iter().map(|l| l.id.as_str()).collect();
        return Reply::fail(format!("no line {id:?}; lines are {known:?}"));
    };
    match req {
        Request::Topup { .. } => topup(ctx, line).await,
        Request::Pause { .. } => pause(ctx, line, true),
        Request::Resume { .. } => pause(ctx, line, false),
    }
}

async fn topup(ctx: &Ctx, line: &Line) -> Reply {
    match check::top_up_now(ctx, line).await {
        Ok(r) if r.decision == check::Outcome::Topup => {
            Reply::ok(format!("{}: {} ({})", r.line, r.decision, r.detail))
        }
        Ok(r) => Reply::fail(format!("{}: {} ({})", r.line, r.decision, r.detail)),
        Err(e) => Reply::fail(format!("{}: check stopped: {e}", line.id)),
    }
}

fn pause(ctx: &Ctx, line: &Line, paused: bool) -> Reply {
    let at = paused.then(Utc::now);
    match ctx.ledger.set_paused(&line.id, &line.sim(), at) {
        Ok(changed) => {
            let (did, already) = if paused {
                (
                    "paused: no checks and no purchases until `renewd resume`",
                    "was already paused",
                )
            } else {
                ("resumed: checked on its schedule again", "was not paused")
            };
            tracing::info!(line = %line.id, paused, "{}", if changed { did } else { already });
            Reply::ok(format!(
                "{}: {}",
                line.id,
                if changed { did } else { already }
            ))
        }
        Err(e) => Reply::fail(format!("{}: {e}", line.id)),
    }
}
