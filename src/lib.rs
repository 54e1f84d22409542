//! renewd keeps prepaid mobile lines alive: it checks each line on its schedule through a
//! carrier adapter, buys a top-up when a threshold is crossed, and emails a receipt.
//!
//! Module map (ARCHITECTURE.md has the flow and the invariants):
//! - `config`: TOML -> validated `Config`, every problem at once.
//! - `money`: exact amounts, data sizes, durations.
//! - `model`: observations and the top-up life cycle.
//! - `policy`: pure decisions (thresholds, settle, caps, forecast).
//! - `schedule` / `scheduler`: when each line is checked; the heap loop.
//! - `carriers`: the `Carrier` seam and one adapter per file.
//! - `ledger`: the store seam (SQLite): observations, top-ups, outbox.
//! - `notify`: the `Notifier` seam, message composition, delivery.
//! - `check`: one check of one line, start to end.
//! - `contain`: a panic in one line's check stays in that line.
//! - `daemon`: wiring, signals, reload, shutdown.
//! - `service`: systemd notify and watchdog, /metrics and /healthz, journald log lines.
//! - `control`: the local control socket (`topup`, `pause`, `resume` to the daemon).
//! - `i18n`: every person-facing text in each language (Fluent), values formatted per language.
//! - `cli`: the commands.

pub mod carriers;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contain;
pub mod control;
pub mod daemon;
pub mod i18n;
pub mod ledger;
pub mod model;
pub mod money;
pub mod notify;
pub mod policy;
pub mod schedule;
pub mod scheduler;
pub mod service;
