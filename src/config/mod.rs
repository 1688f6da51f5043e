//! Settings from the environment (and an optional `.env` file), each read once into its type
//! when the process starts.
//!
//! This is the only module that reads the environment. [`vars`] is the table: it names every
//! variable once, with its default and its meaning, and clap reads it; [`values`] parses each
//! value into its type as it is read, so that neither a [`Settings`] nor a [`TestKnobs`] can
//! hold a bad one. Every bad value becomes one [`ConfigError`] naming the variable and what is
//! expected; secret values are never echoed.
//!
//! Configuration sits above the services: each service owns its value types
//! (`telegram::BotToken`, `db::DatabaseUrl`, `crypto::SecretKey`, `telemetry::LogFormat`) and
//! takes its own small values (`avito::ClientConfig`, `queue::QueueConfig`), never the settings.

mod error;
#[cfg(test)]
mod readme;
mod values;
mod vars;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

pub use self::error::ConfigError;
use self::error::Invalid;
use self::vars::{JobVars, KnobVars, ServiceVars, WorkerVars};
use crate::avito::{ClientConfig, RetryPolicy};
use crate::crypto::SecretKey;
use crate::db::DatabaseUrl;
use crate::domain::{ChatId, UserId};
use crate::queue::QueueConfig;
use crate::telegram::BotToken;
use crate::telemetry::LogFormat;

/// What a process is started with: the production settings, and the knobs that only tests,
/// the sandbox, the demo and benchmarks turn.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub knobs: TestKnobs,
}

/// Everything the process is configured with in production.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    pub bot_token: Option<BotToken>,
    pub database_url: DatabaseUrl,
    pub secret_key: Option<SecretKey>,
    pub admin_chat_id: Option<ChatId>,
    /// `None` lets everyone use the bot.
    pub allowed_users: Option<BTreeSet<UserId>>,
    pub telegram_api_url: Url,
    pub avito_api_url: Url,
    /// Longest wait for one Avito answer (each attempt).
    pub avito_request_timeout: Duration,
    /// Longest a person waits for "Report now" or `/stats`: what has not arrived by then is
    /// n/a with the reason.
    pub report_deadline: Duration,
    pub http_addr: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub worker: WorkerSettings,
    pub jobs: JobSettings,
}

/// Start-up and polling resilience, named as in the Python bot.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WorkerSettings {
    /// How long one start-up attempt (database connect, Telegram getMe) may take.
    pub startup_timeout: Duration,
    /// Start-up attempts before giving up (at least one).
    pub startup_retries: u32,
    /// Consecutive failed polls before the worker exits for its supervisor to restart it;
    /// 0 retries forever.
    pub polling_retries: u32,
    pub backoff_base: Duration,
    /// Never below `backoff_base`.
    pub backoff_max: Duration,
    /// How long in-flight handlers get to finish after SIGTERM / SIGINT.
    pub shutdown_timeout: Duration,
}

/// Background jobs: scheduled reports and exports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JobSettings {
    /// How often an idle worker looks for due jobs (above zero).
    pub poll_interval: Duration,
    /// Jobs one process runs at a time (at least one).
    pub concurrency: u32,
    /// A slot missed by at most this much (downtime) is still delivered once on start-up.
    pub missed_report_grace: Duration,
    /// Attempts of one scheduled delivery while Avito fails, before it is recorded failed.
    pub report_attempts: u32,
    /// Wait before the second attempt; doubles after each failure.
    pub report_retry_backoff: Duration,
    /// A scheduled report that cannot be completed sends what it has, or its failure notice,
    /// within this long of its slot (of its first attempt, when that came late).
    pub report_slot_budget: Duration,
    /// Telegram's overall sending rate for the bot (1 to 30 messages/s): of every process
    /// together when they share their pacing, else of this process alone.
    pub telegram_messages_per_sec: u32,
    /// On PostgreSQL, Avito's request budgets and answers and Telegram's pace are kept in the
    /// database for every process (`false`: each process paces alone, as on SQLite).
    pub shared_pacing: bool,
    /// Unique per process; apalis rescues the jobs of a worker whose heartbeats stop.
    pub worker_name: String,
    /// How often a worker says it is alive (at least a second); its running jobs go back to
    /// the queue after two missed heartbeats.
    pub heartbeat_interval: Duration,
}

/// Settings that exist for tests, the sandbox, the demo and benchmarks: at their defaults in
/// production, where each one set makes the start-up log say so ([`TestKnobs::set`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TestKnobs {
    /// How far the process's clock is shifted from the system's (zero in production, see
    /// `domain::clock`).
    pub clock_offset: chrono::Duration,
    /// Alert rules checked this many times as often as their own intervals (1 in
    /// production).
    pub alert_check_speedup: u32,
    /// Length of Avito's rate-limit window (a minute); lowered only against the sandbox.
    pub avito_rate_window: Duration,
    set: Vec<(&'static str, String)>,
}

impl Config {
    /// Reads `.env` (if present) into the process environment, then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        // A value that is not UTF-8 is read as far as it is, and then refused by its parser.
        let vars: HashMap<String, String> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        Self::from_vars(&vars)
    }

    /// Builds the configuration from a map of variables; an empty value counts as unset.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::read(vars, host_name)
    }

    /// Every setting at the table's default, as with no variable set. Reads no file: the
    /// worker name's host part is `worker`.
    pub fn defaults() -> Self {
        // The defaults are constants of the table, each parsed by its own parser in config's
        // tests: they cannot fail here.
        Self::read(&HashMap::new(), || "worker".to_owned()).expect("the table's defaults are valid")
    }

    fn read(
        vars: &HashMap<String, String>,
        host: impl FnOnce() -> String,
    ) -> Result<Self, ConfigError> {
        let vars::Read { vars, given } = vars::read(vars)?;
        Ok(Self {
            settings: Settings::new(
                vars.service,
                WorkerSettings::new(vars.worker)?,
                JobSettings::new(vars.jobs, host),
            ),
            knobs: TestKnobs::new(vars.knobs, given),
        })
    }

    /// How the Avito client talks to Avito, from the settings and the knobs.
    pub fn avito_client(&self) -> ClientConfig {
        ClientConfig {
            rate_window: self.knobs.avito_rate_window,
            retry: RetryPolicy {
                request_timeout: self.settings.avito_request_timeout,
                ..RetryPolicy::default()
            },
            ..ClientConfig::new(self.settings.avito_api_url.clone())
        }
    }
}

impl Settings {
    fn new(vars: ServiceVars, worker: WorkerSettings, jobs: JobSettings) -> Self {
        Self {
            bot_token: vars.bot_token,
            database_url: vars.database_url,
            secret_key: vars.secret_key,
            admin_chat_id: vars.admin_chat_id,
            allowed_users: vars.allowed_users,
            telegram_api_url: vars.telegram_api_url,
            avito_api_url: vars.avito_api_url,
            avito_request_timeout: vars.avito_request_timeout,
            report_deadline: vars.report_deadline,
            http_addr: vars.http_addr,
            log_format: vars.log_format,
            worker,
            jobs,
        }
    }

    /// The bot token, which `run` cannot do without.
    pub fn require_bot_token(&self) -> Result<&BotToken, ConfigError> {
        self.bot_token.as_ref().ok_or(ConfigError::Missing {
            var: vars::name_of("bot_token"),
            expected: BotToken::EXPECTED,
        })
    }

    /// Whether a Telegram user may use the bot.
    pub fn is_allowed(&self, user_id: UserId) -> bool {
        self.allowed_users
            .as_ref()
            .is_none_or(|allowed| allowed.contains(&user_id))
    }
}

impl WorkerSettings {
    /// Refuses a longest retry delay below the first one.
    fn new(vars: WorkerVars) -> Result<Self, ConfigError> {
        if vars.backoff_max < vars.backoff_base {
            let problem = format!(
                "{:?} is below {}, {:?}",
                vars.backoff_max,
                vars::name_of("backoff_base"),
                vars.backoff_base
            );
            let expected = "a number of seconds not below the base backoff";
            return Err(Invalid::new(problem, expected).of(vars::name_of("backoff_max")));
        }
        Ok(Self {
            startup_timeout: vars.startup_timeout,
            startup_retries: vars.startup_retries,
            polling_retries: vars.polling_retries,
            backoff_base: vars.backoff_base,
            backoff_max: vars.backoff_max,
            shutdown_timeout: vars.shutdown_timeout,
        })
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Config::defaults().settings.worker
    }
}

impl JobSettings {
    /// `host` names the machine in the default worker name; it is asked only when
    /// `WORKER_NAME` is not set.
    fn new(vars: JobVars, host: impl FnOnce() -> String) -> Self {
        Self {
            poll_interval: vars.poll_interval,
            concurrency: vars.concurrency,
            missed_report_grace: vars.missed_report_grace,
            report_attempts: vars.report_attempts,
            report_retry_backoff: vars.report_retry_backoff,
            report_slot_budget: vars.report_slot_budget,
            telegram_messages_per_sec: vars.telegram_messages_per_sec,
            shared_pacing: vars.shared_pacing,
            worker_name: vars.worker_name.unwrap_or_else(|| unique_name(&host())),
            heartbeat_interval: vars.heartbeat_interval,
        }
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        Config::defaults().settings.jobs
    }
}

/// The job queue's part of the job settings.
impl From<&JobSettings> for QueueConfig {
    fn from(jobs: &JobSettings) -> Self {
        Self {
            batch_size: usize::try_from(jobs.concurrency).unwrap_or(usize::MAX),
            heartbeat: jobs.heartbeat_interval,
        }
    }
}

/// `<host>-<pid>-<random>`: unique even for two processes started on one host at once.
fn unique_name(host: &str) -> String {
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

/// The machine's name, for the default worker name.
fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned())
}

impl TestKnobs {
    fn new(vars: KnobVars, given: Vec<(&'static str, String)>) -> Self {
        let knobs: BTreeSet<&str> = vars::table()
            .get_arguments()
            .filter(|arg| arg.get_help_heading() == Some(vars::KNOBS))
            .filter_map(vars::name)
            .collect();
        Self {
            clock_offset: vars.clock_offset,
            alert_check_speedup: vars.alert_check_speedup,
            avito_rate_window: vars.avito_rate_window,
            set: given
                .into_iter()
                .filter(|(var, _)| knobs.contains(var))
                .collect(),
        }
    }

    /// The knobs that were set, as (variable, value).
    pub fn set(&self) -> &[(&'static str, String)] {
        &self.set
    }

    /// The knobs a command's start-up warns of: a shifted clock for every command (it moves
    /// every date the command reads or writes), the others when the process serves (`run`,
    /// `worker`: they shape only the worker), so that a one-line command stays one line.
    pub fn to_announce(&self, serving: bool) -> Vec<(&'static str, &str)> {
        let clock = vars::name_of("clock_offset");
        self.set
            .iter()
            .filter(|(var, _)| {
                if *var == clock {
                    !self.clock_offset.is_zero()
                } else {
                    serving
                }
            })
            .map(|(var, value)| (*var, value.as_str()))
            .collect()
    }
}

impl Default for TestKnobs {
    fn default() -> Self {
        Config::defaults().knobs
    }
}
#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::db::DatabaseKind;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn read(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(&vars(pairs))
    }

    #[test]
    fn defaults_use_a_sqlite_file_in_the_working_directory() {
        let s = read(&[]).expect("defaults are valid").settings;
        assert_eq!(
            s.database_url.kind(),
            &DatabaseKind::Sqlite {
                path: Some(PathBuf::from("avito-reports.sqlite"))
            }
        );
        assert!(s.bot_token.is_none());
        assert_eq!(s.telegram_api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(s.log_format, LogFormat::Text);
        assert!(s.is_allowed(UserId(1)));
    }

    #[test]
    fn the_defaults_are_the_tables_and_read_no_file() {
        let d = Config::defaults();
        assert_eq!(d.settings.worker.startup_retries, 5);
        assert_eq!(d.settings.jobs.poll_interval, Duration::from_millis(500));
        assert_eq!(d.knobs.alert_check_speedup, 1);
        assert!(d.knobs.set().is_empty());
        assert!(
            d.settings.jobs.worker_name.starts_with("worker-"),
            "{}",
            d.settings.jobs.worker_name
        );
        assert_eq!(WorkerSettings::default(), d.settings.worker);
    }

    #[test]
    fn job_settings_read_durations_rates_and_names() {
        let s = read(&[
            ("MISSED_REPORT_GRACE", "90m"),
            ("TELEGRAM_MESSAGES_PER_SEC", "15"),
            ("WORKER_NAME", "replica-a"),
            ("JOBS_POLL_INTERVAL_SEC", "0.2"),
            ("SHARED_PACING", "false"),
        ])
        .expect("valid")
        .settings;
        assert!(!s.jobs.shared_pacing);
        assert_eq!(s.jobs.missed_report_grace, Duration::from_secs(5400));
        assert_eq!(s.jobs.telegram_messages_per_sec, 15);
        assert_eq!(s.jobs.worker_name, "replica-a");
        assert_eq!(s.jobs.poll_interval, Duration::from_millis(200));
        let d = read(&[]).expect("defaults").settings;
        assert!(d.jobs.shared_pacing);
        assert_eq!(d.jobs.missed_report_grace, Duration::from_secs(3 * 3600));
        assert_ne!(d.jobs.worker_name, JobSettings::default().worker_name);
    }

    #[test]
    fn bad_job_settings_name_the_variable() {
        for (var, value) in [
            ("MISSED_REPORT_GRACE", "3 days"),
            ("MISSED_REPORT_GRACE", "-1h"),
            ("TELEGRAM_MESSAGES_PER_SEC", "31"),
            ("TELEGRAM_MESSAGES_PER_SEC", "0"),
            ("JOBS_CONCURRENCY", "0"),
            ("REPORT_ATTEMPTS", "0"),
            ("JOBS_POLL_INTERVAL_SEC", "0"),
            ("JOBS_HEARTBEAT_SEC", "0.5"),
        ] {
            let err = read(&[(var, value)]).expect_err(var);
            assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn missing_bot_token_is_named_when_required() {
        let s = read(&[]).expect("valid").settings;
        let err = s.require_bot_token().expect_err("no token");
        assert!(err.to_string().starts_with("BOT_TOKEN is not set"));
    }

    #[test]
    fn malformed_bot_token_is_rejected_without_echoing_it() {
        let err = read(&[("BOT_TOKEN", "supersecretvalue")]).expect_err("bad token");
        let text = err.to_string();
        assert!(text.contains("BOT_TOKEN"));
        assert!(!text.contains("supersecretvalue"));
    }

    #[test]
    fn bad_database_urls_name_the_variable() {
        for bad in [
            "mysql://x/y",
            "not a url",
            "postgres://",
            "postgres://host/",
            "sqlite:",
        ] {
            let err = read(&[("DATABASE_URL", bad)]).expect_err(bad).to_string();
            assert!(err.starts_with("DATABASE_URL is invalid"), "{bad}: {err}");
        }
    }

    #[test]
    fn non_numeric_admin_chat_id_is_rejected() {
        let err = read(&[("ADMIN_CHAT_ID", "@admin")]).expect_err("bad");
        assert!(err.to_string().starts_with("ADMIN_CHAT_ID is invalid"));
        let s = read(&[("ADMIN_CHAT_ID", "-1001234567890")]).expect("a group's id");
        assert_eq!(s.settings.admin_chat_id, Some(ChatId(-1_001_234_567_890)));
    }

    #[test]
    fn allowed_users_list_is_parsed_and_bad_entries_named() {
        let s = read(&[("ALLOWED_USERS", "12, 34;56")])
            .expect("valid")
            .settings;
        assert!(s.is_allowed(UserId(34)));
        assert!(!s.is_allowed(UserId(7)));
        let err = read(&[("ALLOWED_USERS", "12,bob")]).expect_err("bad");
        assert!(err.to_string().contains("'bob'"));
    }

    #[test]
    fn a_bad_secret_key_is_named_without_echoing_it() {
        let err = read(&[("SECRET_KEY", "short")]).expect_err("bad key");
        assert!(err.to_string().starts_with("SECRET_KEY is invalid"));
        assert!(!err.to_string().contains("short"), "{err}");
    }

    #[test]
    fn worker_settings_are_validated() {
        let s = read(&[
            ("WORKER_STARTUP_RETRIES", "3"),
            ("WORKER_RETRY_BACKOFF_BASE_SEC", "0.5"),
        ])
        .expect("valid");
        assert_eq!(s.settings.worker.startup_retries, 3);
        assert_eq!(s.settings.worker.backoff_base, Duration::from_millis(500));
        assert!(s.knobs.clock_offset.is_zero());
        let shifted = read(&[("CLOCK_OFFSET_SEC", "-86400.5")]).expect("valid offset");
        assert_eq!(
            shifted.knobs.clock_offset,
            chrono::Duration::milliseconds(-86_400_500)
        );
        for (var, bad) in [
            ("WORKER_STARTUP_RETRIES", "-1"),
            ("WORKER_STARTUP_RETRIES", "0"),
            ("WORKER_STARTUP_TIMEOUT_SEC", "soon"),
            ("WORKER_RETRY_BACKOFF_MAX_SEC", "0.1"),
            ("LOG_FORMAT", "xml"),
            ("HTTP_ADDR", "8080"),
            ("TELEGRAM_API_URL", "ftp://x"),
            ("CLOCK_OFFSET_SEC", "tomorrow"),
            ("CLOCK_OFFSET_SEC", "1e12"),
            ("CLOCK_OFFSET_SEC", "NaN"),
            ("ALERT_CHECK_SPEEDUP", "0"),
            ("ALERT_CHECK_SPEEDUP", "fast"),
        ] {
            let err = read(&[(var, bad)]).expect_err(bad);
            assert!(err.to_string().starts_with(var), "{var}={bad}: {err}");
        }
    }

    #[test]
    fn durations_take_seconds_or_units() {
        let s = read(&[
            ("REPORT_DEADLINE_SEC", "1m"),
            ("WORKER_SHUTDOWN_TIMEOUT_SEC", "2.5"),
            ("MISSED_REPORT_GRACE", "90"),
        ])
        .expect("valid")
        .settings;
        assert_eq!(s.report_deadline, Duration::from_secs(60));
        assert_eq!(s.worker.shutdown_timeout, Duration::from_millis(2500));
        assert_eq!(s.jobs.missed_report_grace, Duration::from_secs(90));
    }

    #[test]
    fn values_are_trimmed_and_empty_ones_are_unset() {
        let s = read(&[("JOBS_CONCURRENCY", " 4 "), ("HTTP_ADDR", "  ")])
            .expect("valid")
            .settings;
        assert_eq!(s.jobs.concurrency, 4);
        assert_eq!(s.http_addr, None);
    }

    #[test]
    fn test_knobs_are_apart_and_say_when_they_are_set() {
        let c = read(&[
            ("ALERT_CHECK_SPEEDUP", "600"),
            ("AVITO_RATE_WINDOW_SEC", "0.5"),
            ("REPORT_ATTEMPTS", "2"),
        ])
        .expect("valid");
        assert_eq!(c.knobs.alert_check_speedup, 600);
        assert_eq!(c.knobs.avito_rate_window, Duration::from_millis(500));
        assert_eq!(c.avito_client().rate_window, Duration::from_millis(500));
        assert_eq!(
            c.knobs.set(),
            [
                ("ALERT_CHECK_SPEEDUP", "600".to_owned()),
                ("AVITO_RATE_WINDOW_SEC", "0.5".to_owned())
            ]
        );
        assert_eq!(
            c.knobs.to_announce(true),
            [
                ("ALERT_CHECK_SPEEDUP", "600"),
                ("AVITO_RATE_WINDOW_SEC", "0.5")
            ]
        );
        assert!(c.knobs.to_announce(false).is_empty());
        let shifted = read(&[("CLOCK_OFFSET_SEC", "60")]).expect("valid");
        assert_eq!(
            shifted.knobs.to_announce(false),
            [("CLOCK_OFFSET_SEC", "60")]
        );
        let unshifted = read(&[("CLOCK_OFFSET_SEC", "0")]).expect("valid");
        assert!(unshifted.knobs.to_announce(true).is_empty());
    }
}
