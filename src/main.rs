//! The `renewd` binary: parse arguments, set up logging, run the command.

use clap::Parser;

use renewd::cli::{Cli, dispatch, init_logging};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let code = match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("renewd: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
