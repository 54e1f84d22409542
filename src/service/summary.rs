//! The periodic INFO summary of finished checks: holds are not logged one by one (a fleet
//! of 100,000 lines would write 100,000 log lines per round), they are counted here.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the summary is logged (when any check finished since the last one).
pub const SUMMARY_EVERY: Duration = Duration::from_secs(10 * 60);

/// Checks finished since the last summary, by outcome.
#[derive(Default)]
pub struct Tally(Mutex<BTreeMap<&'static str, u64>>);

impl Tally {
    pub fn add(&self, outcome: &'static str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(outcome).or_default() += 1;
    }

    /// The counts so far, reset to zero.
    pub fn take(&self) -> BTreeMap<&'static str, u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// `1520 checks in the last 10m: hold 1500, wait 12, check_failed 8`.
pub fn line(counts: &BTreeMap<&'static str, u64>, every: Duration) -> Option<String> {
    let total: u64 = counts.values().sum();
    let mut parts: Vec<_> = counts.iter().collect();
    parts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = parts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let span = crate::money::format_duration(every);
    (total > 0).then(|| format!("{total} checks in the last {span}: {}", parts.join(", ")))
}

/// Logs the summary every `SUMMARY_EVERY` until the daemon stops.
pub(crate) async fn log_loop(tally: Arc<Tally>, stopped: impl Future<Output = ()>) {
    tokio::pin!(stopped);
    let mut tick = tokio::time::interval(SUMMARY_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            () = &mut stopped => break,
            _ = tick.tick() => {
                if let Some(text) = line(&tally.take(), SUMMARY_EVERY) {
                    tracing::info!("{text}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_largest_first_and_reset() {
        let t = Tally::default();
        for o in ["hold", "hold", "check_failed", "hold", "topup"] {
            t.add(o);
        }
        let every = Duration::from_secs(600);
        assert_eq!(
            line(&t.take(), every).as_deref(),
            Some("5 checks in the last 10m: hold 3, check_failed 1, topup 1")
        );
        assert_eq!(line(&t.take(), every), None, "reset after a summary");
    }
}
