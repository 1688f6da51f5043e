//! Seeding shared by the benchmarks: sellers with a profile on emulator account `n`, a fresh
//! database per run, a process's CPU time and memory, the processes under test and their logs,
//! and the alert rules' hour ([`alerts`]).

// Each benchmark uses a part of this module.
#![allow(dead_code)]

pub mod alerts;

use avito_reports::crypto::SecretBox;
use avito_reports::db::entities::report_task;
use avito_reports::db::profiles::{self, NewProfile};
use avito_reports::db::tasks::TaskDefaults;
use avito_reports::db::users::{self, TelegramUser};
use avito_reports::domain::{AccountId, UserId};
use sea_orm::DatabaseConnection;

/// The key the benchmarks' workers run with.
pub const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// A seller `owner` with the profile "Shop n" on emulator account `n` (`client-n` /
/// `secret-n`), and its report task as created. `owner` is the emulator's user number.
pub async fn seller_with_profile(
    conn: &DatabaseConnection,
    secrets: &SecretBox,
    owner: i64,
    n: u32,
) -> anyhow::Result<report_task::Model> {
    users::upsert(
        conn,
        &TelegramUser {
            id: UserId(owner),
            username: None,
            first_name: format!("Seller {n}"),
            language_code: Some("en".into()),
        },
    )
    .await?;
    let (_, task) = profiles::create_with_task(
        conn,
        NewProfile {
            owner_id: UserId(owner),
            name: format!("Shop {n}"),
            client_id: format!("client-{n}"),
            client_secret_enc: secrets.encrypt(&format!("secret-{n}"))?,
            avito_user_id: Some(AccountId(1_000_000 + i64::from(n))),
            avito_account_name: None,
        },
        &TaskDefaults::default(),
    )
    .await?;
    Ok(task)
}

/// A fresh database for one benchmark run: a SQLite file in `dir`, or with `postgres` a new
/// database on the local server (dropped by [`BenchDatabase::drop`]).
pub struct BenchDatabase {
    pub url: String,
    postgres_name: Option<String>,
}

const POSTGRES_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl BenchDatabase {
    pub async fn create(dir: &std::path::Path, postgres: bool) -> anyhow::Result<Self> {
        use sea_orm::ConnectionTrait as _;
        if !postgres {
            let url = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());
            return Ok(Self {
                url,
                postgres_name: None,
            });
        }
        let name = format!("avito_reports_bench_{}", std::process::id());
        let admin = sea_orm::Database::connect(POSTGRES_ADMIN).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        Ok(Self {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            postgres_name: Some(name),
        })
    }

    pub fn engine(&self) -> &'static str {
        if self.postgres_name.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    /// Drops the PostgreSQL database (a SQLite file goes with its directory).
    pub async fn drop(self) -> anyhow::Result<()> {
        use sea_orm::ConnectionTrait as _;
        if let Some(name) = self.postgres_name {
            let admin = sea_orm::Database::connect(POSTGRES_ADMIN).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
        }
        Ok(())
    }
}

/// The benchmark's command line, read flag by flag (cargo adds `--bench`, which is skipped).
pub struct Args(std::iter::Skip<std::env::Args>);

impl Args {
    pub fn new() -> Self {
        Self(std::env::args().skip(1))
    }

    /// The next flag, `--bench` left out.
    pub fn flag(&mut self) -> Option<String> {
        self.0.by_ref().find(|a| a != "--bench")
    }

    /// The value after flag `name`.
    pub fn value(&mut self, name: &str) -> anyhow::Result<String> {
        self.0
            .next()
            .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))
    }

    /// The positive whole number after flag `name`.
    pub fn number(&mut self, name: &str) -> anyhow::Result<u32> {
        self.0
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| anyhow::anyhow!("{name} needs a positive whole number"))
    }
}

/// The next whole minute at least 30 s after `now` (so that seeding and start-up are over by
/// then), and its time of day in Moscow as a report task stores it.
pub fn next_slot(
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(chrono::DateTime<chrono::Utc>, String)> {
    use chrono::{DurationRound, Timelike};
    let slot = now.duration_trunc(chrono::Duration::minutes(1))?
        + chrono::Duration::minutes(if now.second() < 30 { 1 } else { 2 });
    let time = slot
        .with_timezone(&chrono_tz::Europe::Moscow)
        .format("%H:%M")
        .to_string();
    Ok((slot, time))
}

/// CPU seconds (user + system) and peak and current resident memory (kB) of process `pid`.
pub fn process_usage(pid: u32) -> anyhow::Result<(f64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the state); Linux counts
    // them in USER_HZ, 100 on every mainstream architecture.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((cpu, kb("VmHWM:"), kb("VmRSS:")))
}

/// `avito-reports worker` against the emulators and `database_url`, logging warnings to
/// `dir/worker.log`, with 64 jobs at once; the caller adds settings and spawns it.
pub fn worker_command(
    telegram: &sandbox::telegram::TelegramEmulator,
    avito: &sandbox::avito::AvitoEmulator,
    database_url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<tokio::process::Command> {
    process_command(
        "worker",
        telegram,
        avito,
        database_url,
        &dir.join("worker.log"),
    )
}

/// `avito-reports <subcommand>` (`run` or `worker`) against the emulators and `database_url`,
/// logging warnings to `log` and working in its directory, with 64 jobs at once; the caller
/// adds settings and spawns it.
pub fn process_command(
    subcommand: &str,
    telegram: &sandbox::telegram::TelegramEmulator,
    avito: &sandbox::avito::AvitoEmulator,
    database_url: &str,
    log: &std::path::Path,
) -> anyhow::Result<tokio::process::Command> {
    let dir = log
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no directory", log.display()))?;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_avito-reports"));
    command
        .arg(subcommand)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // `BENCH_PROCESS_LOG` (a `RUST_LOG` filter) looks closer at the processes' work.
        .env(
            "RUST_LOG",
            std::env::var("BENCH_PROCESS_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .env("BOT_TOKEN", telegram.bot_token())
        .env("TELEGRAM_API_URL", telegram.base_url())
        .env("AVITO_API_URL", avito.base_url())
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", KEY)
        .env("JOBS_CONCURRENCY", "64")
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .kill_on_drop(true);
    Ok(command)
}

/// The first `limit` lines of the log at `path` that say ERROR, and how many there are.
pub fn error_lines(path: &std::path::Path, limit: usize) -> (usize, Vec<String>) {
    log_lines(path, "ERROR", limit)
}

/// The first `limit` lines of the log at `path` that hold `level` (`ERROR`, `WARN`), and how
/// many there are.
pub fn log_lines(path: &std::path::Path, level: &str, limit: usize) -> (usize, Vec<String>) {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let found: Vec<&str> = log.lines().filter(|l| l.contains(level)).collect();
    let first = found.iter().take(limit).map(|l| (*l).to_owned()).collect();
    (found.len(), first)
}

/// The Telegram emulator on a runtime of its own: the Avito emulator's load in this process
/// must not delay the handling of Telegram requests and bunch them into bursts the workers
/// never sent (its flood control counts them as they arrive).
pub fn telegram_on_its_own_thread() -> anyhow::Result<sandbox::telegram::TelegramEmulator> {
    use sandbox::telegram::{TelegramConfig, TelegramEmulator};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(anyhow::Error::from(e)));
                return;
            }
        };
        runtime.block_on(async move {
            let started = TelegramEmulator::start(TelegramConfig::default()).await;
            let keep = started.as_ref().ok().cloned();
            let _ = tx.send(started);
            if keep.is_some() {
                std::future::pending::<()>().await;
            }
        });
    });
    rx.recv()?
}

/// Forgets the updates queued for the bot (the sellers' `/start`s of the seeding), as an
/// operator dropping pending updates would: a polling `run` would otherwise answer every one
/// and spend the bot's Telegram budget on it.
pub async fn drop_pending_updates(
    telegram: &sandbox::telegram::TelegramEmulator,
) -> anyhow::Result<()> {
    let url = format!(
        "{}/bot{}/getUpdates",
        telegram.base_url(),
        telegram.bot_token()
    );
    let client = reqwest::Client::new();
    // A negative offset keeps only the last update; confirming past it forgets that one too.
    let last: serde_json::Value = client
        .get(&url)
        .query(&[("offset", "-1"), ("timeout", "0")])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if let Some(id) = last["result"][0]["update_id"].as_i64() {
        let next = (id + 1).to_string();
        client
            .get(&url)
            .query(&[("offset", next.as_str()), ("timeout", "0")])
            .send()
            .await?
            .error_for_status()?;
    }
    anyhow::ensure!(
        telegram.pending_updates() == 0,
        "{} updates still queued for the bot",
        telegram.pending_updates()
    );
    Ok(())
}
