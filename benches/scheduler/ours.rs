//! renewd's scheduler under the benchmark's work: fires are received and acknowledged.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use chrono_tz::Tz;
use renewd::clock::Clock;
use renewd::schedule::Schedule;
use renewd::scheduler::{self, Command, Entry, Handle, Options};
use tokio::sync::mpsc;

use crate::work::{Due, Recorder};

/// Loads one line per `Due` and starts a consumer that records and acknowledges fires.
pub fn start(dues: &[Due], rec: Arc<Recorder>) -> Handle {
    let now = Utc::now();
    let entries = dues
        .iter()
        .enumerate()
        .map(|(i, due)| entry(i, *due, now))
        .collect();
    let opts = Options {
        tz: Tz::UTC,
        jitter: Duration::ZERO,
        tick: Duration::from_secs(5),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let (handle, _join) = scheduler::spawn(
        entries,
        opts,
        Clock::System,
        tx,
        std::future::pending::<()>(),
    );
    let commands = handle.commands.clone();
    tokio::spawn(async move {
        while let Some(fire) = rx.recv().await {
            rec.record(fire.due);
            let _ = commands.send(Command::Done { line: fire.line });
        }
    });
    handle
}

/// The line's schedule, parsed from text as the config does, and a last check that makes
/// its first due time match `due`.
fn entry(i: usize, due: Due, now: chrono::DateTime<Utc>) -> Entry {
    let (text, last_check) = match due {
        Due::Hourly { minute } => (format!("{minute} * * * *"), now - TimeDelta::minutes(10)),
        Due::EveryMinuteAt { second } => {
            let first = Due::EveryMinuteAt { second }.due_before(now + TimeDelta::seconds(62));
            ("every 60s".to_string(), first - TimeDelta::seconds(60))
        }
        Due::At(t) => ("every 1h".to_string(), t - TimeDelta::hours(1)),
    };
    let schedule = Schedule::parse(&text).expect("benchmark schedules are valid");
    Entry {
        line: format!("line-{i:06}"),
        schedule,
        last_check: Some(last_check),
    }
}
