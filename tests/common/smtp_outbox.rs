//! An in-memory outbox behind the `Ledger` trait, for the email sender's tests. Only the
//! outbox methods work; the others fail loudly. Its `mark_*` follow the trait's contract:
//! `attempts` counts failed deliveries, `retry_at = None` gives up on the message.
#![allow(dead_code)]

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use renewd::ledger::*;
use renewd::model::{Observation, TopUp};
use renewd::money::Money;
use renewd::policy::CapHit;

#[derive(Default)]
pub struct MemOutbox {
    pub messages: Mutex<Vec<OutboxMessage>>,
}

fn no(doing: &'static str) -> LedgerError {
    LedgerError::Read { doing, detail: "not in the in-memory outbox".into() }
}

impl MemOutbox {
    pub fn all(&self) -> Vec<OutboxMessage> {
        self.messages.lock().unwrap().clone()
    }

    fn with<R>(&self, id: i64, f: impl FnOnce(&mut OutboxMessage) -> R) -> Result<R, LedgerError> {
        let mut all = self.messages.lock().unwrap();
        let m = all.iter_mut().find(|m| m.id == id).ok_or(LedgerError::Write { doing: "updating a message", detail: format!("no message {id}") })?;
        Ok(f(m))
    }
}

impl Ledger for MemOutbox {
    fn record_observation(&self, _: &str, _: &Observation) -> Result<(), LedgerError> { Err(no("record_observation")) }
    fn recent_observations(&self, _: &str, _: usize) -> Result<Vec<Observation>, LedgerError> { Err(no("recent_observations")) }
    fn record_check_failure(&self, _: &str, _: DateTime<Utc>, _: &str) -> Result<CheckRecord, LedgerError> { Err(no("record_check_failure")) }
    fn last_checks(&self) -> Result<Vec<CheckRecord>, LedgerError> { Err(no("last_checks")) }
    fn plan_top_up(&self, _: &Intent, _: &Caps, _: &dyn Fn(&CapHit) -> Draft) -> Result<Planned, LedgerError> { Err(no("plan_top_up")) }
    fn mark_submitting(&self, _: i64, _: DateTime<Utc>) -> Result<(), LedgerError> { Err(no("mark_submitting")) }
    fn set_provider_ref(&self, _: i64, _: &str) -> Result<(), LedgerError> { Err(no("set_provider_ref")) }
    fn settle(&self, _: i64, _: &Settlement, _: DateTime<Utc>, _: Option<&Draft>) -> Result<TopUp, LedgerError> { Err(no("settle")) }
    fn top_up(&self, _: i64) -> Result<Option<TopUp>, LedgerError> { Err(no("top_up")) }
    fn open_top_ups(&self) -> Result<Vec<TopUp>, LedgerError> { Err(no("open_top_ups")) }
    fn last_confirmed(&self, _: &str) -> Result<Option<TopUp>, LedgerError> { Err(no("last_confirmed")) }
    fn history(&self, _: Option<&str>, _: Option<DateTime<Utc>>) -> Result<Vec<TopUp>, LedgerError> { Err(no("history")) }
    fn month_spend(&self, _: Option<&str>, _: &Month) -> Result<Vec<Money>, LedgerError> { Err(no("month_spend")) }

    fn enqueue(&self, draft: &Draft, at: DateTime<Utc>) -> Result<bool, LedgerError> {
        let mut all = self.messages.lock().unwrap();
        if all.iter().any(|m| m.draft.key == draft.key) {
            return Ok(false);
        }
        let id = all.len() as i64 + 1;
        all.push(OutboxMessage { id, draft: draft.clone(), created_at: at, attempts: 0, next_attempt_at: at, sent_at: None, last_error: None, dead: false });
        Ok(true)
    }

    fn due_messages(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxMessage>, LedgerError> {
        let all = self.messages.lock().unwrap();
        Ok(all.iter().filter(|m| m.sent_at.is_none() && !m.dead && m.next_attempt_at <= now).take(limit).cloned().collect())
    }

    fn next_message_due(&self) -> Result<Option<DateTime<Utc>>, LedgerError> {
        let all = self.messages.lock().unwrap();
        Ok(all.iter().filter(|m| m.sent_at.is_none() && !m.dead).map(|m| m.next_attempt_at).min())
    }

    fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), LedgerError> {
        self.with(id, |m| m.sent_at = Some(at))
    }

    fn mark_attempt_failed(&self, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<(), LedgerError> {
        self.with(id, |m| {
            m.attempts += 1;
            m.last_error = Some(error.to_string());
            match retry_at {
                Some(at) => m.next_attempt_at = at,
                None => m.dead = true,
            }
        })
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, LedgerError> {
        let all = self.messages.lock().unwrap();
        let count = |f: &dyn Fn(&OutboxMessage) -> bool| all.iter().filter(|m| f(m)).count() as u64;
        Ok(OutboxCounts { queued: count(&|m| m.sent_at.is_none() && !m.dead), dead: count(&|m| m.dead), sent: count(&|m| m.sent_at.is_some()) })
    }

    fn dead_messages(&self) -> Result<Vec<OutboxMessage>, LedgerError> {
        Ok(self.all().into_iter().filter(|m| m.dead).collect())
    }
}
