//! Prometheus metrics: a recorder of our own (no global state, so several daemons can run in
//! one test process); counters bumped as checks finish, gauges read from the ledger and the
//! scheduler at each scrape, rendered by `metrics-exporter-prometheus`.

use chrono::{DateTime, Utc};
use metrics::{Key, KeyName, Label, Level, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

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
        let m = Metrics { recorder, handle };
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
        g(
            "renewd_last_success_age_seconds",
            "Seconds since the last successful check, by line.",
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

    /// A check finished with `outcome` (a `Report.decision`, or `error`).
    pub fn check_finished(&self, outcome: &str) {
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
        self.lines(config, ledger, now)?;
        Ok(self.handle.render())
    }

    fn topups(&self, ledger: &dyn Ledger) -> Result<(), LedgerError> {
        let all = ledger.history(None, None)?;
        for state in STATES {
            let n = all.iter().filter(|t| t.state == state).count();
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
        let last = ledger.last_checks()?;
        for line in &config.lines {
            let label = || vec![Label::new("line", line.id.clone())];
            let check = last.iter().find(|c| c.line_id == line.id);
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
