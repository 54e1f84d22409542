//! `renewd run`: the daemon with signals (SIGTERM/SIGINT stop, SIGHUP reloads).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::wiring::{build_carriers_with, load_config, notifier, open_ledger};
use crate::carriers::http::Accounts;
use crate::clock::Clock;
use crate::daemon::{self, Control, Deps};
use crate::ledger::StateLock;

pub async fn run(path: &Path) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let _lock = StateLock::acquire(&config.daemon.state_dir)?;
    // One account's rate limits are shared by its adapters, also across reloads.
    let accounts = Arc::new(Accounts::default());
    let deps = Deps {
        ledger: open_ledger(&config)?,
        carriers: build_carriers_with(&config, &accounts)?,
        notifier: notifier(&config)?,
        clock: Clock::System,
    };
    let (control_tx, control_rx) = mpsc::channel(4);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(reload_on_hup(path.to_path_buf(), control_tx, accounts));
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
    };
    daemon::run(config, deps, control_rx, shutdown).await?;
    Ok(0)
}

/// On SIGHUP, loads the config again; an invalid one is logged and the old one kept.
async fn reload_on_hup(path: PathBuf, control: mpsc::Sender<Control>, accounts: Arc<Accounts>) {
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        return;
    };
    while hup.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading {}", path.display());
        crate::service::notify::reloading();
        let loaded = load_config(&path).and_then(|c| {
            let carriers = build_carriers_with(&c, &accounts)?;
            let mail = notifier(&c)?;
            Ok((c, carriers, mail))
        });
        match loaded {
            Ok((c, carriers, mail)) => {
                let _ = control
                    .send(Control::Reload(Box::new(c), carriers, mail))
                    .await;
            }
            Err(e) => {
                tracing::error!("reload refused, keeping the running config: {e:#}");
                crate::service::notify::reload_refused();
            }
        }
    }
}
