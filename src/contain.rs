//! A panic in one line's check stays in that line: the check runs in its own task, and a
//! panic there is logged as an error, recorded as a failed check (shown by `status` and
//! `/healthz`), emailed once per failing run, and reported as `check_failed`, while the
//! other lines and the daemon go on.

use std::any::Any;
use std::sync::Arc;

use chrono::Utc;

use crate::check::{self, CheckError, Ctx, Outcome, Report};
use crate::config::Line;
use crate::ledger::LedgerError;
use crate::notify::compose;

/// The start of the error recorded for a check that panicked; `/healthz` looks for it.
pub const CRASH_PREFIX: &str = "the check crashed";

/// Checks one line like `check::check_line`, but a panic inside becomes a recorded failed
/// check instead of taking the caller (the daemon, or `renewd once`) down.
pub async fn check_line(ctx: &Ctx, line: &Line) -> Result<Report, CheckError> {
    let task = {
        let (ctx, line) = (ctx.clone(), line.clone());
        tokio::spawn(async move { check::check_line(&ctx, &line).await })
    };
    match task.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => crashed(ctx, line, &panic_text(e.into_panic())),
        Err(_) => crashed(ctx, line, "its task was cancelled"),
    }
}

/// Checks the selected lines (all when `only` is empty), at most `max_concurrent_checks`
/// at a time, each contained; results in config order.
pub async fn check_lines(ctx: &Ctx, only: &[String]) -> Vec<(String, Result<Report, CheckError>)> {
    let sem = Arc::new(tokio::sync::Semaphore::new(
        ctx.config.daemon.max_concurrent_checks,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    let selected = ctx
        .config
        .lines
        .iter()
        .filter(|l| only.is_empty() || only.contains(&l.id));
    for (i, line) in selected.cloned().enumerate() {
        let (ctx, sem) = (ctx.clone(), sem.clone());
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, line.id.clone(), check_line(&ctx, &line).await)
        });
    }
    let mut results = tasks.join_all().await;
    results.sort_by_key(|(i, _, _)| *i);
    results.into_iter().map(|(_, id, r)| (id, r)).collect()
}

/// Records the crash as a failed check, queues one failure email for this failing run
/// (keyed by its start), and reports the line as `check_failed`.
fn crashed(ctx: &Ctx, line: &Line, why: &str) -> Result<Report, CheckError> {
    let now = Utc::now();
    let text = format!(
        "{CRASH_PREFIX}: {why}. This is a bug in renewd; the other lines go on and this one is \
         checked again at its next time. Any top-up it had open is reconciled first."
    );
    tracing::error!(line = %line.id, decision = "check_failed", "{text}");
    let led = |source: LedgerError| CheckError::Ledger {
        line: line.id.clone(),
        source,
    };
    let record = ctx
        .ledger
        .record_check_failure(&line.id, now, &text)
        .map_err(led)?;
    let since = record.failing_since.unwrap_or(now);
    let draft = compose::check_failing(line, since, &text, ctx.config.daemon.timezone);
    ctx.ledger.enqueue(&draft, now).map_err(led)?;
    Ok(Report {
        line: line.id.clone(),
        decision: Outcome::CheckFailed,
        detail: text,
        observation: None,
        topup: None,
        at: now,
    })
}

/// The panic's message, when it is a string.
fn panic_text(payload: Box<dyn Any + Send>) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned());
    match msg {
        Some(m) => format!("it panicked: {m}"),
        None => "it panicked".to_string(),
    }
}
