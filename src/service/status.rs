//! The one-line STATUS summary: "12 lines, next check 14:05 mom-tmobile, 1 top-up pending".

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::ledger::LedgerError;
use crate::scheduler::Snapshot;

/// The summary for `systemctl status`; the next check in `daemon.timezone`, with its date
/// when it is not within the next 24 hours.
pub fn status_line(
    config: &Config,
    snap: &Snapshot,
    pending: Result<usize, LedgerError>,
    now: DateTime<Utc>,
) -> String {
    let lines = match config.lines.len() {
        0 => "no lines configured".to_string(),
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    };
    let next = match &snap.next_due {
        Some((at, line)) => {
            let local = at.with_timezone(&config.daemon.timezone);
            let fmt = if *at - now < chrono::Duration::hours(24) {
                "%H:%M"
            } else {
                "%Y-%m-%d %H:%M"
            };
            format!(", next check {} {line}", local.format(fmt))
        }
        None => String::new(),
    };
    let pending = match pending {
        Ok(1) => ", 1 top-up pending".to_string(),
        Ok(n) => format!(", {n} top-ups pending"),
        Err(e) => format!(", ledger unreadable: {e}"),
    };
    format!("{lines}{next}{pending}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn config(lines: usize, tz: &str) -> Config {
        let mut body =
            format!("[daemon]\ntimezone = \"{tz}\"\n[carriers.sim]\ntype = \"simulated\"\n");
        for i in 0..lines {
            body.push_str(&format!("[[lines]]\nid = \"l{i}\"\ncarrier = \"sim\"\n[lines.policy]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n"));
        }
        crate::config::from_str(&body, std::path::Path::new("t.toml")).expect("valid test config")
    }

    /// Lines configured, time zone, the snapshot's next fire, open top-ups, the summary.
    type Case = (
        usize,
        &'static str,
        Option<(DateTime<Utc>, std::sync::Arc<str>)>,
        Result<usize, LedgerError>,
        &'static str,
    );

    #[test]
    fn summary_lines() {
        let now = Utc.with_ymd_and_hms(2026, 3, 5, 18, 0, 0).unwrap();
        let soon = Some((now + chrono::Duration::minutes(65), "mom-tmobile".into()));
        let later = Some((now + chrono::Duration::days(3), "l0".into()));
        let snap = |next_due| Snapshot {
            next_due,
            ..Snapshot::default()
        };
        let cases: [Case; 4] = [
            (
                12,
                "America/New_York",
                soon.clone(),
                Ok(1),
                "12 lines, next check 14:05 mom-tmobile, 1 top-up pending",
            ),
            (
                1,
                "UTC",
                soon,
                Ok(0),
                "1 line, next check 19:05 mom-tmobile, 0 top-ups pending",
            ),
            (
                1,
                "UTC",
                later,
                Ok(2),
                "1 line, next check 2026-03-08 18:00 l0, 2 top-ups pending",
            ),
            (
                0,
                "UTC",
                None,
                Ok(0),
                "no lines configured, 0 top-ups pending",
            ),
        ];
        for (n, tz, next, pending, want) in cases {
            assert_eq!(status_line(&config(n, tz), &snap(next), pending, now), want);
        }
    }
}
