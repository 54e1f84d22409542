//! `renewd once`: check lines now, act like the daemon, print each decision, deliver mail.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use super::OnceArgs;
use super::wiring::{build_carriers, load_config, notifier, open_ledger};
use crate::check::{self, CheckError, Ctx, Report};
use crate::ledger::StateLock;
use crate::notify::sender;

pub async fn once(path: &Path, args: &OnceArgs) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    if let Some(unknown) = args
        .lines
        .iter()
        .find(|id| !config.lines.iter().any(|l| &l.id == *id))
    {
        let known: Vec<_> = config.lines.iter().map(|l| l.id.as_str()).collect();
        anyhow::bail!(
            "no line {unknown:?} in {}; lines are {known:?}",
            path.display()
        );
    }
    let _lock = StateLock::acquire(&config.daemon.state_dir)?;
    let ledger = open_ledger(&config)?;
    let ctx = Ctx {
        dry_run: args.dry_run || config.daemon.dry_run,
        carriers: Arc::new(build_carriers(&config)?),
        ledger: ledger.clone(),
        config: Arc::new(config),
    };
    let mut ok = true;
    if args.lines.is_empty()
        && !ctx.dry_run
        && let Err(e) = check::reconcile_unconfigured(&ctx).await
    {
        ok = false;
        eprintln!("renewd: reconciling top-ups of lines no longer configured: {e}");
    }
    for (id, result) in check_all(&ctx, &args.lines).await {
        match result {
            Ok(report) => {
                ok &= report.ok();
                print_report(&report, args.json);
            }
            Err(e) => {
                ok = false;
                eprintln!("renewd: line {id}: check stopped: {e}");
            }
        }
    }
    let delivery =
        sender::deliver_due(ledger.as_ref(), notifier(&ctx.config)?.as_ref(), Utc::now()).await?;
    tracing::info!("outbox: {delivery:?}");
    crate::notify::channels::run::deliver_once(&ctx.config, ledger.as_ref()).await?;
    Ok(if ok { 0 } else { 1 })
}

/// Checks the selected lines (all when `only` is empty), at most `max_concurrent_checks`
/// at a time; results in config order.
async fn check_all(ctx: &Ctx, only: &[String]) -> Vec<(String, Result<Report, CheckError>)> {
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
            (i, line.id.clone(), check::check_line(&ctx, &line).await)
        });
    }
    let mut results = tasks.join_all().await;
    results.sort_by_key(|(i, _, _)| *i);
    results.into_iter().map(|(_, id, r)| (id, r)).collect()
}

fn print_report(r: &Report, json: bool) {
    if json {
        println!("{}", serde_json::to_string(r).expect("reports serialize"));
        return;
    }
    let topup = r
        .topup
        .as_ref()
        .map(|t| format!(" [top-up #{} {}]", t.id, t.state))
        .unwrap_or_default();
    println!("{:<20} {:<12} {}{topup}", r.line, r.decision, r.detail);
}
