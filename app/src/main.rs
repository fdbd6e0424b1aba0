//! `palindrome`: parse the command line, validate the configuration (exit 2 with one line on a
//! bad setting), then serve until SIGTERM/SIGINT (exit 0) or run the health check.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use clap::error::ErrorKind;
use palindrome_app::cli::{self, Cli, Command};
use palindrome_app::config::{self, Config};
use palindrome_app::server::{self, ServerError};
use palindrome_app::{healthcheck, log};

const CONFIG_ERROR: u8 = 2;

/// A clap error as one line: its message without the usage and help hints.
fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let text = text.split("\nUsage:").next().unwrap_or_default();
    let text = text
        .split("\n\nFor more information")
        .next()
        .unwrap_or_default();
    let text = text.trim().trim_start_matches("error: ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            log::error(format_args!("invalid configuration: {}", one_line(&e)));
            return ExitCode::from(CONFIG_ERROR);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Healthcheck => healthcheck(&cli.settings),
        Command::Serve => {
            let config = match Config::from_settings(&cli.settings) {
                Ok(c) => c,
                Err(e) => {
                    log::error(format_args!("invalid configuration: {e}"));
                    return ExitCode::from(CONFIG_ERROR);
                }
            };
            match serve(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    let code = match e.downcast_ref::<ServerError>() {
                        Some(ServerError::Tls(_)) => CONFIG_ERROR,
                        _ => 1,
                    };
                    log::error(format_args!("{e:#}"));
                    ExitCode::from(code)
                }
            }
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let summary = starting(&config);
        let prepared = server::prepare(config).await?;
        log::info(summary);
        server::serve(prepared).await
    })?;
    // Background probes and idle backend connections must not delay the exit.
    runtime.shutdown_timeout(Duration::from_millis(100));
    Ok(())
}

fn starting(config: &Config) -> String {
    format!(
        "palindrome {} starting: postgres {}:{}/{} as {} (sslmode {}), redis {}:{} (tls {})",
        config.version,
        config.postgres.host,
        config.postgres.port,
        config.postgres.dbname,
        config.postgres.user,
        config.postgres.ssl.mode(),
        config.redis.host,
        config.redis.port,
        config.redis.tls,
    )
}

fn healthcheck(settings: &cli::Settings) -> ExitCode {
    let port = match config::port(cli::PORT, &settings.port) {
        Ok(p) => p,
        Err(e) => {
            log::error(format_args!("invalid configuration: {e}"));
            return ExitCode::from(CONFIG_ERROR);
        }
    };
    let bind = settings
        .bind
        .trim()
        .parse()
        .unwrap_or([127, 0, 0, 1].into());
    match healthcheck::probe(healthcheck::target(bind, port), Duration::from_secs(3)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            log::error(format_args!("health check: {e}"));
            ExitCode::FAILURE
        }
    }
}
