//! The `stratus` binary: parse arguments, set up tracing (stderr, `RUST_LOG`), dispatch.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;
use stratus_server::cli::{self, Cli, Command};
use stratus_server::{ServerConfig, run, shutdown_signal};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve(_)) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command {
        Command::Serve(args) => {
            let config = match ServerConfig::load(&args) {
                Ok(config) => config,
                Err(err) => {
                    eprintln!("stratus: invalid configuration: {err}");
                    return ExitCode::from(2);
                }
            };
            match run(config, shutdown_signal()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("stratus: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Client(command) => cli::run(command).await,
    }
}
