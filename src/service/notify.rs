//! sd_notify: READY, STATUS, WATCHDOG, RELOADING and STOPPING. Every call does nothing when
//! `NOTIFY_SOCKET` is unset (not started by systemd), and a failed send is only logged.

use std::future::Future;
use std::time::Duration;

use sd_notify::NotifyState;

use super::Shared;
use super::status::status_line;

/// Whether systemd listens (`NOTIFY_SOCKET` is set).
pub fn enabled() -> bool {
    std::env::var_os("NOTIFY_SOCKET").is_some()
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("cannot notify systemd ({states:?}): {e}");
    }
}

/// READY=1, with a STATUS when one is given.
pub fn ready(status: Option<&str>) {
    match status {
        Some(s) => send(&[NotifyState::Ready, NotifyState::Status(s)]),
        None => send(&[NotifyState::Ready]),
    }
}

/// RELOADING=1 with MONOTONIC_USEC (required by systemd 253+ with `Type=notify-reload`);
/// READY=1 must follow, whether the reload is applied or refused.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(e) => {
            tracing::warn!("cannot read the monotonic clock for MONOTONIC_USEC: {e}");
            send(&[NotifyState::Reloading]);
        }
    }
}

/// A reload was refused: READY=1 again (the old config runs on) and a STATUS saying so.
pub fn reload_refused() {
    ready(Some(
        "reload refused: invalid config, running the previous one (the log names the keys)",
    ));
}

/// STOPPING=1 with a STATUS.
pub fn stopping() {
    send(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: letting in-flight checks finish"),
    ]);
}

/// The watchdog interval systemd asked for (`WATCHDOG_USEC`, for this pid).
fn watchdog() -> Option<Duration> {
    sd_notify::watchdog_enabled().filter(|d| !d.is_zero())
}

/// Follows the scheduler's snapshots until the stop: records the heartbeat, keeps STATUS
/// current, and sends WATCHDOG=1 at half the interval while the loop is fresh, so a
/// stuck scheduler loop stops the pings and systemd restarts the service.
pub(crate) async fn watch_loop(mut shared: Shared, stopped: impl Future<Output = ()>) {
    let notify = enabled();
    let dog = watchdog().filter(|_| notify);
    let mut ping = tokio::time::interval(dog.map_or(Duration::from_secs(3600), |d| d / 2));
    let mut last_status = String::new();
    let mut scheduler_alive = true;
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            changed = shared.snapshot.changed(), if scheduler_alive => {
                if changed.is_err() {
                    scheduler_alive = false;
                    continue;
                }
                shared.liveness.seen();
                if notify {
                    update_status(&shared, &mut last_status);
                }
            }
            _ = ping.tick(), if dog.is_some() => {
                if shared.liveness.fresh() {
                    send(&[NotifyState::Watchdog]);
                } else {
                    tracing::error!(silent_for = ?shared.liveness.age(), "the scheduler loop is stuck; withholding the watchdog ping so systemd restarts renewd");
                }
            }
        }
    }
}

/// Sends STATUS when the summary line changed.
fn update_status(shared: &Shared, last: &mut String) {
    let config = shared.config.borrow().clone();
    let snap = shared.snapshot.borrow().clone();
    let pending = shared.ledger.open_top_ups().map(|v| v.len());
    let mut line = status_line(&config, &snap, pending, chrono::Utc::now());
    if let Ok(Some(p)) = shared.ledger.outbox_pause() {
        line.push_str(&format!(", EMAIL PAUSED: {}", p.reason));
    }
    for p in shared.ledger.channel_pauses().unwrap_or_default() {
        line.push_str(&format!(", {} PAUSED", p.channel));
    }
    if line != *last {
        send(&[NotifyState::Status(&line)]);
        *last = line;
    }
}
