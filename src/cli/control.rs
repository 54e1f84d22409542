//! `renewd topup`, `pause`, `resume`: handed to the running daemon over its control socket,
//! or carried out here when no daemon holds the state.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use super::wiring::{build_carriers, load_config, notifier, open_ledger};
use crate::check::Ctx;
use crate::control::{self, Reply, Request};
use crate::ledger::{LedgerError, StateLock};
use crate::notify::sender;

/// Runs `req` through the daemon when it runs, else directly; prints the reply.
pub async fn control(path: &Path, req: Request) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let state_dir = config.daemon.state_dir.clone();
    let reply = match StateLock::acquire(&state_dir) {
        Ok(_lock) => {
            let ledger = open_ledger(&config)?;
            let ctx = Ctx {
                dry_run: config.daemon.dry_run,
                carriers: Arc::new(build_carriers(&config)?),
                ledger: ledger.clone(),
                config: Arc::new(config),
            };
            let reply = control::actions::handle(&ctx, &req).await;
            let mail = notifier(&ctx.config)?;
            sender::deliver_due(ledger.as_ref(), mail.as_ref(), Utc::now()).await?;
            crate::notify::channels::run::deliver_once(&ctx.config, ledger.as_ref()).await?;
            reply
        }
        Err(LedgerError::Locked { pid, .. }) => {
            let socket = control::socket_path(&state_dir);
            control::send(&socket, &req).await.map_err(|e| {
                anyhow::anyhow!(
                    "the daemon (pid {pid}) holds {}, but its control socket {} did not answer: {e}",
                    state_dir.display(),
                    socket.display()
                )
            })?
        }
        Err(e) => return Err(e.into()),
    };
    print(&reply);
    Ok(reply.exit)
}

fn print(r: &Reply) {
    if r.exit == 0 {
        println!("{}", r.text);
    } else {
        eprintln!("renewd: {}", r.text);
    }
}
