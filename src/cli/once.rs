//! `renewd once`: check lines now, act like the daemon, print each decision, deliver mail.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use super::OnceArgs;
use super::wiring::{build_carriers, load_config, notifier, open_ledger};
use crate::check::{self, Ctx, Report};
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
    let selected: Vec<_> = ctx
        .config
        .lines
        .iter()
        .filter(|l| args.lines.is_empty() || args.lines.contains(&l.id))
        .cloned()
        .collect();
    let sem = Arc::new(tokio::sync::Semaphore::new(
        ctx.config.daemon.max_concurrent_checks,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, line) in selected.into_iter().enumerate() {
        let (ctx, sem) = (ctx.clone(), sem.clone());
        tasks.spawn(async move {
            let _p = sem.acquire_owned().await;
            (
                i,
                check::check_line(&ctx, &line)
                    .await
                    .map_err(|e| (line.id.clone(), e)),
            )
        });
    }
    let mut results = tasks.join_all().await;
    results.sort_by_key(|(i, _)| *i);
    let mut ok = true;
    for (_, r) in results {
        match r {
            Ok(report) => {
                ok &= report.ok();
                print_report(&report, args.json);
            }
            Err((line, e)) => {
                ok = false;
                eprintln!("renewd: line {line}: check stopped: {e}");
            }
        }
    }
    let delivery =
        sender::deliver_due(ledger.as_ref(), notifier(&ctx.config)?.as_ref(), Utc::now()).await?;
    tracing::info!("outbox: {delivery:?}");
    Ok(if ok { 0 } else { 1 })
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
