//! One check of one line, start to end: reconcile, observe, decide, act.
//!
//! The daemon and `renewd once` both call `check_line`; everything it does is logged as
//! one event per decision with the line id, and every money step goes through the ledger.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::carriers::{CarrierError, Carriers};
use crate::config::{Config, Line};
use crate::ledger::{Ledger, LedgerError};
use crate::model::{Observation, TopUp};
use crate::policy::{self, Facts};

mod act;
pub mod digest;
mod dry;
mod known;
mod observe;
mod orphans;
mod outcome;
mod reconcile;

/// What one check needs: the config, the carriers, the ledger, and the time.
#[derive(Clone)]
pub struct Ctx {
    pub config: Arc<Config>,
    pub carriers: Arc<Carriers>,
    pub ledger: Arc<dyn Ledger>,
    /// Decide and report, never buy (`daemon.dry_run` or `once --dry-run`).
    pub dry_run: bool,
}

/// Why a check could not finish. A ledger error stops the check: no money moves unrecorded.
#[derive(Debug, Error)]
pub enum CheckError {
    #[error("line {line}: {source}")]
    Ledger { line: String, source: LedgerError },
    #[error("line {line}: carrier {carrier} is not configured")]
    NoCarrier { line: String, carrier: String },
}

/// The outcome of one check, printed by `renewd once` (one JSON object per line).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub line: String,
    /// What came of the check.
    pub decision: Outcome,
    /// Human words: the trigger, the reason, the error.
    pub detail: String,
    pub observation: Option<Observation>,
    pub topup: Option<TopUp>,
    pub at: DateTime<Utc>,
}

/// What came of one check (`decision` in `renewd once --json`, `outcome` in metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No threshold crossed.
    Hold,
    /// Something must settle first (an open top-up, a fresh purchase, a retry pause).
    Wait,
    /// Bought, confirmed.
    Topup,
    /// Would have bought; dry run.
    DryRun,
    /// A cap stopped the purchase.
    Blocked,
    /// The purchase (or its quote) definitely failed.
    Failed,
    /// A purchase without a definite answer is open.
    Unknown,
    /// Nothing the carrier reports can tell whether to buy.
    CannotAct,
    /// The SIM can never be topped up again.
    Dead,
    /// The status could not be read.
    CheckFailed,
    /// A person paused the line (`renewd pause`): not checked, nothing bought.
    Paused,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Hold => "hold",
            Outcome::Wait => "wait",
            Outcome::Topup => "topup",
            Outcome::DryRun => "dry_run",
            Outcome::Blocked => "blocked",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::CannotAct => "cannot_act",
            Outcome::Dead => "dead",
            Outcome::CheckFailed => "check_failed",
            Outcome::Paused => "paused",
        }
    }

    /// Whether `renewd once` counts it as fine (exit 0).
    pub fn ok(&self) -> bool {
        matches!(
            self,
            Outcome::Hold | Outcome::Wait | Outcome::Topup | Outcome::DryRun | Outcome::Paused
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Report {
    /// Whether `renewd once` counts this line as fine (exit 0).
    pub fn ok(&self) -> bool {
        self.decision.ok()
    }
}

pub use orphans::reconcile_unconfigured;

/// Why a line is checked: on its schedule, or because a person asked to buy now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The daemon's schedule or `renewd once`: buys when a threshold says so.
    Scheduled,
    /// `renewd topup LINE`: buys now, through the same open-top-up rule, caps and ledger.
    Requested,
}

/// Checks one line and acts on it like the daemon would.
pub async fn check_line(ctx: &Ctx, line: &Line) -> Result<Report, CheckError> {
    check(ctx, line, Mode::Scheduled).await
}

/// Checks one line and buys now (`renewd topup`), unless a top-up is open, the SIM is
/// dead, the line is paused or a cap stops it.
pub async fn top_up_now(ctx: &Ctx, line: &Line) -> Result<Report, CheckError> {
    check(ctx, line, Mode::Requested).await
}

async fn check(ctx: &Ctx, line: &Line, mode: Mode) -> Result<Report, CheckError> {
    let now = Utc::now();
    let led = |source| CheckError::Ledger {
        line: line.id.clone(),
        source,
    };
    if let Some(r) = paused(ctx, line).map_err(led)? {
        return Ok(r);
    }
    reconcile::open_top_ups(ctx, line).await.map_err(led)?;
    let observation = match observe::read(ctx, line).await.map_err(led)? {
        Ok(obs) => obs,
        Err(report) => return Ok(report),
    };
    let known = known::load(ctx, line, &observation, now).map_err(led)?;
    let status_carrier = carrier(ctx, line.status_carrier(), line)?;
    let facts = Facts {
        now,
        tz: ctx.config.daemon.timezone,
        observation: Some(&observation),
        history: &known.history,
        reports: status_carrier.reports(),
        open: known.open.as_ref(),
        last_confirmed: known.last_confirmed.as_ref(),
        last_failed: known.last_failed.as_ref(),
        // A carrier that caches its readings (Airalo: 20 min) needs at least that long.
        settle: ctx.config.daemon.settle.max(status_carrier.min_settle()),
    };
    let decision = match mode {
        Mode::Scheduled => policy::decide(line, &facts),
        Mode::Requested => policy::decide_now(&facts),
    };
    let mut report = act::on_decision(ctx, line, decision, observation)
        .await
        .map_err(led)?;
    // Waiting on a top-up whose outcome is unknown is not "fine": it may need a person.
    if report.decision == Outcome::Wait
        && known
            .open
            .as_ref()
            .is_some_and(|t| t.state == crate::model::TopUpState::Unknown)
    {
        report.decision = Outcome::Unknown;
    }
    log(&report);
    Ok(report)
}

/// A line a person paused is not checked: its report says since when.
fn paused(ctx: &Ctx, line: &Line) -> Result<Option<Report>, LedgerError> {
    let Some(since) = ctx.ledger.paused_since(&line.sim())? else {
        return Ok(None);
    };
    let detail = format!(
        "paused since {} by a person; `renewd resume {}` to check it again",
        since.format("%Y-%m-%d %H:%M UTC"),
        line.id
    );
    let r = report(line, Outcome::Paused, detail);
    log(&r);
    Ok(Some(r))
}

/// The adapter named `name`, for `line`.
fn carrier<'a>(
    ctx: &'a Ctx,
    name: &str,
    line: &Line,
) -> Result<&'a Arc<dyn crate::carriers::Carrier>, CheckError> {
    ctx.carriers.get(name).ok_or_else(|| CheckError::NoCarrier {
        line: line.id.clone(),
        carrier: name.to_string(),
    })
}

/// The words for a carrier error in logs and emails, with the retry hint.
pub fn describe(e: &CarrierError) -> String {
    if e.retryable() {
        format!("{e} (temporary; renewd will try again)")
    } else {
        format!("{e} (needs a person)")
    }
}

/// A report without an observation or top-up.
fn report(line: &Line, decision: Outcome, detail: impl Into<String>) -> Report {
    Report {
        line: line.id.clone(),
        decision,
        detail: detail.into(),
        observation: None,
        topup: None,
        at: Utc::now(),
    }
}

/// Logs the decision, one event with the line id.
fn log(r: &Report) {
    let decision = r.decision.as_str();
    match r.decision {
        Outcome::Hold | Outcome::Wait | Outcome::Topup | Outcome::DryRun => {
            tracing::info!(line = %r.line, decision, "{}", r.detail)
        }
        _ => tracing::warn!(line = %r.line, decision, "{}", r.detail),
    }
}
