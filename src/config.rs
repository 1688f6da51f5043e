//! Settings from the environment (and an optional `.env` file), validated once at start-up.
//!
//! This is the only module that reads the environment. Every bad value becomes a
//! [`ConfigError`] naming the variable and what is expected; secret values are never echoed.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::domain::{ChatId, UserId};

/// The real Telegram Bot API; tests and the sandbox point `TELEGRAM_API_URL` elsewhere.
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
/// The real Avito API.
pub const DEFAULT_AVITO_API_URL: &str = "https://api.avito.ru";
/// The embedded default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://avito-reports.sqlite?mode=rwc";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is not set: expected {expected}")]
    Missing {
        var: &'static str,
        expected: &'static str,
    },
    #[error("{var} is invalid ({problem}): expected {expected}")]
    Invalid {
        var: &'static str,
        problem: String,
        expected: &'static str,
    },
    #[error("cannot read .env: {0}")]
    DotEnv(String),
}

/// A Telegram bot token, `<bot id>:<secret>`. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

impl BotToken {
    const EXPECTED: &'static str = "the token from @BotFather, like 123456789:AAE...";

    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        let invalid = |problem: &str| ConfigError::Invalid {
            var: "BOT_TOKEN",
            problem: problem.to_owned(),
            expected: Self::EXPECTED,
        };
        let (id, secret) = raw
            .split_once(':')
            .ok_or_else(|| invalid("no ':' between the bot id and the secret"))?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("the part before ':' must be the numeric bot id"));
        }
        if secret.is_empty()
            || !secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(invalid(
                "the part after ':' must be letters, digits, '_' or '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.0.split(':').next().unwrap_or_default();
        write!(f, "BotToken({id}:***)")
    }
}

/// Which database engine a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    /// `path` is `None` for an in-memory database.
    Sqlite {
        path: Option<PathBuf>,
    },
    Postgres,
}

/// A validated database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    kind: DatabaseKind,
}

impl DatabaseUrl {
    const EXPECTED: &'static str = "sqlite://FILE?mode=rwc, sqlite::memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";

    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        let invalid = |problem: String| ConfigError::Invalid {
            var: "DATABASE_URL",
            problem,
            expected: Self::EXPECTED,
        };
        if raw == "sqlite::memory:" || raw.starts_with("sqlite::memory:?") {
            return Ok(Self {
                url: raw.to_owned(),
                kind: DatabaseKind::Sqlite { path: None },
            });
        }
        if let Some(rest) = raw.strip_prefix("sqlite:") {
            let rest = rest.trim_start_matches("//");
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(invalid("no file path after sqlite:".into()));
            }
            // Without mode=rwc SQLite refuses to create the file on a first run.
            let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
                query.to_owned()
            } else if query.is_empty() {
                "mode=rwc".to_owned()
            } else {
                format!("{query}&mode=rwc")
            };
            return Ok(Self {
                url: format!("sqlite://{path}?{query}"),
                kind: DatabaseKind::Sqlite {
                    path: Some(PathBuf::from(path)),
                },
            });
        }
        let parsed = Url::parse(raw).map_err(|e| invalid(format!("not a URL: {e}")))?;
        match parsed.scheme() {
            "postgres" | "postgresql" => {
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(invalid("no host".into()));
                }
                if parsed.path().trim_start_matches('/').is_empty() {
                    return Err(invalid("no database name".into()));
                }
                Ok(Self {
                    url: raw.to_owned(),
                    kind: DatabaseKind::Postgres,
                })
            }
            other => Err(invalid(format!("unsupported scheme '{other}'"))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }
}

impl std::fmt::Debug for DatabaseUrl {
    // A PostgreSQL URL may carry a password: show everything but that.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.url))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.url))
    }
}

fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// A 32-byte key for encrypting secrets at rest. Its `Debug` hides the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub const EXPECTED: &'static str = "32 random bytes as base64 (44 characters) or hex (64 characters), e.g. from `openssl rand -base64 32`";

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| e.to_string())?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|_| "neither base64 nor 64 hex digits".to_owned())?
        };
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{} bytes instead of 32", b.len()))?;
        Ok(Self(array))
    }

    pub fn to_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Start-up and polling resilience, named as in the Python bot.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSettings {
    /// How long one start-up attempt (database connect, Telegram getMe) may take.
    pub startup_timeout: Duration,
    /// Start-up attempts before giving up.
    pub startup_retries: u32,
    /// Consecutive failed polls before the worker exits for its supervisor to restart it;
    /// 0 retries forever.
    pub polling_retries: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long in-flight handlers get to finish after SIGTERM / SIGINT.
    pub shutdown_timeout: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            startup_timeout: Duration::from_secs(30),
            startup_retries: 5,
            polling_retries: 0,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

/// Background jobs: scheduled reports and exports.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSettings {
    /// How often an idle worker looks for due jobs.
    pub poll_interval: Duration,
    /// Jobs one process runs at a time.
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
    /// This process' share of Telegram's overall sending rate (30 messages/s per bot).
    pub telegram_messages_per_sec: u32,
    /// Unique per process; apalis rescues the jobs of a worker whose heartbeats stop.
    pub worker_name: String,
    /// How often a worker says it is alive; its running jobs go back to the queue after two
    /// missed heartbeats (a killed process' deliveries resume on another one, or on restart).
    pub heartbeat_interval: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            concurrency: 16,
            missed_report_grace: Duration::from_secs(3 * 3600),
            report_attempts: 4,
            report_retry_backoff: Duration::from_secs(60),
            report_slot_budget: Duration::from_secs(300),
            telegram_messages_per_sec: 30,
            worker_name: default_worker_name(),
            heartbeat_interval: Duration::from_secs(30),
        }
    }
}

/// `<host>-<pid>-<random>`: unique even for two processes started on one host at once.
fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

/// Everything the process is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bot_token: Option<BotToken>,
    pub database_url: DatabaseUrl,
    pub secret_key: Option<SecretKey>,
    pub admin_chat_id: Option<ChatId>,
    /// `None` lets everyone use the bot.
    pub allowed_users: Option<BTreeSet<UserId>>,
    pub telegram_api_url: Url,
    pub avito_api_url: Url,
    /// Length of Avito's rate-limit window (a minute); lowered only against the sandbox.
    pub avito_rate_window: Duration,
    /// Longest wait for one Avito answer (each attempt).
    pub avito_request_timeout: Duration,
    /// Longest a person waits for "Report now" or `/stats`: what has not arrived by then is
    /// n/a with the reason.
    pub report_deadline: Duration,
    pub http_addr: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub worker: WorkerSettings,
    pub jobs: JobSettings,
    /// How far the process's clock is shifted from the system's (`CLOCK_OFFSET_SEC`; zero
    /// except in rehearsals and tests, see `domain::clock`).
    pub clock_offset: chrono::Duration,
    /// Alert rules checked this many times as often as their own intervals
    /// (`ALERT_CHECK_SPEEDUP`; 1 in production, more for the sandbox, the demo, tests and
    /// benchmarks).
    pub alert_check_speedup: u32,
}

/// `CLOCK_OFFSET_SEC`: seconds (fractions allowed, negative for the past) within ±100 years.
fn clock_offset(raw: Option<String>) -> Result<chrono::Duration, ConfigError> {
    let Some(raw) = raw else {
        return Ok(chrono::Duration::zero());
    };
    const LIMIT: f64 = 100.0 * 366.0 * 86_400.0;
    match raw.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs.abs() <= LIMIT => Ok(chrono::Duration::milliseconds(
            (secs * 1000.0).round() as i64,
        )),
        _ => Err(ConfigError::Invalid {
            var: "CLOCK_OFFSET_SEC",
            problem: format!("'{raw}'"),
            expected: "a number of seconds within ±100 years, e.g. 3600 or -86400.5",
        }),
    }
}

impl Settings {
    /// Reads `.env` (if present) into the process environment, then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
    }

    /// Builds settings from a map of variables; an empty value counts as unset.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let defaults = WorkerSettings::default();
        let worker = WorkerSettings {
            startup_timeout: seconds(
                "WORKER_STARTUP_TIMEOUT_SEC",
                get("WORKER_STARTUP_TIMEOUT_SEC"),
                defaults.startup_timeout,
            )?,
            startup_retries: count(
                "WORKER_STARTUP_RETRIES",
                get("WORKER_STARTUP_RETRIES"),
                defaults.startup_retries,
            )?,
            polling_retries: count(
                "WORKER_POLLING_RETRIES",
                get("WORKER_POLLING_RETRIES"),
                defaults.polling_retries,
            )?,
            backoff_base: seconds(
                "WORKER_RETRY_BACKOFF_BASE_SEC",
                get("WORKER_RETRY_BACKOFF_BASE_SEC"),
                defaults.backoff_base,
            )?,
            backoff_max: seconds(
                "WORKER_RETRY_BACKOFF_MAX_SEC",
                get("WORKER_RETRY_BACKOFF_MAX_SEC"),
                defaults.backoff_max,
            )?,
            shutdown_timeout: seconds(
                "WORKER_SHUTDOWN_TIMEOUT_SEC",
                get("WORKER_SHUTDOWN_TIMEOUT_SEC"),
                defaults.shutdown_timeout,
            )?,
        };
        if worker.startup_retries == 0 {
            return Err(ConfigError::Invalid {
                var: "WORKER_STARTUP_RETRIES",
                problem: "0 attempts would never start".into(),
                expected: "a whole number of attempts, at least 1",
            });
        }
        if worker.backoff_max < worker.backoff_base {
            return Err(ConfigError::Invalid {
                var: "WORKER_RETRY_BACKOFF_MAX_SEC",
                problem: "smaller than WORKER_RETRY_BACKOFF_BASE_SEC".into(),
                expected: "a number of seconds not below the base backoff",
            });
        }

        let jobs = job_settings(&get)?;

        Ok(Self {
            bot_token: get("BOT_TOKEN").map(|t| BotToken::parse(&t)).transpose()?,
            database_url: DatabaseUrl::parse(
                &get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            )?,
            secret_key: get("SECRET_KEY")
                .map(|k| {
                    SecretKey::parse(&k).map_err(|problem| ConfigError::Invalid {
                        var: "SECRET_KEY",
                        problem,
                        expected: SecretKey::EXPECTED,
                    })
                })
                .transpose()?,
            admin_chat_id: get("ADMIN_CHAT_ID")
                .map(|v| {
                    v.parse::<ChatId>().map_err(|_| ConfigError::Invalid {
                        var: "ADMIN_CHAT_ID",
                        problem: format!("'{v}' is not a number"),
                        expected: "a Telegram chat id, e.g. 123456789 or -1001234567890",
                    })
                })
                .transpose()?,
            allowed_users: get("ALLOWED_USERS")
                .map(|v| parse_allowed_users(&v))
                .transpose()?,
            telegram_api_url: api_url(
                "TELEGRAM_API_URL",
                get("TELEGRAM_API_URL"),
                DEFAULT_TELEGRAM_API_URL,
            )?,
            avito_api_url: api_url("AVITO_API_URL", get("AVITO_API_URL"), DEFAULT_AVITO_API_URL)?,
            avito_rate_window: seconds(
                "AVITO_RATE_WINDOW_SEC",
                get("AVITO_RATE_WINDOW_SEC"),
                Duration::from_secs(60),
            )?,
            avito_request_timeout: positive_seconds(
                "AVITO_REQUEST_TIMEOUT_SEC",
                get("AVITO_REQUEST_TIMEOUT_SEC"),
                Duration::from_secs(15),
            )?,
            report_deadline: positive_seconds(
                "REPORT_DEADLINE_SEC",
                get("REPORT_DEADLINE_SEC"),
                Duration::from_secs(25),
            )?,
            http_addr: get("HTTP_ADDR")
                .map(|v| {
                    v.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
                        var: "HTTP_ADDR",
                        problem: format!("'{v}' is not an address with a port"),
                        expected: "IP:PORT, e.g. 0.0.0.0:8080 or 127.0.0.1:9090",
                    })
                })
                .transpose()?,
            log_format: match get("LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        var: "LOG_FORMAT",
                        problem: format!("'{other}'"),
                        expected: "text or json",
                    });
                }
            },
            worker,
            jobs,
            clock_offset: clock_offset(get("CLOCK_OFFSET_SEC"))?,
            alert_check_speedup: match get("ALERT_CHECK_SPEEDUP") {
                None => 1,
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=86_400).contains(n))
                    .ok_or(ConfigError::Invalid {
                        var: "ALERT_CHECK_SPEEDUP",
                        problem: format!("'{v}'"),
                        expected: "a whole number from 1 (real intervals) to 86400",
                    })?,
            },
        })
    }

    /// The bot token, which `run` cannot do without.
    pub fn require_bot_token(&self) -> Result<&BotToken, ConfigError> {
        self.bot_token.as_ref().ok_or(ConfigError::Missing {
            var: "BOT_TOKEN",
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

fn parse_allowed_users(raw: &str) -> Result<BTreeSet<UserId>, ConfigError> {
    raw.split([',', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(UserId)
                .ok_or_else(|| ConfigError::Invalid {
                    var: "ALLOWED_USERS",
                    problem: format!("'{s}' is not a Telegram user id"),
                    expected: "comma-separated positive Telegram user ids, e.g. 12345,67890",
                })
        })
        .collect()
}

fn api_url(var: &'static str, raw: Option<String>, default: &str) -> Result<Url, ConfigError> {
    let raw = raw.unwrap_or_else(|| default.to_owned());
    let url = Url::parse(&raw).map_err(|e| ConfigError::Invalid {
        var,
        problem: e.to_string(),
        expected: "an http(s) base URL, e.g. http://127.0.0.1:8081",
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::Invalid {
            var,
            problem: format!("'{raw}' is not an http(s) URL"),
            expected: "an http(s) base URL, e.g. http://127.0.0.1:8081",
        });
    }
    Ok(url)
}

fn seconds(
    var: &'static str,
    raw: Option<String>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    raw.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ConfigError::Invalid {
            var,
            problem: format!("'{raw}'"),
            expected: "a number of seconds between 0 and 86400, e.g. 2.5",
        })
}

/// [`seconds`], and more than zero (a zero timeout would fail every call).
fn positive_seconds(
    var: &'static str,
    raw: Option<String>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let value = seconds(var, raw.clone(), default)?;
    if value.is_zero() {
        return Err(ConfigError::Invalid {
            var,
            problem: format!("'{}'", raw.unwrap_or_default()),
            expected: "a number of seconds above 0, e.g. 15",
        });
    }
    Ok(value)
}

fn job_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<JobSettings, ConfigError> {
    let defaults = JobSettings::default();
    let jobs = JobSettings {
        poll_interval: seconds(
            "JOBS_POLL_INTERVAL_SEC",
            get("JOBS_POLL_INTERVAL_SEC"),
            defaults.poll_interval,
        )?,
        concurrency: count(
            "JOBS_CONCURRENCY",
            get("JOBS_CONCURRENCY"),
            defaults.concurrency,
        )?,
        missed_report_grace: duration(
            "MISSED_REPORT_GRACE",
            get("MISSED_REPORT_GRACE"),
            defaults.missed_report_grace,
        )?,
        report_attempts: count(
            "REPORT_ATTEMPTS",
            get("REPORT_ATTEMPTS"),
            defaults.report_attempts,
        )?,
        report_retry_backoff: seconds(
            "REPORT_RETRY_BACKOFF_SEC",
            get("REPORT_RETRY_BACKOFF_SEC"),
            defaults.report_retry_backoff,
        )?,
        report_slot_budget: positive_seconds(
            "REPORT_SLOT_BUDGET_SEC",
            get("REPORT_SLOT_BUDGET_SEC"),
            defaults.report_slot_budget,
        )?,
        telegram_messages_per_sec: count(
            "TELEGRAM_MESSAGES_PER_SEC",
            get("TELEGRAM_MESSAGES_PER_SEC"),
            defaults.telegram_messages_per_sec,
        )?,
        worker_name: get("WORKER_NAME").unwrap_or(defaults.worker_name),
        heartbeat_interval: seconds(
            "JOBS_HEARTBEAT_SEC",
            get("JOBS_HEARTBEAT_SEC"),
            defaults.heartbeat_interval,
        )?,
    };
    if jobs.heartbeat_interval < Duration::from_secs(1) {
        return Err(ConfigError::Invalid {
            var: "JOBS_HEARTBEAT_SEC",
            problem: format!("{:?}", jobs.heartbeat_interval),
            expected: "a number of seconds, at least 1",
        });
    }
    let positive = |var: &'static str, value: u32, expected: &'static str| {
        if value == 0 {
            Err(ConfigError::Invalid {
                var,
                problem: "0".into(),
                expected,
            })
        } else {
            Ok(())
        }
    };
    positive(
        "JOBS_CONCURRENCY",
        jobs.concurrency,
        "a whole number of jobs, at least 1",
    )?;
    positive(
        "REPORT_ATTEMPTS",
        jobs.report_attempts,
        "a whole number of attempts, at least 1",
    )?;
    if !(1..=30).contains(&jobs.telegram_messages_per_sec) {
        return Err(ConfigError::Invalid {
            var: "TELEGRAM_MESSAGES_PER_SEC",
            problem: format!("{}", jobs.telegram_messages_per_sec),
            expected: "1 to 30 (Telegram allows a bot 30 messages/s; give each of N processes 30/N)",
        });
    }
    if jobs.poll_interval.is_zero() {
        return Err(ConfigError::Invalid {
            var: "JOBS_POLL_INTERVAL_SEC",
            problem: "0".into(),
            expected: "a number of seconds above 0, e.g. 0.5",
        });
    }
    Ok(jobs)
}

/// A duration as `90`, `90s`, `45m` or `3h`.
fn duration(
    var: &'static str,
    raw: Option<String>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    let (number, unit) = match raw.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => raw.split_at(i),
        None => (raw.as_str(), "s"),
    };
    let factor = match unit.trim() {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .map(|n| n * factor)
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 7.0 * 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ConfigError::Invalid {
            var,
            problem: format!("'{raw}'"),
            expected: "a duration up to 7 days: seconds, or a number with s, m or h, e.g. 3h",
        })
}

fn count(var: &'static str, raw: Option<String>, default: u32) -> Result<u32, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    raw.parse::<u32>().map_err(|_| ConfigError::Invalid {
        var,
        problem: format!("'{raw}'"),
        expected: "a whole number, 0 or more",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_use_a_sqlite_file_in_the_working_directory() {
        let s = Settings::from_vars(&vars(&[])).expect("defaults are valid");
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
    fn job_settings_read_durations_rates_and_names() {
        let s = Settings::from_vars(&vars(&[
            ("MISSED_REPORT_GRACE", "90m"),
            ("TELEGRAM_MESSAGES_PER_SEC", "15"),
            ("WORKER_NAME", "replica-a"),
            ("JOBS_POLL_INTERVAL_SEC", "0.2"),
        ]))
        .expect("valid");
        assert_eq!(s.jobs.missed_report_grace, Duration::from_secs(5400));
        assert_eq!(s.jobs.telegram_messages_per_sec, 15);
        assert_eq!(s.jobs.worker_name, "replica-a");
        assert_eq!(s.jobs.poll_interval, Duration::from_millis(200));
        let d = Settings::from_vars(&vars(&[])).expect("defaults");
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
        ] {
            let err = Settings::from_vars(&vars(&[(var, value)])).expect_err(var);
            assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn missing_bot_token_is_named_when_required() {
        let s = Settings::from_vars(&vars(&[])).expect("valid");
        let err = s.require_bot_token().expect_err("no token");
        assert!(err.to_string().starts_with("BOT_TOKEN is not set"));
    }

    #[test]
    fn malformed_bot_token_is_rejected_without_echoing_it() {
        let err = Settings::from_vars(&vars(&[("BOT_TOKEN", "supersecretvalue")]))
            .expect_err("bad token");
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
            let err = Settings::from_vars(&vars(&[("DATABASE_URL", bad)]))
                .expect_err(bad)
                .to_string();
            assert!(err.starts_with("DATABASE_URL is invalid"), "{bad}: {err}");
        }
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let url = DatabaseUrl::parse("sqlite:data/bot.db").expect("valid");
        assert_eq!(url.as_str(), "sqlite://data/bot.db?mode=rwc");
        let url = DatabaseUrl::parse("sqlite:///tmp/x.db?mode=ro").expect("valid");
        assert_eq!(url.as_str(), "sqlite:///tmp/x.db?mode=ro");
    }

    #[test]
    fn postgres_password_is_redacted_in_display() {
        let url = DatabaseUrl::parse("postgres://bot:hunter2@db:5432/reports").expect("valid");
        assert!(!url.to_string().contains("hunter2"));
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn non_numeric_admin_chat_id_is_rejected() {
        let err = Settings::from_vars(&vars(&[("ADMIN_CHAT_ID", "@admin")])).expect_err("bad");
        assert!(err.to_string().starts_with("ADMIN_CHAT_ID is invalid"));
    }

    #[test]
    fn allowed_users_list_is_parsed_and_bad_entries_named() {
        let s = Settings::from_vars(&vars(&[("ALLOWED_USERS", "12, 34;56")])).expect("valid");
        assert!(s.is_allowed(UserId(34)));
        assert!(!s.is_allowed(UserId(7)));
        let err = Settings::from_vars(&vars(&[("ALLOWED_USERS", "12,bob")])).expect_err("bad");
        assert!(err.to_string().contains("'bob'"));
    }

    #[test]
    fn secret_key_accepts_base64_and_hex_of_32_bytes_only() {
        let hex = "00".repeat(32);
        assert!(SecretKey::parse(&hex).is_ok());
        let b64 = SecretKey::from_bytes([7; 32]).to_base64();
        assert_eq!(SecretKey::parse(&b64).expect("b64").bytes(), &[7; 32]);
        assert!(SecretKey::parse("c2hvcnQ=").is_err());
        let err = Settings::from_vars(&vars(&[("SECRET_KEY", "short")])).expect_err("bad key");
        assert!(err.to_string().starts_with("SECRET_KEY is invalid"));
    }

    #[test]
    fn worker_settings_are_validated() {
        let s = Settings::from_vars(&vars(&[
            ("WORKER_STARTUP_RETRIES", "3"),
            ("WORKER_RETRY_BACKOFF_BASE_SEC", "0.5"),
        ]))
        .expect("valid");
        assert_eq!(s.worker.startup_retries, 3);
        assert_eq!(s.worker.backoff_base, Duration::from_millis(500));
        assert!(s.clock_offset.is_zero());
        let shifted =
            Settings::from_vars(&vars(&[("CLOCK_OFFSET_SEC", "-86400.5")])).expect("valid offset");
        assert_eq!(
            shifted.clock_offset,
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
            let err = Settings::from_vars(&vars(&[(var, bad)])).expect_err(bad);
            assert!(err.to_string().starts_with(var), "{var}={bad}: {err}");
        }
    }
}
