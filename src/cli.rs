//! The command line: `run` (default), `worker`, `migrate`, `report`, `avito`, `jobs`,
//! `export`, `sandbox`, `healthcheck`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::{
    app, avito_cmd, export_cmd, healthcheck_cmd, jobs_cmd, report_cmd, sandbox_cmd, telemetry,
};

#[derive(Debug, Parser)]
#[command(
    name = "avito-reports",
    version,
    about = "Telegram bot worker that delivers Avito seller analytics reports",
    long_about = "Telegram bot worker that delivers Avito seller analytics reports.\n\n\
                  Configuration comes from the environment and an optional .env file \
                  (see README.md). With no command, `run` is assumed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot worker: apply migrations, poll Telegram, deliver reports (the default).
    Run,
    /// Run job workers only (scheduled reports, exports), no Telegram polling: for scaling
    /// out next to one `run` on a shared PostgreSQL.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Print one report, or a combined one for several profiles, without Telegram.
    Report(report_cmd::ReportArgs),
    /// Talk to the Avito API directly (AVITO_API_URL).
    #[command(subcommand)]
    Avito(avito_cmd::AvitoCommand),
    /// Export every Avito Messenger chat and message of an account to an Excel workbook.
    Export(export_cmd::ExportArgs),
    /// Scheduled deliveries: list them, re-run a failed one.
    #[command(subcommand)]
    Jobs(jobs_cmd::JobsCommand),
    /// Start the Telegram and Avito emulators on loopback and print their URLs, until Ctrl-C.
    Sandbox(sandbox_cmd::SandboxArgs),
    /// Ask the running worker's /healthz (HTTP_ADDR); exit 0 when healthy, 1 otherwise.
    Healthcheck(healthcheck_cmd::HealthcheckArgs),
}

/// Parses the command line, runs the command, and turns any error into one line on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("avito-reports: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("avito-reports: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Run) {
            Command::Run => app::run(settings, app::shutdown_signal()).await,
            Command::Worker => app::run_worker(settings, app::shutdown_signal()).await,
            Command::Migrate => app::migrate(&settings).await,
            Command::Report(args) => report_cmd::run(args, &settings).await,
            Command::Avito(command) => avito_cmd::run(command, &settings).await,
            Command::Export(args) => export_cmd::run(args, &settings).await,
            Command::Jobs(command) => jobs_cmd::run(command, &settings).await,
            Command::Sandbox(args) => sandbox_cmd::run(args, app::shutdown_signal()).await,
            Command::Healthcheck(args) => healthcheck_cmd::run(args, &settings).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avito-reports: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_means_run() {
        let cli = Cli::try_parse_from(["avito-reports"]).expect("parses");
        assert!(cli.command.is_none());
    }
}
