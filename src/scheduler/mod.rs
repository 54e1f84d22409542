//! The scheduler: one tokio task holding a heap of (next fire, line) that sleeps until the
//! earliest, sends a `Fire` per due line, and takes reloads and `Done`s as commands.
//!
//! Rules it keeps: jitter in `[0, jitter]` on every fire; a line never overlaps itself (a
//! fire due while its check is running is skipped); a line overdue at start, or never
//! checked, fires once soon after start; the loop wakes at least every `tick` and publishes
//! a `Snapshot` so a watchdog can tell it is alive.

#![deny(clippy::arithmetic_side_effects)]

mod table;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::schedule::Schedule;
use table::Table;

/// One line to schedule.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The line's id, as in the config; fires and `Done` name it.
    pub line: String,
    /// When the line is checked.
    pub schedule: Schedule,
    /// The last completed check (from the ledger); `None` means check soon after start.
    pub last_check: Option<DateTime<Utc>>,
}

/// A line is due: run its check, then send `Command::Done` with the same `line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fire {
    /// The line's id (shared with the scheduler, so a fire allocates nothing).
    pub line: Arc<str>,
    /// The scheduled time, without jitter; in the past for a catch-up fire.
    pub due: DateTime<Utc>,
}

/// What the daemon tells a running scheduler.
#[derive(Debug)]
pub enum Command {
    /// A reload: the new set of lines and options. Lines whose schedule and time zone did
    /// not change keep their due time.
    Replace { entries: Vec<Entry>, opts: Options },
    /// The check started by a `Fire` for this line has finished.
    Done { line: Arc<str> },
}

/// How lines are scheduled.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The zone cron fields are read in.
    pub tz: Tz,
    /// Each fire is delayed by a random amount in `[0, jitter]` (millisecond steps), so
    /// many lines on one schedule do not hit a carrier in the same instant.
    pub jitter: Duration,
    /// The longest the loop sleeps; the snapshot is refreshed at least this often.
    pub tick: Duration,
}

/// What the scheduler last reported about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Lines scheduled.
    pub lines: usize,
    /// The earliest pending fire (with jitter) and its line.
    pub next_due: Option<(DateTime<Utc>, Arc<str>)>,
    /// Wall time of the last loop iteration; older than a few ticks means the loop is stuck.
    pub last_loop: Option<DateTime<Utc>>,
    /// Lines with a check in flight.
    pub running: usize,
    /// Fires skipped since start because the line's previous check was still running.
    pub skipped: u64,
}

/// The daemon's side of a running scheduler.
#[derive(Clone, Debug)]
pub struct Handle {
    /// Reloads and `Done`s. Dropping every sender stops the scheduler.
    pub commands: mpsc::UnboundedSender<Command>,
    /// Refreshed every loop iteration.
    pub snapshot: watch::Receiver<Snapshot>,
}

/// When a line will next be checked, without jitter: soon (`now`) if never checked or
/// overdue; `None` for a cron pattern that never fires again.
pub fn next_due(
    schedule: &Schedule,
    last_check: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    match last_check {
        None => Some(now),
        Some(t) => schedule.next_after(t.min(now), tz).map(|due| due.max(now)),
    }
}

/// Starts the scheduler task. It sends fires on `fires` (waiting when the channel is full,
/// never dropping one) and stops when `shutdown` resolves, `fires` is closed, or every
/// command sender is dropped.
pub fn spawn(
    entries: Vec<Entry>,
    opts: Options,
    clock: Clock,
    fires: mpsc::Sender<Fire>,
    shutdown: impl Future + Send + 'static,
) -> (Handle, JoinHandle<()>) {
    let (commands, rx) = mpsc::unbounded_channel();
    let (snap_tx, snapshot) = watch::channel(Snapshot::default());
    let mut table = Table::new(opts);
    table.replace(entries, opts, clock.now());
    let task = Loop {
        table,
        tick: opts.tick,
        clock,
        fires,
        commands: rx,
        snapshot: snap_tx,
        blocked: None,
        last_seen: None,
    };
    let join = tokio::spawn(task.run(shutdown));
    (Handle { commands, snapshot }, join)
}

/// What woke the loop.
enum Event {
    Command(Option<Command>),
    /// The fires channel has room (`false`: it is closed).
    Room(bool),
    Wake,
}

/// The scheduler task's state.
struct Loop {
    table: Table,
    /// Copied from the options; the longest sleep.
    tick: Duration,
    clock: Clock,
    fires: mpsc::Sender<Fire>,
    commands: mpsc::UnboundedReceiver<Command>,
    snapshot: watch::Sender<Snapshot>,
    /// A fire taken off the heap that the full `fires` channel has not accepted yet.
    blocked: Option<Fire>,
    /// The wall time and monotonic instant of the previous iteration, to notice a step of
    /// the wall clock (NTP, resume from suspend, a person setting the date).
    last_seen: Option<(DateTime<Utc>, Instant)>,
}

/// A wall clock that drifts from the monotonic one by more than this between two loop
/// iterations was stepped (NTP slews far less: at most 0.5 ms a second).
const STEP_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

impl Loop {
    async fn run(mut self, shutdown: impl Future) {
        tokio::pin!(shutdown);
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        loop {
            let now = self.clock.now();
            self.notice_step(now);
            if self.blocked.is_none() && !self.send_due(now) {
                return;
            }
            self.publish(now);
            let wake = self.wake_at(now);
            if sleep.deadline() != wake {
                sleep.as_mut().reset(wake);
            }
            let event = tokio::select! {
                biased;
                _ = &mut shutdown => return,
                cmd = self.commands.recv() => Event::Command(cmd),
                permit = self.fires.reserve(), if self.blocked.is_some() => Event::Room(permit.is_ok()),
                _ = &mut sleep => Event::Wake,
            };
            match event {
                Event::Command(Some(cmd)) => self.apply_all(cmd),
                Event::Room(true) => self.send_blocked(),
                Event::Command(None) | Event::Room(false) => return,
                Event::Wake => {}
            }
        }
    }

    /// Applies `first` and the commands already queued behind it (up to a batch), so a
    /// burst of `Done`s costs one loop iteration rather than one each.
    fn apply_all(&mut self, first: Command) {
        self.apply(first);
        for _ in 0..1024 {
            match self.commands.try_recv() {
                Ok(cmd) => self.apply(cmd),
                Err(_) => break,
            }
        }
    }

    /// Compares the wall time with the monotonic time since the last iteration. A step back
    /// reschedules (nothing waits for the clock to pass the old time); a step forward needs
    /// nothing: each overdue line pops once and is rescheduled from the new time.
    fn notice_step(&mut self, now: DateTime<Utc>) {
        let mono = Instant::now();
        if let Some((wall, at)) = self.last_seen {
            let elapsed =
                chrono::TimeDelta::from_std(mono.saturating_duration_since(at)).unwrap_or_default();
            let wall_moved = now.signed_duration_since(wall);
            let step = wall_moved.checked_sub(&elapsed).unwrap_or_default();
            if step < -STEP_SLACK {
                tracing::warn!(
                    step_seconds = step.num_seconds(),
                    "the wall clock went back; lines keep their intervals"
                );
                self.table.stepped_back(step.abs(), now);
            } else if step > STEP_SLACK {
                tracing::info!(
                    step_seconds = step.num_seconds(),
                    "the wall clock went forward; overdue lines are checked once"
                );
            }
        }
        self.last_seen = Some((now, mono));
    }

    /// Sends the fire the full channel refused, now that it has room.
    fn send_blocked(&mut self) {
        if let Some(fire) = self.blocked.take()
            && let Err(mpsc::error::TrySendError::Full(fire)) = self.fires.try_send(fire)
        {
            self.blocked = Some(fire);
        }
    }

    /// Sends every fire due at `now` until the channel fills; false if it is closed.
    fn send_due(&mut self, now: DateTime<Utc>) -> bool {
        while let Some(fire) = self.table.pop_due(now) {
            match self.fires.try_send(fire) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(fire)) => {
                    self.blocked = Some(fire);
                    return true;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
        }
        true
    }

    /// The earliest pending fire, or one tick from now, whichever comes first.
    fn wake_at(&mut self, now: DateTime<Utc>) -> Instant {
        let now_mono = Instant::now();
        let tick = now_mono.checked_add(self.tick).unwrap_or(now_mono);
        match self.table.peek() {
            Some((at, _)) if self.blocked.is_none() && at > now => {
                self.clock.instant_at(at).min(tick)
            }
            _ => tick,
        }
    }

    /// Refreshes the snapshot the daemon's watchdog and status read.
    fn publish(&mut self, now: DateTime<Utc>) {
        let next_due = self.table.peek().map(|(at, line)| (at, line.clone()));
        let snap = Snapshot {
            lines: self.table.len(),
            next_due,
            last_loop: Some(now),
            running: self.table.running,
            skipped: self.table.skipped,
        };
        self.snapshot.send_replace(snap);
    }

    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Replace { entries, opts } => {
                self.tick = opts.tick;
                self.table.replace(entries, opts, self.clock.now());
            }
            Command::Done { line } => self.table.done(&line),
        }
    }
}
