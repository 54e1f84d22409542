//! Shared wiring of the commands: logging, loading the config, opening the deps.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use super::LogFormat;
use crate::carriers::{self, Carriers};
use crate::config::{self, Config, ConfigError};
use crate::ledger::{Ledger, LedgerError, SqliteLedger, StateLock};
use crate::notify::Notifier;
use crate::notify::file::FileNotifier;
use crate::notify::smtp::SmtpNotifier;
use crate::notify::test_email::send_test;

/// Logs to stderr: text (under journald: no timestamps, `<N>` priority prefixes) or JSON;
/// `RUST_LOG` filters.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let journald = crate::service::journald::stderr_is_journal();
    match (format, journald) {
        (LogFormat::Json, _) => builder.json().init(),
        (LogFormat::Text, true) => builder
            .event_format(crate::service::journald::Journald)
            .init(),
        (LogFormat::Text, false) => builder.init(),
    }
}

/// Loads and validates the config; an invalid one prints every problem.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    config_or_hint(path, config::load(path))
}

/// The config with only line `id` read (`status LINE` of a fleet); see `config::load_line`.
pub fn load_config_line(path: &Path, id: &str) -> anyhow::Result<Config> {
    config_or_hint(path, config::load_line(path, id))
}

/// The config without its lines (`history`); see `config::load_settings`.
pub fn load_config_settings(path: &Path) -> anyhow::Result<Config> {
    config_or_hint(path, config::load_settings(path))
}

fn config_or_hint(path: &Path, loaded: Result<Config, ConfigError>) -> anyhow::Result<Config> {
    match loaded {
        Ok(c) => {
            for w in &c.warnings {
                tracing::warn!("{}: warning: {w}", path.display());
            }
            Ok(c)
        }
        Err(e @ ConfigError::Read { .. }) => Err(anyhow::anyhow!(
            "{e}\n(use -c FILE or RENEWD_CONFIG to point at your config; config/demo.toml is a demo)"
        )),
        Err(e) => Err(anyhow::anyhow!("invalid config:\n{e}")),
    }
}

/// Opens the ledger in `daemon.state_dir`.
pub fn open_ledger(config: &Config) -> anyhow::Result<Arc<dyn Ledger>> {
    let ledger = SqliteLedger::open(&config.daemon.state_dir).with_context(|| {
        format!(
            "while opening the ledger in {}",
            config.daemon.state_dir.display()
        )
    })?;
    // Rows from before lines were keyed by SIM move to their SIM (once; then a no-op).
    let pairs: Vec<(String, String)> = config
        .lines
        .iter()
        .map(|l| (l.id.clone(), l.sim()))
        .collect();
    ledger
        .adopt_legacy(&pairs)
        .context("while re-keying old ledger rows by SIM")?;
    // Messages this process queues reach the [[notify]] channels, in their languages.
    ledger.set_routes(crate::notify::channels::run::routes(config));
    ledger.set_keep_readings(config.daemon.keep_readings_for_ledger());
    Ok(Arc::new(ledger))
}

/// Opens the ledger for reading only (`status`, `history`): safe beside a running daemon,
/// never migrates or creates anything. No ledger yet: an empty one in memory.
pub fn read_ledger(config: &Config) -> anyhow::Result<Arc<dyn Ledger>> {
    let dir = &config.daemon.state_dir;
    let ledger = if dir.join(crate::ledger::sqlite::DB_FILE).exists() {
        SqliteLedger::open_read_only(dir)
    } else {
        SqliteLedger::open_in_memory()
    };
    let ledger =
        ledger.with_context(|| format!("while reading the ledger in {}", dir.display()))?;
    Ok(Arc::new(ledger))
}

/// Takes the state directory's lock for `command` (one that may buy or settle a top-up).
/// While the daemon holds it the command is refused, naming the daemon's pid: two
/// processes acting on one ledger could buy the same top-up twice.
pub fn take_state_lock(config: &Config, command: &str) -> anyhow::Result<StateLock> {
    match StateLock::acquire(&config.daemon.state_dir) {
        Ok(lock) => Ok(lock),
        Err(LedgerError::Locked { path, pid }) => Err(anyhow::anyhow!(
            "`renewd {command}` refused: the renewd daemon (pid {pid}) holds the state in \
             {path}; it checks and buys on its own schedule, and a second process on the same \
             ledger could buy the same top-up twice. Stop the daemon first (systemctl stop \
             renewd) and run it again; `renewd status` and `renewd history` work beside it."
        )),
        Err(e) => Err(e).with_context(|| {
            format!(
                "while taking the lock in {}",
                config.daemon.state_dir.display()
            )
        }),
    }
}

/// Builds the carriers (reads secrets and carrier state; no network).
pub fn build_carriers(config: &Config) -> anyhow::Result<Carriers> {
    build_carriers_with(config, &carriers::http::Accounts::default())
}

/// As `build_carriers`, sharing each provider account's rate limits through `accounts`.
pub fn build_carriers_with(
    config: &Config,
    accounts: &carriers::http::Accounts,
) -> anyhow::Result<Carriers> {
    std::fs::create_dir_all(&config.daemon.state_dir).with_context(|| {
        format!(
            "while creating the state directory {}",
            config.daemon.state_dir.display()
        )
    })?;
    carriers::build_with(&config.carriers, &config.daemon.state_dir, accounts)
        .context("while setting up the carriers")
}

/// SMTP when `[email]` is set, else `.eml` files in `<state_dir>/outbox`.
pub fn notifier(config: &Config) -> anyhow::Result<Arc<dyn Notifier>> {
    if let Some(email) = &config.email {
        return Ok(Arc::new(
            SmtpNotifier::new(email)
                .context("while setting up email")?
                .with_line_recipients(config.notify.email_to.clone()),
        ));
    }
    let dir = config.daemon.state_dir.join("outbox");
    let file = FileNotifier::new(dir.clone())
        .with_context(|| format!("while creating {}", dir.display()))?;
    Ok(Arc::new(file))
}

/// `renewd test-email`.
pub async fn test_email(path: &Path) -> anyhow::Result<i32> {
    let config = load_config(path)?;
    let Some(email) = &config.email else {
        eprintln!(
            "renewd: no [email] section: messages are written to {}",
            config.daemon.state_dir.join("outbox").display()
        );
        return Ok(1);
    };
    match send_test(email).await {
        Ok(()) => {
            println!(
                "test message accepted by {} for {}",
                crate::notify::redact::redact_urls(&email.smtp_url),
                email.to.join(", ")
            );
            Ok(0)
        }
        Err(hint) => {
            eprintln!("renewd: test email not sent: {hint}");
            Ok(1)
        }
    }
}
