//! Prometheus metrics: a recorder of our own (no global state, so several daemons can run in
//! one test process); counters bumped as checks finish, gauges read from the ledger and the
//! scheduler at each scrape, rendered by `metrics-exporter-prometheus`.

use chrono::{DateTime, Utc};
use metrics::{Key, KeyName, Label, Level, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::carriers::Carriers;
use crate::config::Config;
use crate::ledger::{Ledger, LedgerError};
use crate::model::TopUpState;
use crate::scheduler::next_due;

const META: Metadata<'static> = Metadata::new("renewd", Level::INFO, Some(module_path!()));

/// Every state of the top-up life cycle, so each is reported (0 included).
const STATES: [TopUpState; 5] = [
    TopUpState::Planned,
    TopUpState::Submitting,
    TopUpState::Confirmed,
    TopUpState::Failed,
    TopUpState::Unknown,
];

/// The daemon's metrics.
pub struct Metrics {
    /// Holds the values; registering a key again returns the same handle.
    recorder: PrometheusRecorder,
    /// Renders the recorder in the text format.
    handle: PrometheusHandle,
    /// Checks by outcome since the last periodic log summary.
    tally: std::sync::Arc<super::summary::Tally>,
    /// 429 replies per carrier, read from the adapters at each scrape.
    rate_limited: super::rate_limited::RateLimited,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let m = Metrics {
            recorder,
            handle,
            tally: Default::default(),
            rate_limited: Default::default(),
        };
        m.describe();
        m
    }

    fn describe(&self) {
        let c = |name: &'static str, help: &'static str| {
            self.recorder
                .describe_counter(KeyName::from(name), None, SharedString::from(help));
        };
        c(
            "renewd_checks_total",
            "Checks finished since start, by outcome (the decision, or error).",
        );
        c(
            "renewd_carrier_rate_limited_total",
            "429 (rate limited) replies from the provider since start, by carrier section (Airalo and 1NCE; 0 for the others).",
        );
        let g = |name: &'static str, help: &'static str| {
            self.recorder
                .describe_gauge(KeyName::from(name), None, SharedString::from(help));
        };
        g("renewd_lines", "Lines in the running config.");
        g("renewd_topups", "Top-ups in the ledger, by state.");
        g(
            "renewd_month_spend",
            "Money counting against the caps this calendar month (daemon.timezone), in major units, by currency.",
        );
        g(
            "renewd_outbox_queued",
            "Messages waiting in the outbox to be sent.",
        );
        g(
            "renewd_outbox_dead",
            "Messages given up on (a permanent delivery failure).",
        );
        g("renewd_lines_checked", "Lines with a check on record.");
        g("renewd_lines_failing", "Lines whose last check failed.");
        g(
            "renewd_oldest_check_age_seconds",
            "Seconds since the least recently checked line was checked.",
        );
        g(
            "renewd_last_success_age_seconds",
            "Seconds since the last successful check, by line (per-line series: see daemon.metrics_per_line).",
        );
        g(
            "renewd_next_check_timestamp_seconds",
            "When the line is next checked (Unix time, without jitter), by line.",
        );
        g(
            "renewd_scheduler_loop_age_seconds",
            "Seconds since the scheduler loop last ran.",
        );
    }

    /// The counts behind the periodic log summary.
    pub fn tally(&self) -> std::sync::Arc<super::summary::Tally> {
        self.tally.clone()
    }

    /// The carriers whose 429s `/metrics` reports: at start and after each reload.
    pub fn carriers(&self, carriers: &Carriers) {
        self.rate_limited.watch(carriers);
    }

    /// A check finished with `outcome` (a `Report.decision`, or `error`).
    pub fn check_finished(&self, outcome: &'static str) {
        self.tally.add(outcome);
        let key = Key::from_parts(
            "renewd_checks_total",
            vec![Label::new("outcome", outcome.to_string())],
        );
        self.recorder.register_counter(&key, &META).increment(1);
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        let key = Key::from_parts(name, labels);
        self.recorder.register_gauge(&key, &META).set(value);
    }

    /// Reads the ledger and the schedule into the gauges, then renders everything.
    pub fn render(
        &self,
        config: &Config,
        ledger: &dyn Ledger,
        loop_age: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<String, LedgerError> {
        self.gauge("renewd_lines", vec![], config.lines.len() as f64);
        self.gauge(
            "renewd_scheduler_loop_age_seconds",
            vec![],
            loop_age.as_secs_f64(),
        );
        self.topups(ledger)?;
        let month = crate::policy::month_of(now, config.daemon.timezone);
        for spent in ledger.month_spend(None, &month)? {
            let major = spent.minor as f64 / 10f64.powi(spent.currency.exponent() as i32);
            self.gauge(
                "renewd_month_spend",
                vec![Label::new("currency", spent.currency.code().to_string())],
                major,
            );
        }
        let outbox = ledger.outbox_counts()?;
        self.gauge("renewd_outbox_queued", vec![], outbox.queued as f64);
        self.gauge("renewd_outbox_dead", vec![], outbox.dead as f64);
        self.fleet(ledger, now)?;
        for (carrier, n) in self.rate_limited.totals() {
            let key = Key::from_parts(
                "renewd_carrier_rate_limited_total",
                vec![Label::new("carrier", carrier)],
            );
            self.recorder.register_counter(&key, &META).absolute(n);
        }
        if config.daemon.metrics_per_line {
            self.lines(config, ledger, now)?;
        }
        Ok(self.handle.render())
    }

    /// Lines checked, failing, and how stale the stalest is: one query, any fleet size.
    fn fleet(&self, ledger: &dyn Ledger, now: DateTime<Utc>) -> Result<(), LedgerError> {
        let s = ledger.check_summary()?;
        self.gauge("renewd_lines_checked", vec![], s.checked as f64);
        self.gauge("renewd_lines_failing", vec![], s.failing as f64);
        if let Some(at) = s.oldest {
            let age = (now - at).num_milliseconds().max(0) as f64 / 1000.0;
            self.gauge("renewd_oldest_check_age_seconds", vec![], age);
        }
        Ok(())
    }

    fn topups(&self, ledger: &dyn Ledger) -> Result<(), LedgerError> {
        let counts = ledger.topup_counts()?;
        for state in STATES {
            let n = counts
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n);
            self.gauge(
                "renewd_topups",
                vec![Label::new("state", state.as_str())],
                n as f64,
            );
        }
        Ok(())
    }

    fn lines(
        &self,
        config: &Config,
        ledger: &dyn Ledger,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let checks = ledger.last_checks()?;
        let last: std::collections::HashMap<&str, &crate::ledger::CheckRecord> =
            checks.iter().map(|c| (c.line_id.as_str(), c)).collect();
        for line in &config.lines {
            let label = || vec![Label::new("line", line.id.clone())];
            let check = last.get(line.id.as_str()).copied();
            // A good check is the last success; while failing, the last stored reading is
            // (readings equal to the previous one in the same hour are not stored again).
            let success = match check.filter(|c| c.error.is_none()) {
                Some(c) => Some(c.at),
                None => ledger.last_observation(&line.sim())?.map(|o| o.at),
            };
            if let Some(at) = success {
                let age = (now - at).num_milliseconds() as f64 / 1000.0;
                self.gauge("renewd_last_success_age_seconds", label(), age.max(0.0));
            }
            let last_check = check.map(|c| c.at);
            if let Some(due) = next_due(&line.schedule, last_check, now, config.daemon.timezone) {
                self.gauge(
                    "renewd_next_check_timestamp_seconds",
                    label(),
                    due.timestamp() as f64,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::SqliteLedger;
    use crate::model::Observation;

    fn config(per_line: &str) -> Config {
        let text = format!(
            "[daemon]\n{per_line}\n[carriers.sim]\ntype = \"simulated\"\n\
             [policies.p]\nbalance_below = \"1.00 USD\"\ntopup_amount = \"5.00 USD\"\n\
             [[lines]]\nid = \"a\"\ncarrier = \"sim\"\npolicy = \"p\"\n\
             [[lines]]\nid = \"b\"\ncarrier = \"sim\"\npolicy = \"p\"\n"
        );
        crate::config::from_str(&text, std::path::Path::new("t.toml")).expect("valid")
    }

    /// Fleet series always; per-line series by default for a small config, and only when
    /// asked for (or not turned off) otherwise.
    #[test]
    fn per_line_series_follow_the_setting() {
        let ledger = SqliteLedger::open_in_memory().unwrap();
        let now = Utc::now();
        ledger
            .record_observation("a", "line:a", &Observation::empty(now))
            .unwrap();
        ledger.record_check_failure("b", now, "down").unwrap();
        for (setting, per_line) in [
            ("", true),
            ("metrics_per_line = false", false),
            ("metrics_per_line = true", true),
        ] {
            let page = Metrics::new()
                .render(&config(setting), &ledger, std::time::Duration::ZERO, now)
                .unwrap();
            assert!(page.contains("renewd_lines_checked 2"), "{page}");
            assert!(page.contains("renewd_lines_failing 1"), "{page}");
            assert!(page.contains("renewd_oldest_check_age_seconds 0"), "{page}");
            assert_eq!(page.contains("line=\"a\""), per_line, "{setting:?}\n{page}");
        }
    }
}
