//! The table of variables: each one named here once, with its default and its meaning, in a
//! clap group per concern. clap reads it from a map of variables (the process environment in
//! production) handed over as arguments, never from the environment by itself, so that the
//! demo and the tests build settings from their own values only.

use std::collections::{BTreeSet, HashMap};
use std::error::Error as _;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue};
use clap::{Arg, Command, CommandFactory, FromArgMatches, Parser};
use url::Url;

use super::error::{ConfigError, Invalid};
use super::values;
use crate::crypto::SecretKey;
use crate::db::DatabaseUrl;
use crate::domain::{ChatId, UserId};
use crate::telegram::BotToken;
use crate::telemetry::LogFormat;

/// The help heading of the test knobs: what sets them apart from production settings (the
/// README lists them in a table of their own).
pub const KNOBS: &str = "Test knobs";

/// Every variable the process reads.
#[derive(Debug, Parser)]
#[command(name = "environment", no_binary_name = true, disable_help_flag = true)]
pub struct Vars {
    #[command(flatten)]
    pub service: ServiceVars,
    #[command(flatten)]
    pub worker: WorkerVars,
    #[command(flatten)]
    pub jobs: JobVars,
    #[command(flatten, next_help_heading = KNOBS)]
    pub knobs: KnobVars,
}

/// The bot, its database and the services it talks to.
#[derive(Debug, clap::Args)]
pub struct ServiceVars {
    /// The bot's token from @BotFather; `run` and `worker` need it.
    #[arg(long, env = "BOT_TOKEN", value_parser = values::bot_token)]
    pub bot_token: Option<BotToken>,
    /// The database: a SQLite file, SQLite in memory, or PostgreSQL.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://avito-reports.sqlite?mode=rwc", value_parser = values::database_url)]
    pub database_url: DatabaseUrl,
    /// Encrypts Avito secrets and tokens at rest; required with PostgreSQL.
    #[arg(long, env = "SECRET_KEY", value_parser = values::secret_key)]
    pub secret_key: Option<SecretKey>,
    /// The chat that receives operational alerts.
    #[arg(long, env = "ADMIN_CHAT_ID", value_parser = values::chat_id)]
    pub admin_chat_id: Option<ChatId>,
    /// The Telegram users allowed to use the bot; unset, everyone.
    #[arg(long, env = "ALLOWED_USERS", value_parser = values::user_ids)]
    pub allowed_users: Option<BTreeSet<UserId>>,
    /// The Telegram Bot API's base URL.
    #[arg(long, env = "TELEGRAM_API_URL", default_value = "https://api.telegram.org", value_parser = values::api_url)]
    pub telegram_api_url: Url,
    /// The Avito API's base URL.
    #[arg(long, env = "AVITO_API_URL", default_value = "https://api.avito.ru", value_parser = values::api_url)]
    pub avito_api_url: Url,
    /// Longest wait for one Avito answer (each attempt).
    #[arg(long, env = "AVITO_REQUEST_TIMEOUT_SEC", default_value = "15", value_parser = values::positive_seconds)]
    pub avito_request_timeout: Duration,
    /// Longest a person waits for a report on demand.
    #[arg(long, env = "REPORT_DEADLINE_SEC", default_value = "25", value_parser = values::positive_seconds)]
    pub report_deadline: Duration,
    /// The health and metrics endpoint's address; unset, none.
    #[arg(long, env = "HTTP_ADDR", value_parser = values::socket_addr)]
    pub http_addr: Option<SocketAddr>,
    /// Logs as text or JSON.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = values::log_format)]
    pub log_format: LogFormat,
}

/// Start-up, polling and shutdown, named as in the Python bot.
#[derive(Debug, clap::Args)]
pub struct WorkerVars {
    /// Time limit of one start-up attempt.
    #[arg(long, env = "WORKER_STARTUP_TIMEOUT_SEC", default_value = "30", value_parser = values::positive_seconds)]
    pub startup_timeout: Duration,
    /// Start-up attempts before giving up.
    #[arg(long, env = "WORKER_STARTUP_RETRIES", default_value = "5", value_parser = values::attempts)]
    pub startup_retries: u32,
    /// Consecutive failed polls before the process exits; 0 retries forever.
    #[arg(long, env = "WORKER_POLLING_RETRIES", default_value = "0", value_parser = values::count)]
    pub polling_retries: u32,
    /// The first retry delay.
    #[arg(long, env = "WORKER_RETRY_BACKOFF_BASE_SEC", default_value = "1", value_parser = values::seconds)]
    pub backoff_base: Duration,
    /// The longest retry delay.
    #[arg(long, env = "WORKER_RETRY_BACKOFF_MAX_SEC", default_value = "30", value_parser = values::seconds)]
    pub backoff_max: Duration,
    /// How long work in flight gets to finish after SIGTERM.
    #[arg(long, env = "WORKER_SHUTDOWN_TIMEOUT_SEC", default_value = "20", value_parser = values::seconds)]
    pub shutdown_timeout: Duration,
}

/// Background jobs: scheduled reports, exports and alert checks.
#[derive(Debug, clap::Args)]
pub struct JobVars {
    /// How often an idle worker looks for due jobs.
    #[arg(long, env = "JOBS_POLL_INTERVAL_SEC", default_value = "0.5", value_parser = values::positive_seconds)]
    pub poll_interval: Duration,
    /// Jobs one process runs at once.
    #[arg(long, env = "JOBS_CONCURRENCY", default_value = "16", value_parser = values::concurrency)]
    pub concurrency: u32,
    /// How late a missed slot is still delivered on start-up.
    #[arg(long, env = "MISSED_REPORT_GRACE", default_value = "3h", value_parser = values::grace)]
    pub missed_report_grace: Duration,
    /// Attempts of one scheduled delivery.
    #[arg(long, env = "REPORT_ATTEMPTS", default_value = "4", value_parser = values::attempts)]
    pub report_attempts: u32,
    /// Wait before a scheduled delivery's second attempt.
    #[arg(long, env = "REPORT_RETRY_BACKOFF_SEC", default_value = "60", value_parser = values::seconds)]
    pub report_retry_backoff: Duration,
    /// How long after its slot a scheduled report goes out, complete or not.
    #[arg(long, env = "REPORT_SLOT_BUDGET_SEC", default_value = "300", value_parser = values::positive_seconds)]
    pub report_slot_budget: Duration,
    /// The bot's messages a second (this process' share with SHARED_PACING=false).
    #[arg(long, env = "TELEGRAM_MESSAGES_PER_SEC", default_value = "30", value_parser = values::messages_per_sec)]
    pub telegram_messages_per_sec: u32,
    /// Pace Avito and Telegram together with every process on the same PostgreSQL database.
    // `Set`: clap takes a `bool` for a flag without a value, and refused `SHARED_PACING=false`.
    #[arg(long, env = "SHARED_PACING", default_value = "true", value_parser = values::switch, action = clap::ArgAction::Set)]
    pub shared_pacing: bool,
    /// The name of this process' job workers; unset, `<host>-<pid>-<random>`.
    #[arg(long, env = "WORKER_NAME", value_parser = values::worker_name)]
    pub worker_name: Option<String>,
    /// How often a worker says it is alive.
    #[arg(long, env = "JOBS_HEARTBEAT_SEC", default_value = "30", value_parser = values::heartbeat)]
    pub heartbeat_interval: Duration,
}

/// Settings that exist for the tests, the sandbox, the demo and the benchmarks.
#[derive(Debug, clap::Args)]
pub struct KnobVars {
    /// Shifts the process's clock (seconds; negative for the past).
    #[arg(long, env = "CLOCK_OFFSET_SEC", default_value = "0", value_parser = values::clock_offset, allow_hyphen_values = true)]
    pub clock_offset: chrono::Duration,
    /// Checks alert rules this many times as often.
    #[arg(long, env = "ALERT_CHECK_SPEEDUP", default_value = "1", value_parser = values::speedup)]
    pub alert_check_speedup: u32,
    /// The length of Avito's rate-limit window the client paces to.
    #[arg(long, env = "AVITO_RATE_WINDOW_SEC", default_value = "60", value_parser = values::seconds)]
    pub avito_rate_window: Duration,
}

/// The variables read, and which of them were set.
pub struct Read {
    pub vars: Vars,
    /// The variables given a value, with it, in the table's order.
    pub given: Vec<(&'static str, String)>,
}

/// The table as clap sees it, built once: every variable's name, default and heading.
pub fn table() -> &'static Command {
    static TABLE: OnceLock<Command> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut command = Vars::command();
        command.build();
        command
    })
}

/// The name of a variable in the table.
pub fn name(arg: &'static Arg) -> Option<&'static str> {
    arg.get_env().and_then(|name| name.to_str())
}

/// The variable read into the table's field `id`; the field's own name if the table has no
/// such field (a mistake the tests catch).
pub fn name_of(id: &'static str) -> &'static str {
    table()
        .get_arguments()
        .find(|arg| arg.get_id() == id)
        .and_then(name)
        .unwrap_or(id)
}

/// Reads the variables of `map` that the table names: an empty value counts as unset.
pub fn read(map: &HashMap<String, String>) -> Result<Read, ConfigError> {
    let mut given = Vec::new();
    let mut argv = Vec::new();
    for arg in table().get_arguments() {
        let (Some(var), Some(long)) = (name(arg), arg.get_long()) else {
            continue;
        };
        let Some(value) = map.get(var).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        argv.push(format!("--{long}={value}"));
        given.push((var, value.to_owned()));
    }
    // Without their variables clap would look in the process environment for what the map
    // leaves unset.
    let matches = table()
        .clone()
        .mut_args(|arg| arg.env(None))
        .try_get_matches_from(argv)
        .map_err(|e| from_clap(&e))?;
    let vars = Vars::from_arg_matches(&matches).map_err(|e| from_clap(&e))?;
    Ok(Read { vars, given })
}

/// clap's error as one line naming the variable: the value parser's own words when it was
/// ours that refused the value.
fn from_clap(error: &clap::Error) -> ConfigError {
    let var = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(shown)) => variable_shown_as(shown),
        _ => None,
    }
    .unwrap_or("a variable");
    match error.source().and_then(|s| s.downcast_ref::<Invalid>()) {
        Some(invalid) => invalid.clone().of(var),
        None => Invalid::new(error.kind().to_string(), "a value the table allows").of(var),
    }
}

/// The variable behind clap's `--long <VALUE>`.
fn variable_shown_as(shown: &str) -> Option<&'static str> {
    let long = shown.trim_start_matches('-').split([' ', '=']).next()?;
    table()
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(name)
}
