//! tokio-cron-scheduler under the benchmark's work: each job records its own lateness.

use std::sync::Arc;

use chrono::{Datelike, Timelike};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::work::{Due, Recorder};

/// Adds one job per `Due` and starts the scheduler.
pub async fn start(dues: &[Due], rec: Arc<Recorder>) -> JobScheduler {
    let sched = JobScheduler::new().await.expect("scheduler starts");
    for due in dues {
        let (due, rec) = (*due, rec.clone());
        let job = Job::new_async(cron(due), move |_id, _sched| {
            rec.record(due.due_before(chrono::Utc::now()));
            Box::pin(async {})
        })
        .expect("benchmark schedules are valid");
        sched.add(job).await.expect("job added");
    }
    sched.start().await.expect("scheduler ticks");
    sched
}

/// The same due times in tokio-cron-scheduler's 6-field (seconds first) syntax.
fn cron(due: Due) -> String {
    match due {
        Due::Hourly { minute } => format!("0 {minute} * * * *"),
        Due::EveryMinuteAt { second } => format!("{second} * * * * *"),
        Due::At(t) => format!(
            "{} {} {} {} {} *",
            t.second(),
            t.minute(),
            t.hour(),
            t.day(),
            t.month()
        ),
    }
}
