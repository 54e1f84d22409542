//! The daemon's channel senders: one task per `[[notify]]` channel, each delivering its own
//! queue, sleeping until its next message is due, a wake-up, or the end of its pause.
//! A reload stops the old tasks (letting a message being sent finish) before the new ones
//! start, so no message is ever being sent by two tasks.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::deliver::{self, ChannelReport};
use super::{ChannelError, ChannelSender};
use crate::config::{Channel, Config};
use crate::ledger::{Ledger, Route, Routes};
use crate::notify::pacing::{self, Pacing, Round};

/// How long a stop waits for a message being sent.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Where `config` sends each message: the email language and every channel's share.
pub fn routes(config: &Config) -> Routes {
    Routes {
        email_language: config
            .email
            .as_ref()
            .map_or(config.daemon.language, |e| e.language),
        channels: config
            .notify
            .channels
            .iter()
            .map(|c| Route {
                channel: c.name.clone(),
                language: c.language,
                lines: c.lines.clone(),
                kinds: c.send.clone(),
            })
            .collect(),
    }
}

/// The running channel tasks of one config.
pub struct ChannelTasks {
    stop: watch::Sender<bool>,
    supervisor: JoinHandle<()>,
}

impl ChannelTasks {
    /// Sets the ledger's routes from `config` and starts one task per channel, once
    /// `previous` (the tasks of the config before a reload) has stopped. A change on
    /// `wake` (`send_replace(())`) says a message may have been queued.
    pub fn start(
        config: &Config,
        ledger: Arc<dyn Ledger>,
        wake_rx: watch::Receiver<()>,
        previous: Option<ChannelTasks>,
    ) -> Self {
        ledger.set_routes(routes(config));
        let (stop, stop_rx) = watch::channel(false);
        let channels = config.notify.channels.clone();
        let tz = config.daemon.timezone;
        let supervisor = tokio::spawn(async move {
            if let Some(p) = previous {
                p.stop().await;
            }
            let tasks: Vec<_> = channels
                .into_iter()
                .map(|c| {
                    tokio::spawn(run_channel(
                        c,
                        ledger.clone(),
                        tz,
                        wake_rx.clone(),
                        stop_rx.clone(),
                    ))
                })
                .collect();
            for t in tasks {
                let _ = t.await;
            }
        });
        ChannelTasks { stop, supervisor }
    }

    /// Stops every task; a message being sent is finished first (up to a bound).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut supervisor = self.supervisor;
        if tokio::time::timeout(STOP_GRACE, &mut supervisor)
            .await
            .is_err()
        {
            supervisor.abort();
        }
    }
}

/// One channel's loop until `stop`.
async fn run_channel(
    channel: Channel,
    ledger: Arc<dyn Ledger>,
    tz: Tz,
    mut wake: watch::Receiver<()>,
    mut stop: watch::Receiver<bool>,
) {
    let mut sender: Option<ChannelSender> = None;
    let mut pace = Pacing::default();
    while !*stop.borrow() {
        wake.mark_unchanged();
        let done = match round(&channel, &mut sender, ledger.as_ref(), tz).await {
            Ok(report) if report.paused.is_some() => Round::Paused,
            Ok(_) => Round::Done,
            Err(e) => {
                tracing::error!(channel = %channel.name, error = %e, "channel outbox: ledger error; trying again in a minute");
                Round::LedgerError
            }
        };
        let next_due = || pacing::until(ledger.channel_next_due(&channel.name), Utc::now());
        let (sleep, paused) = pace.after(done, next_due);
        tokio::select! {
            _ = stop.changed() => return,
            Ok(()) = wake.changed(), if !paused => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// Builds the sender if needed (an unreadable secret pauses the channel), then delivers.
async fn round(
    channel: &Channel,
    sender: &mut Option<ChannelSender>,
    ledger: &dyn Ledger,
    tz: Tz,
) -> Result<ChannelReport, crate::ledger::LedgerError> {
    if sender.is_none() {
        match ChannelSender::build(channel) {
            Ok(s) => *sender = Some(s),
            Err(e) => return refused_at_build(ledger, channel, &e, tz),
        }
    }
    let Some(s) = sender.as_ref() else {
        return Ok(ChannelReport::default());
    };
    deliver::deliver_due(ledger, s, Utc::now(), tz).await
}

fn refused_at_build(
    ledger: &dyn Ledger,
    channel: &Channel,
    e: &ChannelError,
    tz: Tz,
) -> Result<ChannelReport, crate::ledger::LedgerError> {
    if ledger.channel_next_due(&channel.name)?.is_none() {
        // Nothing to send: the secret is read again when something is queued.
        return Ok(ChannelReport::default());
    }
    let already = ledger
        .channel_pauses()?
        .iter()
        .any(|p| p.channel == channel.name);
    deliver::pause(ledger, &channel.name, e, already, Utc::now(), tz)?;
    Ok(ChannelReport {
        paused: Some(e.to_string()),
        ..Default::default()
    })
}

/// One delivery round of every channel, for commands that queue messages and exit
/// (`once`, `topup` without a daemon): what is not sent now waits for the daemon.
pub async fn deliver_once(
    config: &Config,
    ledger: &dyn Ledger,
) -> Result<(), crate::ledger::LedgerError> {
    for c in &config.notify.channels {
        let mut sender = None;
        let report = round(c, &mut sender, ledger, config.daemon.timezone).await?;
        tracing::info!(channel = %c.name, "channel outbox: {report:?}");
    }
    Ok(())
}
