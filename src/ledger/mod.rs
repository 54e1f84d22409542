//! The ledger seam: observations, the top-up life cycle and the outbox, in one store.
//!
//! Invariants the implementation keeps (see ARCHITECTURE.md): an intent is committed,
//! caps checked in the same transaction, before any carrier call; a message is written in
//! the same transaction as its event; a failed write is an error, never ignored.

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::config::MessageKind;
use crate::model::{Observation, TopUp, TopUpState};
use crate::money::Money;
use crate::policy::CapHit;

pub mod channel_outbox;
mod fleet;
pub mod history;
mod identity;
pub mod lock;
mod migrations;
mod observations;
mod outbox;
mod rows;
pub mod sqlite;
mod topups;
mod transitions;

pub use channel_outbox::{ChannelCounts, ChannelPause, ChannelRow, Route, Routes};
pub use history::HistoryQuery;
pub use lock::StateLock;
pub use sqlite::SqliteLedger;

/// Why a ledger operation failed. Every variant stops the work it belongs to.
#[derive(Debug, Error)]
pub enum LedgerError {
    #[error("cannot open the ledger at {path}: {detail}")]
    Open { path: String, detail: String },
    #[error(
        "another renewd (pid {pid}) holds the state directory {path}; stop it first or use another daemon.state_dir"
    )]
    Locked { path: String, pid: String },
    #[error("ledger migration {version} failed: {detail}")]
    Migration { version: u32, detail: String },
    #[error("ledger write failed while {doing}: {detail}")]
    Write { doing: &'static str, detail: String },
    #[error("ledger read failed while {doing}: {detail}")]
    Read { doing: &'static str, detail: String },
    #[error("no top-up with id {0}")]
    NoSuchTopUp(i64),
    #[error("top-up {id} is {state}, not open; nothing to resolve")]
    NotOpen { id: i64, state: String },
    /// `plan_top_up` refused: the SIM still has a top-up in flight.
    #[error("{line} already has top-up {id} open; it is settled before anything else is bought")]
    OpenTopUp { line: String, id: i64 },
    /// A guarded transition found the top-up in another state than it requires.
    #[error("top-up {id} is {state}; it cannot be {action}")]
    WrongState {
        id: i64,
        state: String,
        action: &'static str,
    },
    #[error("no outbox message with id {0}")]
    NoSuchMessage(i64),
}

/// A calendar month in the daemon's time zone, as UTC bounds `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `YYYY-MM`, for once-per-month message keys.
    pub label: (i32, u32),
}

/// A top-up about to be committed.
#[derive(Debug, Clone)]
pub struct Intent {
    /// The config id: a label.
    pub line_id: String,
    /// The SIM (`config::sim_key`): the one-open rule and the line cap count per SIM.
    pub sim: String,
    pub carrier: String,
    pub reference: String,
    pub amount: Money,
    pub package: Option<String>,
    pub trigger: String,
    pub before: Option<Observation>,
    pub at: DateTime<Utc>,
}

/// The caps an intent must fit under, for the month it falls in.
#[derive(Debug, Clone)]
pub struct Caps {
    pub line: Option<Money>,
    pub global: Option<Money>,
    pub month: Month,
}

/// The result of `plan_top_up`.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // returned once per purchase: boxing would only add noise
pub enum Planned {
    /// The intent is committed as `planned`.
    Ok(TopUp),
    /// A cap would be exceeded; nothing was committed but the (once-a-month) warning.
    Blocked(CapHit),
}

/// How a sent top-up ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    Confirmed {
        provider_ref: Option<String>,
        charged: Option<Money>,
        detail: Option<String>,
    },
    Failed {
        reason: String,
    },
    /// No definite answer: stays open until reconciled or resolved by a person.
    Unknown {
        reason: String,
    },
}

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Unique per event (e.g. `receipt:42`, `cap:mom:2026-11`): a second draft with the same
    /// key is dropped, and the Message-ID is derived from it.
    pub key: String,
    pub kind: MessageKind,
    pub line_id: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The same message in other languages (subject, text, HTML): each recipient's copy
    /// is written in its language when the draft is queued. Not stored: a queued message
    /// is in one language.
    pub translations: Vec<Localized>,
}

/// A draft's words in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Localized {
    pub lang: crate::i18n::Lang,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Draft {
    /// The draft in `lang`; the base text (English) when it has no such translation.
    pub fn in_language(&self, lang: crate::i18n::Lang) -> Draft {
        let mut d = Draft {
            translations: Vec::new(),
            ..self.clone()
        };
        if let Some(t) = self.translations.iter().find(|t| t.lang == lang) {
            d.subject = t.subject.clone();
            d.text = t.text.clone();
            d.html = t.html.clone();
        }
        d
    }
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: i64,
    pub draft: Draft,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Given up on (the server refused this message itself); shown by `status`.
    pub dead: bool,
    /// The ledger's random install id: with the key, a globally unique Message-ID.
    pub install_id: String,
}

/// Why the whole outbox is paused (a server-wide failure: auth, TLS, connection).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxPause {
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// The last check of a line, for `status` and catch-up after downtime.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRecord {
    pub line_id: String,
    pub at: DateTime<Utc>,
    /// `None` when the check succeeded.
    pub error: Option<String>,
    /// Start of the current run of failed checks, if the last check failed.
    pub failing_since: Option<DateTime<Utc>>,
}

/// The last checks of the whole fleet in three figures, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckSummary {
    /// Lines with a check on record.
    pub checked: u64,
    /// Lines whose last check failed.
    pub failing: u64,
    /// The least recent last check.
    pub oldest: Option<DateTime<Utc>>,
}

/// SIMs with something in the ledger beyond their readings, for `status` of a fleet.
#[derive(Debug, Clone, Default)]
pub struct FleetIndex {
    /// Paused, a top-up open or created since the given time, or a dead reading: may need a
    /// person. Every other SIM is not paused and has spent nothing since then.
    pub attention: std::collections::HashSet<String>,
    /// SIMs with a confirmed top-up (any other has none).
    pub confirmed: std::collections::HashSet<String>,
}

/// Outbox counts for `status` and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub queued: u64,
    pub dead: u64,
    pub sent: u64,
}

/// The store behind renewd. Implemented on SQLite; tests may use it on a temp file.
pub trait Ledger: Send + Sync {
    /// Records a reading of the SIM and marks the line's check as successful.
    fn record_observation(
        &self,
        line_id: &str,
        sim: &str,
        obs: &Observation,
    ) -> Result<(), LedgerError>;
    /// The latest readings of a SIM, oldest first, at most `limit`.
    fn recent_observations(&self, sim: &str, limit: usize)
    -> Result<Vec<Observation>, LedgerError>;
    /// Records a failed check; returns the updated record (with `failing_since`).
    fn record_check_failure(
        &self,
        line_id: &str,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<CheckRecord, LedgerError>;
    /// The most recent reading of a SIM, for `status`.
    fn last_observation(&self, sim: &str) -> Result<Option<Observation>, LedgerError>;
    /// The last check of every line that was ever checked.
    fn last_checks(&self) -> Result<Vec<CheckRecord>, LedgerError>;
    /// The last check of one line, if it was ever checked.
    fn last_check(&self, line_id: &str) -> Result<Option<CheckRecord>, LedgerError>;
    /// Lines checked, failing, and the oldest last check (one aggregate, for `/metrics`).
    fn check_summary(&self) -> Result<CheckSummary, LedgerError> {
        let all = self.last_checks()?;
        Ok(CheckSummary {
            checked: all.len() as u64,
            failing: all.iter().filter(|c| c.error.is_some()).count() as u64,
            oldest: all.iter().map(|c| c.at).min(),
        })
    }
    /// Which SIMs `status` of a fleet must read one by one (see [`FleetIndex`]); `None`
    /// when the store cannot tell cheaply (then every SIM is read).
    fn fleet_index(&self, since: DateTime<Utc>) -> Result<Option<FleetIndex>, LedgerError> {
        let _ = since;
        Ok(None)
    }
    /// How many top-ups are in each state.
    fn topup_counts(&self) -> Result<Vec<(TopUpState, u64)>, LedgerError> {
        let all = self.history(None, None)?;
        let mut out: Vec<(TopUpState, u64)> = Vec::new();
        for t in &all {
            match out.iter_mut().find(|(s, _)| *s == t.state) {
                Some((_, n)) => *n += 1,
                None => out.push((t.state, 1)),
            }
        }
        Ok(out)
    }

    /// In one transaction: checks the caps (counting planned, submitting, confirmed and
    /// unknown top-ups in the month) and commits the intent as `planned`. When a cap
    /// blocks it, writes `warning(hit)` to the outbox instead (dropped if its key exists).
    /// Refused with `LedgerError::OpenTopUp` while the line has a top-up open.
    fn plan_top_up(
        &self,
        intent: &Intent,
        caps: &Caps,
        warning: &dyn Fn(&CapHit) -> Draft,
    ) -> Result<Planned, LedgerError>;
    /// `planned` -> `submitting`, committed before the purchase request goes out.
    fn mark_submitting(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError>;
    /// Stores the provider's id as soon as it is known (before the outcome is).
    fn set_provider_ref(&self, id: i64, provider_ref: &str) -> Result<(), LedgerError>;
    /// Records the outcome and, in the same transaction, the message about it.
    /// `Confirmed` from submitting/unknown (its `charged` replaces the amount when the
    /// currency matches); `Failed` from planned/submitting/unknown; `Unknown` from
    /// submitting/unknown. Any other state is `LedgerError::WrongState`.
    fn settle(
        &self,
        id: i64,
        outcome: &Settlement,
        at: DateTime<Utc>,
        message: Option<&Draft>,
    ) -> Result<TopUp, LedgerError>;
    /// A person settles an open top-up (`renewd resolve`): confirmed when `paid`, else failed,
    /// with `message` queued in the same transaction. `LedgerError::NotOpen` when settled.
    fn resolve(
        &self,
        id: i64,
        paid: bool,
        at: DateTime<Utc>,
        message: Option<&Draft>,
    ) -> Result<TopUp, LedgerError>;
    fn top_up(&self, id: i64) -> Result<Option<TopUp>, LedgerError>;
    /// Top-ups still `planned`, `submitting` or `unknown`, oldest first.
    fn open_top_ups(&self) -> Result<Vec<TopUp>, LedgerError>;
    /// The open top-ups of one SIM (at most one, by the ledger's rule), oldest first.
    fn open_top_ups_of(&self, sim: &str) -> Result<Vec<TopUp>, LedgerError>;
    /// The most recent failed top-up of a SIM created at or after `since`.
    fn last_failed_since(
        &self,
        sim: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<TopUp>, LedgerError>;
    /// The most recent confirmed top-up of a SIM.
    fn last_confirmed(&self, sim: &str) -> Result<Option<TopUp>, LedgerError>;
    /// Records when a reading first showed a confirmed top-up (the first time wins).
    fn mark_shown(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError>;
    /// Top-ups, oldest first, optionally for one line (its SIM key, or the id it was bought
    /// under) and from a time on.
    fn history(
        &self,
        line: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<TopUp>, LedgerError>;
    /// `renewd history`: the top-ups `q` selects, oldest first, handed to `each` as they
    /// are read (`Break` stops). Returns the id to pass as `q.after` for the next page when
    /// `q.limit` cut this one; `LedgerError::NoSuchTopUp` when `q.after` names no top-up.
    fn history_page(
        &self,
        q: &HistoryQuery,
        each: &mut dyn FnMut(TopUp) -> std::ops::ControlFlow<()>,
    ) -> Result<Option<i64>, LedgerError>;
    /// Money counting against caps in `month`, per currency: one SIM, or all when `None`.
    fn month_spend(&self, sim: Option<&str>, month: &Month) -> Result<Vec<Money>, LedgerError>;
    /// Pauses (`at` = `Some`) or resumes (`None`) a SIM; `true` when that changed anything.
    fn set_paused(
        &self,
        line_id: &str,
        sim: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, LedgerError>;
    /// Since when a SIM is paused, if it is.
    fn paused_since(&self, sim: &str) -> Result<Option<DateTime<Utc>>, LedgerError>;
    /// Re-keys rows written before lines were keyed by SIM, given the config's
    /// `(line id, SIM key)` pairs; a no-op once done. Returns the rows moved.
    fn adopt_legacy(&self, lines: &[(String, String)]) -> Result<usize, LedgerError>;

    /// Adds a message unless one with the same key exists; `true` when added.
    fn enqueue(&self, draft: &Draft, at: DateTime<Utc>) -> Result<bool, LedgerError>;
    /// Messages not yet sent, not given up on, and due by `now`, oldest first.
    fn due_messages(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, LedgerError>;
    /// The earliest `next_attempt_at` of a queued message, to sleep until.
    fn next_message_due(&self) -> Result<Option<DateTime<Utc>>, LedgerError>;
    fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError>;
    /// Records a failed delivery; `retry_at = None` gives up on the message.
    fn mark_attempt_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError>;
    fn outbox_counts(&self) -> Result<OutboxCounts, LedgerError>;
    /// Messages given up on, for `status`.
    fn dead_messages(&self) -> Result<Vec<OutboxMessage>, LedgerError>;

    /// Who gets each message queued from now on beyond `[email]` (`[[notify]]` channels)
    /// and in which language; set from the config at start and on every reload.
    fn set_routes(&self, routes: Routes);
    /// How long readings are kept (`daemon.keep_readings`); set at start and on reload.
    fn set_keep_readings(&self, keep: chrono::Duration);
    /// A channel's messages due by `now`, oldest first.
    fn channel_due(
        &self,
        channel: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ChannelRow>, LedgerError>;
    fn channel_next_due(&self, channel: &str) -> Result<Option<DateTime<Utc>>, LedgerError>;
    fn channel_mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError>;
    /// A failed attempt: `retry_at` schedules the next one, `None` gives up on the message.
    fn channel_mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError>;
    /// Pauses (`Some((reason, since))`) or resumes (`None`) a channel.
    fn set_channel_pause(
        &self,
        channel: &str,
        pause: Option<(&str, DateTime<Utc>)>,
    ) -> Result<(), LedgerError>;
    fn channel_pauses(&self) -> Result<Vec<ChannelPause>, LedgerError>;
    fn channel_counts(&self) -> Result<Vec<ChannelCounts>, LedgerError>;
    /// Channel messages not sent yet, queued or dead, oldest first.
    fn channel_unsent(&self) -> Result<Vec<ChannelRow>, LedgerError>;
    /// Queues dead channel messages again: one by id, or all with `None`.
    fn channel_retry_dead(&self, id: Option<i64>, now: DateTime<Utc>)
    -> Result<usize, LedgerError>;
    /// Messages not sent yet, queued or dead, oldest first (`renewd outbox`).
    fn unsent_messages(&self) -> Result<Vec<OutboxMessage>, LedgerError>;
    /// Queues dead messages again, due at `now`: one by id, or all with `None`.
    /// Returns how many were queued again.
    fn retry_dead(&self, id: Option<i64>, now: DateTime<Utc>) -> Result<usize, LedgerError>;
    /// Sets (`Some`) or clears (`None`) the outbox pause; setting keeps the first `since`.
    fn set_outbox_pause(&self, pause: Option<&OutboxPause>) -> Result<(), LedgerError>;
    /// The outbox pause, if delivery is paused by a server-wide failure.
    fn outbox_pause(&self) -> Result<Option<OutboxPause>, LedgerError>;
}

#[cfg(test)]
mod tests;
