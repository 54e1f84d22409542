//! The `Carrier` seam: read a line's status, buy a top-up, look a purchase up by reference.
//!
//! One file per adapter; `build()` is the one place a config type becomes an adapter.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::config::{Line, TopUpChoice};
use crate::model::{Listed, Observation, Offer};

pub mod airalo;
pub mod airtime;
pub mod command;
pub mod dingconnect;
mod guard;
pub mod http;
pub mod onence;
pub mod reloadly;
pub mod simulated;
mod spec;

pub use guard::sane;
pub use spec::CarrierSpec;

/// What a carrier can report about a line; the policy only uses what is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reports {
    pub balance: bool,
    pub data: bool,
    pub expiry: bool,
}

impl Reports {
    /// A config's `reports = ["balance", "data", "expiry"]` list; all three when absent.
    pub fn from_list(list: Option<&[String]>) -> Result<Reports, String> {
        let Some(list) = list else {
            return Ok(Reports {
                balance: true,
                data: true,
                expiry: true,
            });
        };
        if let Some(bad) = list
            .iter()
            .find(|r| !["balance", "data", "expiry"].contains(&r.as_str()))
        {
            return Err(format!(
                "{bad:?} is not a figure; use \"balance\", \"data\" or \"expiry\""
            ));
        }
        let has = |s: &str| list.iter().any(|r| r == s);
        Ok(Reports {
            balance: has("balance"),
            data: has("data"),
            expiry: has("expiry"),
        })
    }
}

/// A purchase renewd has committed to the ledger and is now sending.
#[derive(Debug, Clone)]
pub struct Order {
    /// renewd's reference, unique per top-up, sent as the provider's client reference.
    pub reference: String,
    pub offer: Offer,
    /// When the intent was committed; lookups search from here.
    pub created_at: DateTime<Utc>,
    /// The provider's id, when an earlier reply already gave one.
    pub provider_ref: Option<String>,
    /// The line before the purchase, to compare against in a lookup.
    pub before: Option<Observation>,
}

/// A provider's definite "yes".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Purchase {
    pub provider_ref: Option<String>,
    /// What the provider says it charged, when it says so.
    pub charged: Option<crate::money::Money>,
    /// The provider's receipt words (package name, PIN text, ...).
    pub detail: Option<String>,
}

/// The answer to "did this purchase happen?".
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Confirmed(Purchase),
    /// The provider recorded it and it definitely failed: nothing was charged.
    Failed {
        reason: String,
    },
    /// The provider has it but has not finished it.
    Pending {
        provider_ref: Option<String>,
    },
    /// The provider has no trace of it (yet).
    NotFound,
}

/// The answer to a purchase request that got a definite reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    Confirmed(Purchase),
    /// Accepted but not final (async APIs): settle it with `lookup`.
    Pending {
        provider_ref: Option<String>,
    },
}

/// Why a carrier call failed, and whether trying again can help.
#[derive(Debug, Error)]
pub enum CarrierError {
    /// The request never reached the provider (connection refused, DNS): nothing happened.
    #[error("{carrier}: could not reach the provider: {detail}")]
    NotSent { carrier: String, detail: String },
    /// Sent, but no answer came (timeout, dropped connection): a purchase's outcome is unknown.
    #[error("{carrier}: no answer from the provider ({detail})")]
    NoAnswer { carrier: String, detail: String },
    /// The provider answered with a server error (5xx).
    #[error("{carrier}: provider error HTTP {status}: {detail}")]
    Server {
        carrier: String,
        status: u16,
        detail: String,
    },
    /// The provider answered, but not in the documented shape.
    #[error("{carrier}: malformed reply: {detail}")]
    Malformed { carrier: String, detail: String },
    /// The provider refused, with its own code and text.
    #[error("{carrier} refused ({code}): {message}")]
    Refused {
        carrier: String,
        code: String,
        message: String,
        retryable: bool,
    },
    /// The provider asks us to slow down.
    #[error("{carrier}: rate limited{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        carrier: String,
        retry_after: Option<Duration>,
    },
    /// The SIM or number can never be topped up again (recycled, unknown): a person must act.
    #[error("{carrier}: line is gone ({code}): {message}")]
    LineGone {
        carrier: String,
        code: String,
        message: String,
    },
    /// Credentials, configuration or account set-up: retrying cannot help until a person fixes it.
    #[error("{carrier}: {detail}")]
    Setup { carrier: String, detail: String },
}

impl CarrierError {
    /// Trying the same call again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            CarrierError::NotSent { .. }
            | CarrierError::NoAnswer { .. }
            | CarrierError::Server { .. }
            | CarrierError::Malformed { .. }
            | CarrierError::RateLimited { .. } => true,
            CarrierError::Refused { retryable, .. } => *retryable,
            CarrierError::LineGone { .. } | CarrierError::Setup { .. } => false,
        }
    }

    /// For a step before the real request (token, operator, funds): whatever went wrong,
    /// the request itself was not sent, so an "unknown" error becomes `NotSent`.
    pub fn before_purchase(self) -> CarrierError {
        if !self.outcome_unknown() {
            return self;
        }
        let carrier = match &self {
            CarrierError::NoAnswer { carrier, .. }
            | CarrierError::Server { carrier, .. }
            | CarrierError::Malformed { carrier, .. } => carrier.clone(),
            _ => String::new(),
        };
        CarrierError::NotSent {
            carrier,
            detail: format!("an earlier step failed, nothing was sent: {self}"),
        }
    }

    /// For a purchase request: the provider may have acted on it, so it must be looked
    /// up, never treated as failed and never re-sent under a new reference.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            CarrierError::NoAnswer { .. }
                | CarrierError::Server { .. }
                | CarrierError::Malformed { .. }
        )
    }
}

/// One carrier adapter. Implementations keep their own HTTP clients and tokens.
#[async_trait]
pub trait Carrier: Send + Sync {
    /// What this carrier can report; lines on carriers that report no expiry renew by date.
    fn reports(&self) -> Reports;

    /// The shortest settle time that makes sense for this carrier: a reading taken sooner
    /// after a top-up may come from the provider's cache and not show it yet (Airalo caches
    /// usage for 20 minutes). The daemon settles for the longer of this and `daemon.settle`.
    fn min_settle(&self) -> Duration {
        Duration::ZERO
    }

    /// How many 429 (rate limited) replies this adapter has had since it was built, for
    /// `/metrics`. Adapters that do not count say 0.
    fn rate_limited(&self) -> u64 {
        0
    }

    /// Reads the line's balance, data and expiry as the provider reports them.
    async fn status(&self, line: &Line) -> Result<Observation, CarrierError>;

    /// Resolves what to buy into a priced offer (package price, amount).
    async fn quote(&self, line: &Line, choice: &TopUpChoice) -> Result<Offer, CarrierError> {
        match choice {
            TopUpChoice::Amount(amount) => Ok(Offer {
                amount: *amount,
                package: None,
                label: None,
            }),
            _ => Err(CarrierError::Setup {
                carrier: line.carrier.clone(),
                detail: "this carrier sells amounts only; set topup_amount".into(),
            }),
        }
    }

    /// The packages or amounts the carrier lists for this line, for the monthly digest's
    /// "another package would have cost less". The default lists nothing.
    async fn offers(&self, _line: &Line) -> Result<Vec<Listed>, CarrierError> {
        Ok(Vec::new())
    }

    /// Checks that buying `offer` would go through, without buying (`once --dry-run`):
    /// e.g. DingConnect's `ValidateOnly`, Reloadly's operator and account-balance checks.
    /// The default checks nothing.
    async fn dry_run(&self, _line: &Line, _offer: &Offer) -> Result<(), CarrierError> {
        Ok(())
    }

    /// Sends the purchase. Called once per reference; a retry goes through `lookup` first.
    async fn top_up(&self, line: &Line, order: &Order) -> Result<Submitted, CarrierError>;

    /// Asks the provider whether the purchase with this reference happened.
    async fn lookup(&self, line: &Line, order: &Order) -> Result<Lookup, CarrierError>;
}

/// The adapters of one config, by carrier name.
pub type Carriers = BTreeMap<String, Arc<dyn Carrier>>;

/// Builds every configured carrier. Reads secrets and state files; does no network I/O.
pub fn build(
    specs: &BTreeMap<String, CarrierSpec>,
    state_dir: &Path,
) -> Result<Carriers, CarrierError> {
    build_with(specs, state_dir, &http::Accounts::default())
}

/// As `build`, sharing rate-limit state through `accounts` with every adapter built with
/// it: the daemon keeps one across reloads, so old and new adapters of an account count
/// against one limit.
pub fn build_with(
    specs: &BTreeMap<String, CarrierSpec>,
    state_dir: &Path,
    accounts: &http::Accounts,
) -> Result<Carriers, CarrierError> {
    let mut out = Carriers::new();
    for (name, spec) in specs {
        let carrier: Arc<dyn Carrier> = match spec {
            CarrierSpec::Simulated(s) => Arc::new(simulated::Simulated::open(name, s, state_dir)?),
            CarrierSpec::Airalo(c) => Arc::new(airalo::Airalo::new(name, c, accounts)?),
            CarrierSpec::OneNce(c) => Arc::new(onence::OneNce::new(name, c, accounts)?),
            CarrierSpec::Reloadly(c) => Arc::new(reloadly::Reloadly::new(name, c, state_dir)?),
            CarrierSpec::Dingconnect(c) => Arc::new(dingconnect::Ding::new(name, c)?),
            CarrierSpec::Command(c) => Arc::new(command::CommandCarrier::new(name, c)?),
        };
        out.insert(name.clone(), Arc::new(guard::Guarded(carrier)));
    }
    Ok(out)
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod outcome_tests;
#[cfg(test)]
mod tests;
