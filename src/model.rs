//! Domain records shared by the seams: what a carrier reported, and a top-up's life cycle.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{DataSize, Money};

/// What a carrier said about a line at one moment. `None` means "not reported".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When renewd read it (not when the carrier computed it).
    pub at: DateTime<Utc>,
    pub balance: Option<Money>,
    pub data: Option<DataSize>,
    /// The plan has unlimited data: `data_below` never triggers.
    #[serde(default)]
    pub unlimited: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub state: LineState,
    /// The carrier's own words, when it gave any (kept for the log and emails).
    #[serde(default)]
    pub note: Option<String>,
}

impl Observation {
    /// An observation with nothing reported yet, to fill in field by field.
    pub fn empty(at: DateTime<Utc>) -> Self {
        Self {
            at,
            balance: None,
            data: None,
            unlimited: false,
            expires_at: None,
            state: LineState::Active,
            note: None,
        }
    }

    /// Reports nothing at all: no figure, no plan, no known state (a carrier that
    /// cannot report, e.g. Reloadly). Such a reading is not stored.
    pub fn is_blank(&self) -> bool {
        self.balance.is_none()
            && self.data.is_none()
            && !self.unlimited
            && self.expires_at.is_none()
            && self.state == LineState::Unknown
    }
}

/// The line's service state as the carrier reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// In service.
    Active,
    /// Not yet activated (e.g. an eSIM not installed); top-ups still work.
    NotActive,
    /// The plan ran out or expired; a top-up may revive it.
    Expired,
    /// The SIM can never be topped up again (recycled, deleted): a person must act.
    Dead,
    Unknown,
}

impl LineState {
    pub fn as_str(&self) -> &'static str {
        match self {
            LineState::Active => "active",
            LineState::NotActive => "not_active",
            LineState::Expired => "expired",
            LineState::Dead => "dead",
            LineState::Unknown => "unknown",
        }
    }
}

/// Where a top-up is in its life cycle (DESIGN.md, "the money invariant").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopUpState {
    /// Intent committed; nothing sent yet.
    Planned,
    /// About to be or being sent; a crash here leaves the outcome unknown.
    Submitting,
    Confirmed,
    Failed,
    /// Sent, but no definite answer: must be reconciled before the line buys again.
    Unknown,
}

impl TopUpState {
    pub fn as_str(&self) -> &'static str {
        match self {
            TopUpState::Planned => "planned",
            TopUpState::Submitting => "submitting",
            TopUpState::Confirmed => "confirmed",
            TopUpState::Failed => "failed",
            TopUpState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "planned" => TopUpState::Planned,
            "submitting" => TopUpState::Submitting,
            "confirmed" => TopUpState::Confirmed,
            "failed" => TopUpState::Failed,
            "unknown" => TopUpState::Unknown,
            _ => return None,
        })
    }

    /// Counts against caps: money that is or may be spent.
    pub fn counts_against_caps(&self) -> bool {
        matches!(
            self,
            TopUpState::Submitting
                | TopUpState::Confirmed
                | TopUpState::Unknown
                | TopUpState::Planned
        )
    }

    /// Still open: the line buys nothing else until it is settled.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            TopUpState::Planned | TopUpState::Submitting | TopUpState::Unknown
        )
    }
}

impl fmt::Display for TopUpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the top-up ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopUp {
    /// Ledger id, shown in receipts and taken by `renewd resolve`.
    pub id: i64,
    /// The config id of the line when it was bought: a label only.
    pub line_id: String,
    /// The SIM it was bought for (`config::sim_key`): what caps, the one-open rule and
    /// history follow.
    pub sim: String,
    pub carrier: String,
    /// renewd's own reference, sent to the provider as its client reference.
    pub reference: String,
    pub amount: Money,
    pub package: Option<String>,
    pub state: TopUpState,
    /// What crossed the threshold, e.g. "data 312 MB < 500 MB".
    pub trigger: String,
    pub created_at: DateTime<Utc>,
    /// When the purchase request went out (set with `submitting`).
    pub sent_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
    /// The provider's id for the purchase (order code, transaction id).
    pub provider_ref: Option<String>,
    /// The provider's words on the outcome (receipt text, error text).
    pub detail: Option<String>,
    /// What the line looked like when the intent was written.
    pub before: Option<Observation>,
    /// When a reading first showed this (confirmed) top-up: a figure rose above `before`.
    /// `None` while no reading has: the line then does not buy again for the same crossing.
    pub shown_at: Option<DateTime<Utc>>,
}

/// A package or amount as the carrier lists it, for the monthly digest's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub label: String,
    pub price: Money,
    /// Data it adds, when it is a data package.
    pub data: Option<DataSize>,
    /// Days it lasts, when it says.
    pub days: Option<u32>,
}

/// The top-up a policy asks for, resolved by the carrier to something with a price.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub amount: Money,
    /// The carrier's package id, when buying a package rather than an amount.
    pub package: Option<String>,
    /// A label for emails, e.g. "3 GB - 30 Days".
    pub label: Option<String>,
}
