//! The long-running daemon: scheduler fires -> bounded checks -> outbox delivery.
//!
//! `run()` is a library function: tests run it in-process with their own deps and a
//! shutdown future; `main.rs` only adds signals, sd_notify and the real deps.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::carriers::Carriers;
use crate::check::{self, Ctx};
use crate::clock::Clock;
use crate::config::Config;
use crate::ledger::{Ledger, LedgerError};
use crate::notify::channels::run::ChannelTasks;
use crate::notify::{Notifier, sender};
use crate::scheduler::{self, Command, Entry, Fire, Options};
use crate::service::Service;

/// How long in-flight checks get to finish after a stop is asked for.
pub const STOP_GRACE: Duration = Duration::from_secs(8);
/// How often open top-ups of SIMs no longer in the config are looked up again.
pub const ORPHAN_SWEEP: Duration = Duration::from_secs(15 * 60);

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
    /// A new valid config with its freshly built carriers and mail sender (SIGHUP).
    Reload(Box<Config>, Carriers, Arc<dyn Notifier>),
}

/// Runs until `shutdown` completes, then lets in-flight checks finish (up to `STOP_GRACE`).
pub async fn run(
    config: Config,
    deps: Deps,
    mut control: mpsc::Receiver<Control>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut daemon = Running::start(config, deps).await?;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some((permit, fire)) = next_fire(daemon.sem.clone(), &mut daemon.fires) => {
                daemon.spawn_check(fire, permit)
            }
            Some(Control::Reload(config, carriers, notifier)) = control.recv() => {
                daemon.notifier.send_replace(notifier);
                daemon.reload(*config, carriers)?;
            }
            Some(_) = daemon.tasks.join_next() => {}
        }
    }
    daemon.stop().await;
    Ok(())
}

/// The next fire, taken only once a check slot is free: a fleet's round leaves its fires
/// waiting in the scheduler's heap, not 100,000 spawned tasks each holding a future.
/// Cancel safe: a permit taken while no fire came is given back when the branch is dropped.
async fn next_fire(
    sem: Arc<Semaphore>,
    fires: &mut mpsc::Receiver<Fire>,
) -> Option<(OwnedSemaphorePermit, Fire)> {
    let permit = sem.acquire_owned().await.ok()?;
    Some((permit, fires.recv().await?))
}

/// The daemon's running parts.
struct Running {
    /// What checks run with; replaced whole on reload (running checks keep the old one).
    ctx: Ctx,
    /// Each line's place in `ctx.config.lines` by id, so a fire finds its line without a
    /// scan (and without a second copy of every line).
    lines: Arc<HashMap<String, usize>>,
    ledger: Arc<dyn Ledger>,
    fires: mpsc::Receiver<Fire>,
    sched: scheduler::Handle,
    sched_task: JoinHandle<()>,
    service: Service,
    /// Wakes the outbox sender when a check may have queued a message.
    wake: Arc<Notify>,
    /// The sender's mail transport, replaced on reload (a new password takes effect).
    notifier: watch::Sender<Arc<dyn Notifier>>,
    sender_task: JoinHandle<()>,
    /// One sender per `[[notify]]` channel; replaced on reload.
    channels: Option<ChannelTasks>,
    /// Tells the channel senders a message may have been queued.
    channel_wake: Arc<watch::Sender<()>>,
    /// Bounds concurrent checks to `max_concurrent_checks`.
    sem: Arc<Semaphore>,
    tasks: JoinSet<()>,
    /// Tells the scheduler, sender and service to stop.
    stop_tx: watch::Sender<bool>,
    /// When open top-ups of unconfigured SIMs are next reconciled (`None`: with the next check).
    orphans_at: Option<tokio::time::Instant>,
    /// Hands the current `ctx` to the control socket (replaced on reload).
    ctx_tx: watch::Sender<Ctx>,
    /// The month whose previous month's digest was last queued.
    digest_month: Option<(i32, u32)>,
}

impl Running {
    /// Builds the schedule, starts the service side (notify, metrics) and the sender.
    async fn start(config: Config, deps: Deps) -> anyhow::Result<Self> {
        let ledger = deps.ledger.clone();
        ledger.set_keep_readings(config.daemon.keep_readings_for_ledger());
        let ctx = Ctx {
            dry_run: config.daemon.dry_run,
            config: Arc::new(config),
            carriers: Arc::new(deps.carriers),
            ledger: ledger.clone(),
        };
        let wake = Arc::new(Notify::new());
        let channel_wake = Arc::new(watch::channel(()).0);
        let listener = crate::control::server::bind(&ctx.config.daemon.state_dir)
            .context("while opening the control socket in the state directory")?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let (fire_tx, fires) = mpsc::channel::<Fire>(1024);
        let initial = entries(&ctx.config, ledger.as_ref())?;
        let (sched, sched_task) = scheduler::spawn(
            initial,
            options(&ctx.config),
            deps.clock,
            fire_tx,
            stopped(),
        );
        let service = Service::start(
            ctx.config.clone(),
            ledger.clone(),
            sched.snapshot.clone(),
            SCHEDULER_TICK * 3,
            &stopped,
        )
        .await;
        let service = service.inspect_err(|_| {
            let _ = stop_tx.send(true);
        })?;
        service.metrics().carriers(&ctx.carriers);
        let (notifier, notifier_rx) = watch::channel(deps.notifier.clone());
        let sender_task = tokio::spawn(sender::run_sender(
            ledger.clone(),
            notifier_rx,
            wake.clone(),
            stopped(),
        ));
        let channels =
            ChannelTasks::start(&ctx.config, ledger.clone(), channel_wake.subscribe(), None);
        let (ctx_tx, ctx_rx) = watch::channel(ctx.clone());
        let senders = {
            let (wake, channel_wake) = (wake.clone(), channel_wake.clone());
            move || {
                wake.notify_one();
                channel_wake.send_replace(());
            }
        };
        tokio::spawn(crate::control::server::serve(
            listener,
            ctx_rx,
            Arc::new(senders),
            stopped(),
        ));
        tracing::info!(lines = ctx.config.lines.len(), "renewd running");
        service.ready();
        Ok(Running {
            lines: index(&ctx.config),
            sem: Arc::new(Semaphore::new(ctx.config.daemon.max_concurrent_checks)),
            ctx,
            ledger,
            fires,
            sched,
            sched_task,
            service,
            wake,
            notifier,
            sender_task,
            channels: Some(channels),
            channel_wake,
            tasks: JoinSet::new(),
            stop_tx,
            orphans_at: None,
            ctx_tx,
            digest_month: None,
        })
    }

    /// Starts one check in the background, bounded by the semaphore; tells the scheduler
    /// when done, and the sender that a message may be waiting.
    fn spawn_check(&mut self, fire: Fire, permit: OwnedSemaphorePermit) {
        let (ctx, lines) = (self.ctx.clone(), self.lines.clone());
        let (commands, wake, metrics) = (
            self.sched.commands.clone(),
            self.wake.clone(),
            self.service.metrics(),
        );
        let channel_wake = self.channel_wake.clone();
        let orphans = self.orphans_due();
        let digest = self.digest_due();
        self.tasks.spawn(async move {
            if let Some(line) = lines.get(&*fire.line).map(|&i| &ctx.config.lines[i]) {
                let _permit = permit;
                if orphans && let Err(e) = check::reconcile_unconfigured(&ctx).await {
                    tracing::error!("reconciling top-ups of lines no longer configured: {e}");
                }
                if digest
                    && let Err(e) = check::digest::queue_last_month(&ctx, chrono::Utc::now()).await
                {
                    tracing::error!("composing the monthly digest: {e}");
                }
                match crate::contain::check_line(&ctx, line).await {
                    Ok(report) => metrics.check_finished(report.decision.as_str()),
                    Err(e) => {
                        metrics.check_finished("error");
                        tracing::error!(line = %fire.line, "check stopped: {e}");
                    }
                }
                wake.notify_one();
                channel_wake.send_replace(());
            }
            let _ = commands.send(Command::Done { line: fire.line });
        });
    }

    /// Whether a check should also reconcile open top-ups of SIMs no longer configured:
    /// with the first check after start or reload, then every `ORPHAN_SWEEP`.
    fn orphans_due(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        let due = self.orphans_at.is_none_or(|at| now >= at);
        if due {
            self.orphans_at = Some(now + ORPHAN_SWEEP);
        }
        due
    }

    /// Whether a check should also queue last month's digest: once per month the daemon
    /// sees (the message key keeps it once across restarts), when a delivery asks for it.
    fn digest_due(&mut self) -> bool {
        let month =
            crate::policy::month_of(chrono::Utc::now(), self.ctx.config.daemon.timezone).label;
        let due = check::digest::wanted(&self.ctx) && self.digest_month != Some(month);
        if due {
            self.digest_month = Some(month);
        }
        due
    }

    /// Swaps in a new config and its carriers; the scheduler keeps unchanged lines' times.
    fn reload(&mut self, config: Config, carriers: Carriers) -> Result<(), LedgerError> {
        if config.daemon.state_dir != self.ctx.config.daemon.state_dir {
            tracing::warn!("daemon.state_dir changed: it takes effect at the next start");
        }
        self.sem = Arc::new(Semaphore::new(config.daemon.max_concurrent_checks));
        self.ledger
            .set_keep_readings(config.daemon.keep_readings_for_ledger());
        self.ctx = Ctx {
            dry_run: config.daemon.dry_run,
            config: Arc::new(config),
            carriers: Arc::new(carriers),
            ledger: self.ledger.clone(),
        };
        self.lines = index(&self.ctx.config);
        self.service.metrics().carriers(&self.ctx.carriers);
        self.orphans_at = None;
        let old = self.channels.take();
        self.channels = Some(ChannelTasks::start(
            &self.ctx.config,
            self.ledger.clone(),
            self.channel_wake.subscribe(),
            old,
        ));
        let _ = self.ctx_tx.send(self.ctx.clone());
        let entries = entries(&self.ctx.config, self.ledger.as_ref())?;
        let _ = self.sched.commands.send(Command::Replace {
            entries,
            opts: options(&self.ctx.config),
        });
        tracing::info!(lines = self.ctx.config.lines.len(), "config reloaded");
        self.service.reloaded(self.ctx.config.clone());
        Ok(())
    }

    /// Stops the scheduler, lets in-flight checks finish (up to `STOP_GRACE`), stops the rest.
    async fn stop(mut self) {
        self.service.stopping();
        tracing::info!(
            in_flight = self.tasks.len(),
            "stopping: letting in-flight checks finish"
        );
        let _ = self.stop_tx.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, drain).await.is_err() {
            tracing::warn!(
                left = self.tasks.len(),
                "checks still running at the stop deadline; their top-ups stay open and are reconciled at the next start"
            );
            self.tasks.abort_all();
        }
        let _ = self.sched_task.await;
        let _ = tokio::time::timeout(Duration::from_secs(1), self.sender_task).await;
        if let Some(c) = self.channels.take() {
            c.stop().await;
        }
        self.service.finish().await;
        tracing::info!("renewd stopped");
    }
}

/// Where each line sits in the config's lines, by id.
fn index(config: &Config) -> Arc<HashMap<String, usize>> {
    Arc::new(
        config
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect(),
    )
}

/// The scheduler's entries for a config, with each line's last check from the ledger.
pub fn entries(config: &Config, ledger: &dyn Ledger) -> Result<Vec<Entry>, LedgerError> {
    let last: HashMap<String, _> = ledger
        .last_checks()?
        .into_iter()
        .map(|c| (c.line_id, c.at))
        .collect();
    Ok(config
        .lines
        .iter()
        .map(|l| Entry {
            line: l.id.clone(),
            schedule: l.schedule.clone(),
            last_check: last.get(&l.id).copied(),
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
