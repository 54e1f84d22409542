//! `renewd once`: check lines now, act like the daemon, print each decision, deliver mail.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use super::OnceArgs;
use super::wiring::{build_carriers, load_config, notifier, open_ledger, take_state_lock};
use crate::check::{self, Ctx, Report};
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
    let _lock = take_state_lock(&config, "once")?;
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
    for (id, result) in crate::contain::check_lines(&ctx, &args.lines).await {
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
