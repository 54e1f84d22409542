//! The validated configuration: what `renewd` runs on, built from the TOML file.
//!
//! `load()` reads and parses the file (`raw.rs`), then `validate()` checks every value and
//! cross-reference and returns all problems at once, each with its key path and position.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::carriers::CarrierSpec;
use crate::money::{DataSize, Money};
use crate::schedule::Schedule;

pub mod bounds;
mod inventory;
mod line_check;
mod lines;
pub mod locate;
pub mod notify;
mod notify_kinds;
pub mod notify_raw;
mod one_line;
mod parse_error;
mod policies;
mod policy;
pub mod raw;
pub mod secret;
pub mod state_dir;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_examples;
#[cfg(test)]
mod tests_fleet;
pub mod validate;

pub use lines::reports_expiry;
pub use notify::{Channel, ChannelKind, Notify, ParseMode};
pub use secret::{Secret, SecretSource};
pub use validate::{validate, validate_with};

/// Default config path when neither `-c` nor `RENEWD_CONFIG` is given.
pub const DEFAULT_PATH: &str = "/etc/renewd/renewd.toml";

/// Everything renewd runs on, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, for messages and SIGHUP reloads.
    pub path: PathBuf,
    pub daemon: Daemon,
    /// `None`: messages are written as `.eml` files into `<state_dir>/outbox`.
    pub email: Option<Email>,
    /// All lines together, per calendar month in `daemon.timezone`.
    pub monthly_cap: Option<Money>,
    pub carriers: BTreeMap<String, CarrierSpec>,
    pub lines: Vec<Line>,
    /// `[[notify]]` channels and per-line `email_to`.
    pub notify: Notify,
    /// Problems that do not stop renewd but that a person should see (e.g. inline secrets).
    pub warnings: Vec<Problem>,
}

#[derive(Debug, Clone)]
pub struct Daemon {
    pub state_dir: PathBuf,
    pub timezone: Tz,
    /// Decide, log and email, but never buy.
    pub dry_run: bool,
    /// Upper bound of the random delay added to each scheduled check.
    pub jitter: Duration,
    pub max_concurrent_checks: usize,
    /// Address for `/metrics` and `/healthz`, when set.
    pub listen: Option<std::net::SocketAddr>,
    /// After a confirmed top-up, readings that do not show it are ignored this long.
    pub settle: Duration,
    /// A line failing its checks this long draws a failure email.
    pub check_grace: Duration,
    /// Readings older than this are dropped from the ledger (`daemon.keep_readings`).
    pub keep_readings: Duration,
    /// `/metrics` has series per line (`daemon.metrics_per_line`; by default only up to
    /// [`PER_LINE_METRICS_UP_TO`] lines, so a fleet's scrape stays small and fast).
    pub metrics_per_line: bool,
    /// The language of every message and of `status`, unless a channel or `[email]` says otherwise.
    pub language: crate::i18n::Lang,
}

impl Daemon {
    /// `keep_readings` for the ledger (bounded at validation, so it always converts).
    pub fn keep_readings_for_ledger(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.keep_readings).unwrap_or(chrono::Duration::days(90))
    }
}

/// Up to this many lines `/metrics` has per-line series unless `metrics_per_line = false`;
/// above it only fleet-level series unless `metrics_per_line = true`.
pub const PER_LINE_METRICS_UP_TO: usize = 1000;

#[derive(Debug, Clone)]
pub struct Email {
    pub smtp_url: String,
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    pub from: String,
    pub to: Vec<String>,
    /// Which kinds of message are sent: receipt, failure, warning (the default), digest.
    pub send: Vec<MessageKind>,
    /// `email.language`, else `daemon.language`.
    pub language: crate::i18n::Lang,
}

/// The kinds of message renewd sends; `digest` (a monthly summary) only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Receipt,
    Failure,
    Warning,
    Digest,
}

impl MessageKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageKind::Receipt => "receipt",
            MessageKind::Failure => "failure",
            MessageKind::Warning => "warning",
            MessageKind::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "receipt" => MessageKind::Receipt,
            "failure" => MessageKind::Failure,
            "warning" => MessageKind::Warning,
            "digest" => MessageKind::Digest,
            _ => return None,
        })
    }
}

/// One prepaid line to keep alive.
#[derive(Debug, Clone)]
pub struct Line {
    /// Unique, `[a-z0-9-]+`; the key of everything in the ledger.
    pub id: String,
    /// Label for emails; the id when not given.
    pub name: String,
    /// Name of the carrier section that buys for this line.
    pub carrier: String,
    pub number: Option<String>,
    pub iccid: Option<String>,
    pub schedule: Schedule,
    pub operator_id: Option<u64>,
    pub sku_code: Option<String>,
    /// Read status through this carrier instead (e.g. a USSD command), buy through `carrier`.
    pub status_from: Option<String>,
    /// A known plan renewal day, for carriers that cannot report expiry.
    pub renews_on: Option<NaiveDate>,
    /// Shared by every line that names the same `[policies.NAME]`.
    pub policy: Arc<Policy>,
}

impl Line {
    /// The carrier whose `status` is read for this line.
    pub fn status_carrier(&self) -> &str {
        self.status_from.as_deref().unwrap_or(&self.carrier)
    }

    /// What the ledger keys this line by: the SIM, not the config id (a label that may be
    /// renamed). See [`sim_key`].
    pub fn sim(&self) -> String {
        sim_key(self.iccid.as_deref(), self.number.as_deref(), &self.id)
    }
}

/// A SIM's identity in the ledger: `iccid:<ICCID>`, else `number:<E.164>`, else
/// `line:<id>` for a line the carrier knows by neither (a command or simulated line).
/// An ICCID or a number is globally unique, so open top-ups, caps and readings follow the
/// SIM through renames and moves between carrier sections.
pub fn sim_key(iccid: Option<&str>, number: Option<&str>, id: &str) -> String {
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    match (iccid, number) {
        (Some(i), _) if !i.trim().is_empty() => format!("iccid:{}", clean(i)),
        (_, Some(n)) if !n.trim().is_empty() => format!("number:{}", clean(n)),
        _ => format!("line:{id}"),
    }
}

/// When and what to buy for a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub balance_below: Option<Money>,
    pub data_below: Option<DataSize>,
    pub expires_within: Option<Duration>,
    pub runs_out_within: Option<Duration>,
    pub topup: TopUpChoice,
    pub monthly_cap: Option<Money>,
    /// Plan length, for carriers that cannot report expiry.
    pub plan_days: Option<u32>,
}

/// What a top-up buys.
#[derive(Debug, Clone, PartialEq)]
pub enum TopUpChoice {
    Amount(Money),
    /// A carrier package id; `price` is the line's `topup_amount` when it also states one.
    Package {
        id: String,
        price: Option<Money>,
    },
    /// The cheapest package with at least this much data.
    Cheapest {
        min_data: DataSize,
    },
}

/// One thing wrong (or worth a warning) in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Key path, e.g. `lines[2].policy.topup_amount`.
    pub key: String,
    pub message: String,
    /// 1-based line and column in the file, when the key could be found.
    pub position: Option<(usize, usize)>,
    /// `sims.csv:12` when the problem is in an inventory row, not the config file; `key`
    /// is then the row's column.
    pub file: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if self.key.is_empty() {
            return f.write_str(&self.message);
        }
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// `file:line:col: key: message`, one per line.
pub fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = Vec::new();
    for p in problems {
        let at = match (&p.file, p.position) {
            (Some(_), _) => {
                out.push(p.to_string()); // the inventory file and row say where
                continue;
            }
            (None, Some((l, c))) => format!("{}:{l}:{c}", path.display()),
            (None, None) => path.display().to_string(),
        };
        out.push(format!("{at}: {p}"));
    }
    out.join("\n")
}

/// The largest config file renewd reads (64 MiB; 100,000 lines take about 25 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads, parses and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    from_str(&read(path)?, path)
}

/// The file's text, refused above `MAX_FILE_BYTES`.
fn read(path: &Path) -> Result<String, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        let msg = format!("the file is {size} bytes; a config may be at most 64 MiB");
        return Err(read_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            msg,
        )));
    }
    std::fs::read_to_string(path).map_err(read_err)
}

/// Parses and validates config text; `path` is used for messages, and its mode (when the
/// file exists) decides whether inline secrets draw a warning.
pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    from_str_only(text, path, None)
}

/// As `load`, but only the line `id` is read from `[[lines]]` and the inventories (the
/// others are skipped unchecked): for `status LINE` of a fleet. The `[[lines]]` entries
/// that cannot be that line are cut out before parsing; when the cut document is not
/// sure to hold it, or is refused, the whole file is read as `load` would.
pub fn load_line(path: &Path, id: &str) -> Result<Config, ConfigError> {
    let text = read(path)?;
    if let Some(cut) = one_line::document_for(&text, id)
        && let Ok(config) = from_str_only(&cut, path, Some(id))
        && config.lines.iter().any(|l| l.id == id)
    {
        return Ok(config);
    }
    from_str_only(&text, path, Some(id))
}

/// As `load`, but no line is read from `[[lines]]` or the inventories (skipped unchecked):
/// for `history` of a fleet, which needs the daemon's settings and carrier sections only.
pub fn load_settings(path: &Path) -> Result<Config, ConfigError> {
    // Line ids are `[a-z0-9-]+`: none is empty, so `only = ""` reads none.
    from_str_only(&read(path)?, path, Some(""))
}

fn from_str_only(text: &str, path: &Path, only: Option<&str>) -> Result<Config, ConfigError> {
    let readable = readable_by_others(path);
    validate::validate_only(text, path, readable, only).map_err(|problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    })
}

/// The file's mode lets group or others read it (false when it cannot be read).
pub fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}
