//! The command line: one `match` routes each command to its own file.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::control::Request;

mod check;
mod check_notify;
mod control;
mod generate;
mod history;
mod once;
mod outbox;
mod outbox_channels;
mod resolve;
mod run;
mod status;
mod test_notify;
mod wiring;

pub use wiring::init_logging;

/// renewd keeps prepaid mobile lines alive: it checks balances, buys top-ups, emails receipts.
#[derive(Debug, Parser)]
#[command(name = "renewd", version)]
pub struct Cli {
    /// Config file.
    #[arg(short, long, global = true, env = "RENEWD_CONFIG", default_value = crate::config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon in the foreground (systemd Type=notify aware).
    Run,
    /// Validate the config; print each line, its carrier, policy and next check.
    Check,
    /// Check lines now, act on them like the daemon would, print each decision, exit.
    Once(OnceArgs),
    /// Per line: last reading, next check, open top-ups, month spend vs caps.
    Status(StatusArgs),
    /// The top-up ledger, oldest first; filtered by line, days, carrier and state, paged with
    /// --limit and --after.
    History(HistoryArgs),
    /// Send one test email through the configured transport.
    TestEmail,
    /// Send one test message through a [[notify]] channel (by name), or through each.
    TestNotify(ChannelArg),
    /// Settle a top-up whose outcome stayed unknown.
    Resolve(ResolveArgs),
    /// Buy a top-up for a line now, through the same caps and ledger (via the running daemon).
    Topup(LineArg),
    /// Stop checks and purchases for a line until `resume` (kept in the ledger).
    Pause(LineArg),
    /// Check a paused line on its schedule again.
    Resume(LineArg),
    /// Email not sent yet (queued or given up on); send given-up ones again.
    Outbox(OutboxArgs),
    /// Write the man page and shell completions into DIR (for packaging).
    #[command(hide = true)]
    Generate {
        /// Directory to write renewd.1, renewd.bash, _renewd and renewd.fish into.
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Queue this given-up message again (its id as listed).
    #[arg(long, value_name = "ID", conflicts_with = "retry_dead")]
    pub retry: Option<i64>,
    /// Queue every given-up message again.
    #[arg(long)]
    pub retry_dead: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// With --retry or --retry-dead: a [[notify]] channel's messages instead of email's.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
}

#[derive(Debug, Args)]
pub struct ChannelArg {
    /// The channel's name (its `name`, or its type when there is one of that type).
    pub channel: Option<String>,
}

#[derive(Debug, Args)]
pub struct LineArg {
    /// The line's id in the config.
    pub line: String,
}

#[derive(Debug, Args)]
pub struct OnceArgs {
    /// Only this line (repeatable).
    #[arg(long = "line", value_name = "ID")]
    pub lines: Vec<String>,
    /// Decide and print, never buy.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object per line on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this line.
    #[arg(value_name = "LINE")]
    pub line: Option<String>,
    /// Only lines bought through this carrier section.
    #[arg(long, value_name = "NAME")]
    pub carrier: Option<String>,
    /// Only lines that need attention.
    #[arg(long)]
    pub attention: bool,
    /// At most this many lines (those needing attention first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this line: its SIM's top-ups, also those bought under an earlier id (a line no
    /// longer in the config: the top-ups bought under this id).
    #[arg(long = "line", value_name = "ID")]
    pub line: Option<String>,
    /// From the start of this day on (YYYY-MM-DD, in daemon.timezone).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Up to the end of this day, the day included (YYYY-MM-DD, in daemon.timezone).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only top-ups bought through this carrier section ([carriers.NAME], as recorded then).
    #[arg(long, value_name = "NAME")]
    pub carrier: Option<String>,
    /// Only top-ups in this state; repeat it or separate states with commas.
    #[arg(
        long = "state",
        value_name = "STATE",
        value_enum,
        value_delimiter = ','
    )]
    pub states: Vec<StateArg>,
    /// At most N top-ups; when more follow, the next page's --after is printed (on stderr,
    /// or as "next_after" with --json).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Continue after this top-up: the id the previous page ended with.
    #[arg(long, value_name = "ID")]
    pub after: Option<i64>,
    /// One JSON document.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
}

/// A top-up's state, for `history --state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    /// Committed, not sent yet.
    Planned,
    /// Being sent to the carrier.
    Submitting,
    /// Paid and delivered.
    Confirmed,
    /// Refused; nothing was charged.
    Failed,
    /// Sent without a definite answer; settled by reconciliation or `renewd resolve`.
    Unknown,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The ledger id of the top-up (shown in emails and `renewd status`).
    pub topup_id: i64,
    /// The carrier's account shows it was paid and delivered.
    #[arg(long, conflicts_with = "failed", required_unless_present = "failed")]
    pub paid: bool,
    /// It did not go through; nothing was charged.
    #[arg(long)]
    pub failed: bool,
}

/// Runs the command; the returned code is the process exit code.
pub async fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run => run::run(&cli.config).await,
        Command::Check => check::check(&cli.config),
        Command::Once(args) => once::once(&cli.config, &args).await,
        Command::Status(args) => status::status(&cli.config, &args),
        Command::History(args) => history::history(&cli.config, &args),
        Command::TestEmail => wiring::test_email(&cli.config).await,
        Command::TestNotify(a) => test_notify::test_notify(&cli.config, a.channel.as_deref()).await,
        Command::Resolve(args) => resolve::resolve(&cli.config, &args),
        Command::Outbox(args) => outbox::outbox(&cli.config, &args),
        Command::Topup(a) => control::control(&cli.config, Request::Topup { line: a.line }).await,
        Command::Pause(a) => control::control(&cli.config, Request::Pause { line: a.line }).await,
        Command::Resume(a) => control::control(&cli.config, Request::Resume { line: a.line }).await,
        Command::Generate { dir } => generate::generate(&dir),
    }
}
