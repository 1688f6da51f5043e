//! Shared test support: fresh databases on both engines, the worker binary, waiting helpers.
//!
//! PostgreSQL tests use the server at `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), creating a fresh database per test and
//! dropping it afterwards. An unreachable server fails the test; set
//! `AVITO_REPORTS_SKIP_POSTGRES=1` to skip those tests explicitly (each says so on stderr).

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::PathBuf;
use std::time::Duration;

use avito_reports::config::DatabaseUrl;
use sea_orm::{ConnectionTrait, Database};

pub const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database that exists for one test only.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    pub engine: Engine,
    /// Holds the SQLite file (and the key file beside it) until the test ends.
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database on `engine`, or `None` when PostgreSQL is explicitly skipped.
    pub async fn fresh(engine: Engine) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        match engine {
            Engine::Sqlite => {
                let path = dir.path().join("bot.sqlite");
                let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display()))
                    .expect("sqlite url");
                Some(Self {
                    url,
                    engine,
                    dir,
                    postgres: None,
                })
            }
            Engine::Postgres => {
                if std::env::var("AVITO_REPORTS_SKIP_POSTGRES").as_deref() == Ok("1") {
                    eprintln!("SKIPPED on PostgreSQL: AVITO_REPORTS_SKIP_POSTGRES=1");
                    return None;
                }
                let admin = std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
                let name = format!(
                    "avito_reports_test_{}_{}",
                    std::process::id(),
                    rand_suffix()
                );
                let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL at {admin} is unreachable ({e}); start it, point \
                         TEST_POSTGRES_URL at one, or set AVITO_REPORTS_SKIP_POSTGRES=1"
                    )
                });
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let mut url = url::Url::parse(&admin).expect("admin url");
                url.set_path(&format!("/{name}"));
                let url = DatabaseUrl::parse(url.as_str()).expect("postgres url");
                Some(Self {
                    url,
                    engine,
                    dir,
                    postgres: Some((admin, name)),
                })
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.engine == Engine::Sqlite).then(|| self.dir.path().join("bot.sqlite"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop is synchronous: run the cleanup on its own thread and runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(conn) = Database::connect(&admin).await {
                    let _ = conn
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    conn.close().await.ok();
                }
            });
        })
        .join();
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{nanos:x}{n}")
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The built worker binary.
pub fn worker_binary() -> &'static str {
    env!("CARGO_BIN_EXE_avito-reports")
}

/// A command for the worker binary with a clean environment (no developer `.env`, no stray
/// `DATABASE_URL`), run in `dir`.
pub fn worker_command(dir: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(worker_binary());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .current_dir(dir)
        .kill_on_drop(true);
    cmd
}
