//! Any carrier through programs the person writes: JSON on stdout, meaning in the exit code.
//!
//! Exit 0: the JSON object on stdout is the answer. Exit 75 (EX_TEMPFAIL): nothing happened,
//! try later. Any other exit: nothing happened, and retrying will not help. For `topup`, a
//! program killed at the time limit, killed by a signal, or exiting 0 with stdout that is
//! not the schema leaves the outcome unknown (it may have bought): `lookup` settles it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;

use super::{Carrier, CarrierError, Lookup, Order, Reports, Submitted};
use crate::config::Line;
use crate::config::validate::Problems;
use crate::model::{Observation, Offer};
use crate::money::parse_duration;

pub(crate) mod reply;
mod run;

use reply::{Reply, Vars};
use run::{Ended, Who};

/// Time limit per call unless `timeout` says otherwise.
const DEFAULT_TIMEOUT: &str = "60s";
/// PATH given to programs unless `env` lists PATH (then renewd's own PATH passes through).
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// sysexits.h EX_TEMPFAIL: "try again later".
pub const EXIT_RETRY: i32 = 75;

/// A `[carriers.NAME]` section with `type = "command"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// Program and arguments that print the line's status.
    pub status: Option<Vec<String>>,
    /// Program and arguments that buy a top-up.
    pub topup: Option<Vec<String>>,
    /// Program and arguments that look a purchase up by reference.
    pub lookup: Option<Vec<String>>,
    /// Time limit per call, e.g. "30s".
    pub timeout: Option<String>,
    /// Environment variables passed through to the programs (all others are cleared).
    #[serde(default)]
    pub env: Vec<String>,
    /// Figures the status program reports: "balance", "data", "expiry" (default all three).
    pub reports: Option<Vec<String>>,
}

impl CommandConfig {
    pub fn validate(&self, key: &str, p: &mut Problems) {
        if self.status.is_none() && self.topup.is_none() {
            p.add(key, "sets neither status nor topup; e.g. status = [\"/usr/local/lib/renewd/ussd-balance\", \"{number}\"]");
        }
        for (field, argv) in [
            ("status", &self.status),
            ("topup", &self.topup),
            ("lookup", &self.lookup),
        ] {
            let Some(argv) = argv else { continue };
            if argv.first().is_none_or(|p| p.is_empty()) {
                p.add(
                    format!("{key}.{field}"),
                    "needs a program first; e.g. [\"/usr/local/lib/renewd/topup\", \"{number}\"]",
                );
            }
            for bad in argv.iter().flat_map(|a| reply::unknown_placeholders(a)) {
                p.add(
                    format!("{key}.{field}"),
                    format!("{bad} is not a placeholder; use one of {}", known()),
                );
            }
        }
        p.check(
            &format!("{key}.timeout"),
            parse_duration(self.timeout.as_deref().unwrap_or(DEFAULT_TIMEOUT)),
        );
        p.check(&format!("{key}.reports"), self.reports());
        if let Some(bad) = self.env.iter().find(|e| e.is_empty() || e.contains('=')) {
            p.add(
                format!("{key}.env"),
                format!("{bad:?} is not a variable name; e.g. env = [\"HOME\", \"MODEM\"]"),
            );
        }
    }

    fn reports(&self) -> Result<Reports, String> {
        Reports::from_list(self.reports.as_deref())
    }
}

fn known() -> String {
    reply::PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The command adapter.
pub struct CommandCarrier {
    name: String,
    cfg: CommandConfig,
    limit: Duration,
    reports: Reports,
    /// The whole environment the programs get.
    env: Vec<(String, String)>,
}

impl CommandCarrier {
    /// Builds the adapter; reads the listed environment variables now.
    pub fn new(name: &str, cfg: &CommandConfig) -> Result<Self, CarrierError> {
        let setup = |detail: String| CarrierError::Setup {
            carrier: name.to_string(),
            detail,
        };
        let limit = parse_duration(cfg.timeout.as_deref().unwrap_or(DEFAULT_TIMEOUT))
            .map_err(|e| setup(format!("timeout: {e}")))?;
        let reports = if cfg.status.is_some() {
            cfg.reports().map_err(|e| setup(format!("reports: {e}")))?
        } else {
            Reports::default()
        };
        let mut env: Vec<(String, String)> = cfg
            .env
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
            .collect();
        if !cfg.env.iter().any(|k| k == "PATH") {
            env.push(("PATH".into(), DEFAULT_PATH.into()));
        }
        Ok(CommandCarrier {
            name: name.to_string(),
            cfg: cfg.clone(),
            limit,
            reports,
            env,
        })
    }

    /// Expands and runs one configured call; `Err` only when it could not be started.
    async fn call(
        &self,
        call: &str,
        argv: Option<&Vec<String>>,
        line: &Line,
        vars: Vars,
    ) -> Result<Ended, CarrierError> {
        let setup = |detail: String| CarrierError::Setup {
            carrier: self.name.clone(),
            detail,
        };
        let argv = argv.ok_or_else(|| {
            setup(format!(
                "no {call} program is configured; add {call} = [\"/path/to/program\", ...]"
            ))
        })?;
        let args: Vec<String> = argv
            .iter()
            .map(|a| reply::expand(a, &vars))
            .collect::<Result<_, _>>()
            .map_err(|e| setup(format!("{call} for line {}: {e}", line.id)))?;
        let who = Who {
            carrier: &self.name,
            line: &line.id,
            call,
        };
        tracing::debug!(line = %line.id, carrier = %self.name, call, program = %args[0], "running");
        run::run(&args, &self.env, self.limit, &who)
            .await
            .map_err(|e| setup(format!("cannot start {}: {e}", args[0])))
    }

    /// The error for a call that did not exit 0 with a usable reply.
    /// Runs one program and reads its answer: exit 0 and one JSON object on stdout.
    async fn answer(
        &self,
        call: &str,
        argv: Option<&Vec<String>>,
        line: &Line,
        order: Option<&Order>,
    ) -> Result<Reply, CarrierError> {
        let ended = self.call(call, argv, line, vars(line, order)).await?;
        let Ended::Exited {
            code: 0, stdout, ..
        } = &ended
        else {
            return Err(self.failure(call, &ended));
        };
        reply::parse(stdout).map_err(|e| self.malformed(call, e))
    }

    fn failure(&self, call: &str, ended: &Ended) -> CarrierError {
        let carrier = self.name.clone();
        let said = |stdout: &[u8]| {
            reply::parse(stdout)
                .ok()
                .and_then(|r| r.message)
                .or_else(|| ended.last_stderr())
                .map(|m| crate::carriers::http::scrub::clean(&m))
                .unwrap_or_else(|| "(no message)".into())
        };
        match ended {
            Ended::TimedOut { .. } => CarrierError::NoAnswer {
                carrier,
                detail: format!(
                    "{call} program killed after the {}s time limit",
                    self.limit.as_secs_f64()
                ),
            },
            Ended::Signalled { .. } => CarrierError::NoAnswer {
                carrier,
                detail: format!("{call} program was killed by a signal"),
            },
            Ended::Exited { code, stdout, .. } => CarrierError::Refused {
                carrier,
                code: format!("exit {code}"),
                message: said(stdout),
                retryable: *code == EXIT_RETRY,
            },
        }
    }

    fn malformed(&self, call: &str, e: String) -> CarrierError {
        CarrierError::Malformed {
            carrier: self.name.clone(),
            detail: format!("{call}: {e}"),
        }
    }
}

fn vars(line: &Line, order: Option<&Order>) -> Vars {
    Vars {
        number: line.number.clone(),
        iccid: line.iccid.clone(),
        amount: order.map(|o| o.offer.amount.major_string()),
        currency: order.map(|o| o.offer.amount.currency.code().to_string()),
        package: order.and_then(|o| o.offer.package.clone()),
        reference: order.map(|o| o.reference.clone()),
        line: Some(line.id.clone()),
    }
}

#[async_trait]
impl Carrier for CommandCarrier {
    fn reports(&self) -> Reports {
        self.reports
    }

    async fn status(&self, line: &Line) -> Result<Observation, CarrierError> {
        let reply = self
            .answer("status", self.cfg.status.as_ref(), line, None)
            .await?;
        reply
            .observation(Utc::now())
            .map_err(|e| self.malformed("status", e))
    }

    async fn quote(
        &self,
        line: &Line,
        choice: &crate::config::TopUpChoice,
    ) -> Result<Offer, CarrierError> {
        use crate::config::TopUpChoice;
        match choice {
            TopUpChoice::Amount(a) => Ok(Offer {
                amount: *a,
                package: None,
                label: None,
            }),
            TopUpChoice::Package { id, price: Some(p) } => Ok(Offer {
                amount: *p,
                package: Some(id.clone()),
                label: None,
            }),
            _ => Err(CarrierError::Setup {
                carrier: self.name.clone(),
                detail: format!(
                    "line {}: a command carrier needs topup_amount, or topup_package with topup_amount as its price",
                    line.id
                ),
            }),
        }
    }

    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError> {
        let reply = self
            .answer("topup", self.cfg.topup.as_ref(), line, Some(order))
            .await?;
        reply.submitted().map_err(|e| match e {
            Ok(message) => CarrierError::Refused {
                carrier: self.name.clone(),
                code: "failed".into(),
                message,
                retryable: false,
            },
            Err(e) => self.malformed("topup", e),
        })
    }

    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError> {
        if self.cfg.lookup.is_none() {
            return Err(CarrierError::Setup {
                carrier: self.name.clone(),
                detail: format!(
                    "no lookup program, so top-up {} cannot be checked; settle it with `renewd resolve`",
                    order.reference
                ),
            });
        }
        let reply = self
            .answer("lookup", self.cfg.lookup.as_ref(), line, Some(order))
            .await?;
        reply.lookup().map_err(|e| self.malformed("lookup", e))
    }
}
