//! Running as a service: sd_notify (READY, STATUS, WATCHDOG, RELOADING, STOPPING), the opt-in
//! `/metrics` and `/healthz` server, and log lines fit for journald.
//!
//! The daemon owns one `Service`: it starts it once the config is valid, the ledger open and
//! the schedule built, then tells it about reloads, finished checks and the stop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::ledger::Ledger;
use crate::scheduler::Snapshot;

pub mod health;
mod http;
pub mod journald;
pub mod metrics;
pub mod notify;
mod rate_limited;
mod slow;
mod status;
pub mod summary;

pub use health::Liveness;
pub use metrics::Metrics;

/// What the service side shares with the daemon loop.
pub struct Service {
    /// Counters the daemon bumps (checks by outcome); rendered by `/metrics`.
    metrics: Arc<Metrics>,
    /// The running config, replaced on reload, read by the status line and `/metrics`.
    config: watch::Sender<Arc<Config>>,
    /// The status/watchdog loop and the HTTP server, awaited at the stop.
    tasks: Vec<JoinHandle<()>>,
}

/// What the service tasks read: the daemon's state, never a copy of it.
#[derive(Clone)]
pub(crate) struct Shared {
    pub ledger: Arc<dyn Ledger>,
    pub config: watch::Receiver<Arc<Config>>,
    pub snapshot: watch::Receiver<Snapshot>,
    pub liveness: Liveness,
    pub metrics: Arc<Metrics>,
}

impl Service {
    /// Starts the status/watchdog loop and, when `daemon.listen` is set, the HTTP server.
    /// `stale_after`: a scheduler loop silent this long counts as stuck.
    /// `stopped()` resolves when the daemon stops. Fails when `listen` cannot be bound.
    pub async fn start<F>(
        config: Arc<Config>,
        ledger: Arc<dyn Ledger>,
        snapshot: watch::Receiver<Snapshot>,
        stale_after: Duration,
        stopped: impl Fn() -> F,
    ) -> anyhow::Result<Service>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let listen = config.daemon.listen;
        let (config_tx, config_rx) = watch::channel(config);
        let shared = Shared {
            ledger,
            config: config_rx,
            liveness: Liveness::new(stale_after),
            snapshot,
            metrics: Arc::new(Metrics::new()),
        };
        let mut tasks = vec![
            tokio::spawn(notify::watch_loop(shared.clone(), stopped())),
            tokio::spawn(summary::log_loop(shared.metrics.tally(), stopped())),
        ];
        if let Some(addr) = listen {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("while binding daemon.listen = \"{addr}\" for /metrics and /healthz (pick a free port, or remove listen)")
            })?;
            tracing::info!(
                "serving /metrics and /healthz on http://{}",
                listener.local_addr()?
            );
            tasks.push(tokio::spawn(http::serve(
                listener,
                shared.clone(),
                stopped(),
            )));
        }
        Ok(Service {
            metrics: shared.metrics,
            config: config_tx,
            tasks,
        })
    }

    /// Start-up is done: READY=1 with the first status line.
    pub fn ready(&self) {
        notify::ready(None);
    }

    /// A reload was applied: the new config is used from now on, READY=1.
    pub fn reloaded(&self, config: Arc<Config>) {
        self.config.send_replace(config);
        notify::ready(None);
    }

    /// The counters, for the daemon's checks to bump from their own tasks.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// STOPPING=1; call when the stop begins.
    pub fn stopping(&self) {
        notify::stopping();
    }

    /// Waits (at most a second) for the service tasks to end after the stop.
    pub async fn finish(self) {
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
    }
}
