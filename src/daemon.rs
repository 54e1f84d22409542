//! The long-running daemon: scheduler fires -> bounded checks -> outbox delivery.
//!
//! `run()` is a library function: tests run it in-process with their own deps and a
//! shutdown future; `main.rs` only adds signals, sd_notify and the real deps.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::carriers::Carriers;
use crate::check::{self, Ctx};
use crate::clock::Clock;
use crate::config::Config;
use crate::ledger::{Ledger, LedgerError};
use crate::notify::{Notifier, sender};
use crate::scheduler::{self, Command, Entry, Fire, Options};
use crate::service::{Metrics, Service};

/// How long in-flight checks get to finish after a stop is asked for.
pub const STOP_GRACE: Duration = Duration::from_secs(8);

/// The longest the scheduler loop sleeps; three ticks without a loop count as stuck
/// (the watchdog stops pinging and `/healthz` answers 503).
pub const SCHEDULER_TICK: Duration = Duration::from_secs(5);

/// What the daemon runs with, besides its config.
pub struct Deps {
    pub ledger: Arc<dyn Ledger>,
    pub carriers: Carriers,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Clock,
}

/// Messages from the outside while running.
pub enum Control {
    /// A new valid config with its freshly built carriers (SIGHUP).
    Reload(Box<Config>, Carriers),
}

/// Runs until `shutdown` completes, then lets in-flight checks finish (up to `STOP_GRACE`).
pub async fn run(
    config: Config,
    deps: Deps,
    mut control: mpsc::Receiver<Control>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let ledger = deps.ledger.clone();
    let mut ctx = Ctx {
        dry_run: config.daemon.dry_run,
        config: Arc::new(config),
        carriers: Arc::new(deps.carriers),
        ledger: ledger.clone(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let (fire_tx, mut fires) = mpsc::channel::<Fire>(1024);
    let initial = entries(&ctx.config, ledger.as_ref())?;
    let (sched, sched_task) = scheduler::spawn(
        initial,
        options(&ctx.config),
        deps.clock,
        fire_tx,
        stopped(),
    );
    let service = match Service::start(
        ctx.config.clone(),
        ledger.clone(),
        sched.snapshot.clone(),
        SCHEDULER_TICK * 3,
        &stopped,
    )
    .await
    {
        Ok(service) => service,
        Err(e) => {
            let _ = stop_tx.send(true);
            return Err(e);
        }
    };
    let wake = Arc::new(Notify::new());
    let sender_task = tokio::spawn(sender::run_sender(
        ledger.clone(),
        deps.notifier.clone(),
        wake.clone(),
        stopped(),
    ));
    let mut sem = Arc::new(Semaphore::new(ctx.config.daemon.max_concurrent_checks));
    let mut tasks = JoinSet::new();
    tracing::info!(lines = ctx.config.lines.len(), "renewd running");
    service.ready();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(fire) = fires.recv() => spawn_check(&mut tasks, &ctx, &sem, fire, sched.commands.clone(), wake.clone(), service.metrics()),
            Some(Control::Reload(config, carriers)) = control.recv() => {
                sem = Arc::new(Semaphore::new(config.daemon.max_concurrent_checks));
                ctx = Ctx { dry_run: config.daemon.dry_run, config: Arc::new(*config), carriers: Arc::new(carriers), ledger: ledger.clone() };
                let _ = sched.commands.send(Command::Replace { entries: entries(&ctx.config, ledger.as_ref())?, opts: options(&ctx.config) });
                tracing::info!(lines = ctx.config.lines.len(), "config reloaded");
                service.reloaded(ctx.config.clone());
            }
            Some(_) = tasks.join_next() => {}
        }
    }
    service.stopping();
    tracing::info!(
        in_flight = tasks.len(),
        "stopping: letting in-flight checks finish"
    );
    let _ = stop_tx.send(true);
    if tokio::time::timeout(STOP_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!(
            left = tasks.len(),
            "checks still running at the stop deadline; their top-ups stay open and are reconciled at the next start"
        );
        tasks.abort_all();
    }
    let _ = sched_task.await;
    let _ = tokio::time::timeout(Duration::from_secs(1), sender_task).await;
    service.finish().await;
    tracing::info!("renewd stopped");
    Ok(())
}

/// Starts one check in the background, bounded by the semaphore; tells the scheduler when done.
fn spawn_check(
    tasks: &mut JoinSet<()>,
    ctx: &Ctx,
    sem: &Arc<Semaphore>,
    fire: Fire,
    commands: mpsc::UnboundedSender<Command>,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
) {
    let (ctx, sem) = (ctx.clone(), sem.clone());
    tasks.spawn(async move {
        if let Some(line) = ctx.config.lines.iter().find(|l| *l.id == *fire.line) {
            let _permit = sem.acquire_owned().await;
            match check::check_line(&ctx, line).await {
                Ok(report) => metrics.check_finished(report.decision),
                Err(e) => {
                    metrics.check_finished("error");
                    tracing::error!(line = %fire.line, "check stopped: {e}");
                }
            }
            wake.notify_one();
        }
        let _ = commands.send(Command::Done { line: fire.line });
    });
}

/// The scheduler's entries for a config, with each line's last check from the ledger.
pub fn entries(config: &Config, ledger: &dyn Ledger) -> Result<Vec<Entry>, LedgerError> {
    let last = ledger.last_checks()?;
    Ok(config
        .lines
        .iter()
        .map(|l| Entry {
            line: l.id.clone(),
            schedule: l.schedule.clone(),
            last_check: last.iter().find(|c| c.line_id == l.id).map(|c| c.at),
        })
        .collect())
}

fn options(config: &Config) -> Options {
    Options {
        tz: config.daemon.timezone,
        jitter: config.daemon.jitter,
        tick: SCHEDULER_TICK,
    }
}
