//! The command line: `run` (default), `worker`, `migrate`, `report`, `reviews`, `avito`,
//! `jobs`, `export`, `stats-export`, `sandbox`, `demo`, `healthcheck`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use self::lang::LangArg;
use crate::config::{Config, TestKnobs};
use crate::domain::clock;
use crate::telemetry::{self, LogFormat};
use crate::{app, demo};

pub mod avito;
pub mod export;
pub mod healthcheck;
pub mod jobs;
mod lang;
pub mod report;
pub mod reviews;
pub mod sandbox;
pub mod stats_export;

use self::{
    avito as avito_cmd, export as export_cmd, healthcheck as healthcheck_cmd, jobs as jobs_cmd,
    report as report_cmd, reviews as reviews_cmd, sandbox as sandbox_cmd,
    stats_export as stats_export_cmd,
};

/// `avito-reports demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Directory for conversation.txt, report.txt, stats.txt, the exported .xlsx and
    /// metrics.txt (created if missing; an earlier demo's files there are replaced).
    #[arg(long, default_value = "demo-output")]
    pub out: std::path::PathBuf,
    /// The language the seller's Telegram is set to, and so the bot's.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
}

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
    /// Print an account's rating and reviews (newest first, with their answers' status).
    Reviews(reviews_cmd::ReviewsArgs),
    /// Talk to the Avito API directly (AVITO_API_URL).
    #[command(subcommand)]
    Avito(avito_cmd::AvitoCommand),
    /// Export every Avito Messenger chat and message of an account to an Excel workbook.
    Export(export_cmd::ExportArgs),
    /// Export an account's statistics over a period (per-day totals with charts, per-item
    /// rows) to an Excel workbook.
    StatsExport(stats_export_cmd::StatsExportArgs),
    /// Scheduled deliveries: list them, re-run a failed one.
    #[command(subcommand)]
    Jobs(jobs_cmd::JobsCommand),
    /// Start the Telegram and Avito emulators on loopback and print their URLs, until Ctrl-C.
    Sandbox(sandbox_cmd::SandboxArgs),
    /// Play a seller through the whole bot against the emulators (no credentials, no
    /// network), print the conversation, and leave the report, the workbook and the metrics
    /// in ./demo-output.
    Demo(DemoArgs),
    /// Ask the running worker's /healthz (HTTP_ADDR); exit 0 when healthy, 1 otherwise.
    Healthcheck(healthcheck_cmd::HealthcheckArgs),
}

/// Parses the command line, runs the command, and turns any error into one line on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Run);
    if let Command::Demo(args) = command {
        // The demo brings everything it needs: no environment, no .env. Its stdout is the
        // conversation, so the logs (stderr) say only what went wrong unless RUST_LOG asks.
        telemetry::init_with_default(LogFormat::Text, telemetry::QUIET_FILTER);
        return finish(block_on(demo::run(&args.out, args.lang.into())));
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("avito-reports: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.settings.log_format);
    apply_knobs(
        &config.knobs,
        matches!(command, Command::Run | Command::Worker),
    );
    finish(block_on(execute(command, config)))
}

/// Shifts the clock as `CLOCK_OFFSET_SEC` says, and warns of the test knobs that are set (a
/// production process has none).
fn apply_knobs(knobs: &TestKnobs, serving: bool) {
    if !knobs.clock_offset.is_zero() {
        clock::set_offset(knobs.clock_offset);
    }
    for (var, value) in knobs.to_announce(serving) {
        tracing::warn!(
            knob = var,
            value,
            now = %clock::now(),
            "{var} is set: a knob for tests, the sandbox and rehearsals, not for production"
        );
    }
}

async fn execute(command: Command, config: Config) -> anyhow::Result<()> {
    let settings = &config.settings;
    match command {
        Command::Run => app::run(config, app::shutdown_signal()).await,
        Command::Worker => app::run_worker(config, app::shutdown_signal()).await,
        Command::Migrate => app::migrate(settings).await,
        Command::Report(args) => report_cmd::run(args, &config).await,
        Command::Reviews(args) => reviews_cmd::run(args, &config).await,
        Command::Avito(command) => avito_cmd::run(command, &config).await,
        Command::Export(args) => export_cmd::run(args, &config).await,
        Command::StatsExport(args) => stats_export_cmd::run(args, &config).await,
        Command::Jobs(command) => jobs_cmd::run(command, settings).await,
        Command::Sandbox(args) => sandbox_cmd::run(args, app::shutdown_signal()).await,
        Command::Healthcheck(args) => healthcheck_cmd::run(args, settings).await,
        Command::Demo(args) => demo::run(&args.out, args.lang.into()).await,
    }
}

/// Runs `work` on a multi-threaded runtime.
fn block_on(work: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(work)
}

/// Any error becomes one line on stderr and a failing exit code.
fn finish(outcome: anyhow::Result<()>) -> ExitCode {
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
    fn demo_writes_to_demo_output_in_english_by_default() {
        let cli = Cli::try_parse_from(["avito-reports", "demo"]).expect("parses");
        let Some(Command::Demo(args)) = cli.command else {
            panic!("not the demo: {cli:?}");
        };
        assert_eq!(args.out, std::path::PathBuf::from("demo-output"));
        assert_eq!(args.lang, LangArg::En);
    }

    #[test]
    fn no_command_means_run() {
        let cli = Cli::try_parse_from(["avito-reports"]).expect("parses");
        assert!(cli.command.is_none());
    }
}
