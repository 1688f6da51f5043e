//! Shared test support: fresh databases on both engines, the worker binary, waiting helpers.
//!
//! PostgreSQL tests use the server at `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), creating a fresh database per test and
//! dropping it afterwards. An unreachable server fails the test; set
//! `AVITO_REPORTS_SKIP_POSTGRES=1` to skip those tests explicitly (each says so on stderr).

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod proxy;
pub mod runs;

use std::path::PathBuf;
use std::time::Duration;

use avito_reports::db::DatabaseUrl;
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

/// The key tests give the worker on PostgreSQL (SQLite makes its own key file).
pub const TEST_SECRET_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// The Avito rate-limit window of the tests' emulator and workers: a real minute would make
/// every second report of an account wait that long.
pub const TEST_AVITO_RATE_WINDOW: Duration = Duration::from_secs(2);

/// The Avito emulator with the tests' rate-limit window.
pub async fn start_avito() -> sandbox::avito::AvitoEmulator {
    sandbox::avito::AvitoEmulator::start(sandbox::avito::AvitoConfig {
        rate_window: TEST_AVITO_RATE_WINDOW,
        ..sandbox::avito::AvitoConfig::default()
    })
    .await
    .expect("Avito emulator starts")
}

/// A client of `server` (a `sandbox::avito::contract::ContractServer`), paced at a window of
/// 5 ms: the server has no rate limits, and a real minute would only make a test wait.
pub fn contract_client(
    server: &sandbox::avito::contract::ContractServer,
) -> avito_reports::avito::AvitoClient {
    let url = server.base_url().parse().expect("the server's URL");
    let mut config = avito_reports::avito::ClientConfig::new(url);
    config.rate_window = Duration::from_millis(5);
    avito_reports::avito::AvitoClient::new(config).expect("client")
}

/// Profile `n` ("Shop n", client id `client-n`), its Avito account id still to be asked.
pub fn contract_source(n: i64) -> avito_reports::report::ProfileSource {
    avito_reports::report::ProfileSource {
        profile_id: avito_reports::domain::ProfileId(n),
        name: format!("Shop {n}"),
        credentials: avito_reports::avito::Credentials::new(&format!("client-{n}"), "secret")
            .expect("credentials"),
        avito_user_id: None,
    }
}

/// The client sent only requests the spec allows, whatever the answers held (ids, tokens and
/// pages it passes back): the server refused none and every path was the spec's.
pub fn assert_only_valid_requests(
    server: &sandbox::avito::contract::ContractServer,
    context: &str,
) {
    let violations = server.violations();
    assert!(
        violations.is_empty(),
        "{context}: requests the spec does not allow:\n{}",
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let unmatched = server.unmatched_requests();
    assert!(
        unmatched.is_empty(),
        "{context}: paths not in the spec: {unmatched:?}"
    );
}

/// How long a slot's claim holds without renewal in the tests' workers
/// (`JOBS_HEARTBEAT_SEC` × 3).
pub const CLAIM_LEASE: Duration = Duration::from_secs(6);

/// Waits longer than a claim lease after a delivery: a second process that would take the
/// slot over (and send it again) has had its chance by the end.
pub async fn watch_for_duplicates() {
    tokio::time::sleep(CLAIM_LEASE + Duration::from_secs(1)).await;
}

/// How long a test waits for the bot.
pub const BOT_WAIT: Duration = Duration::from_secs(30);

/// A worker process against the emulators, its log captured in a file (shown on failures).
pub struct Worker {
    child: tokio::process::Child,
    log: PathBuf,
}

impl Worker {
    /// Starts `avito-reports run` against the Telegram emulator, the Avito emulator (when
    /// given) and `db`.
    pub async fn start(
        telegram: &sandbox::telegram::TelegramEmulator,
        avito: Option<&sandbox::avito::AvitoEmulator>,
        db: &TestDatabase,
        extra: &[(&str, &str)],
    ) -> Self {
        Self::start_as("run", telegram, avito, db, extra).await
    }

    /// [`Worker::start`] with another subcommand (`worker`: jobs only).
    pub async fn start_as(
        subcommand: &str,
        telegram: &sandbox::telegram::TelegramEmulator,
        avito: Option<&sandbox::avito::AvitoEmulator>,
        db: &TestDatabase,
        extra: &[(&str, &str)],
    ) -> Self {
        let log = db.dir.path().join(format!("worker-{}.log", rand_suffix()));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = worker_command(db.dir.path());
        cmd.arg(subcommand)
            .env("BOT_TOKEN", telegram.bot_token())
            .env("TELEGRAM_API_URL", telegram.base_url())
            .env("DATABASE_URL", db.url.as_str())
            .env("WORKER_RETRY_BACKOFF_BASE_SEC", "0.1")
            .env("WORKER_RETRY_BACKOFF_MAX_SEC", "0.5")
            // Jobs are looked for often and a killed worker's jobs are rescued quickly.
            .env("JOBS_POLL_INTERVAL_SEC", "0.2")
            .env("JOBS_HEARTBEAT_SEC", "2")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::from(log_file));
        if let Some(avito) = avito {
            cmd.env("AVITO_API_URL", avito.base_url()).env(
                "AVITO_RATE_WINDOW_SEC",
                TEST_AVITO_RATE_WINDOW.as_secs_f64().to_string(),
            );
        } else {
            // No Avito in this test: an address that answers (the Telegram emulator's, which
            // nothing asks Avito questions), so that the start-up log has no warning about it.
            cmd.env("AVITO_API_URL", telegram.base_url());
        }
        if db.engine == Engine::Postgres {
            cmd.env("SECRET_KEY", TEST_SECRET_KEY);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("worker starts");
        Self { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where the log is written; it stays readable after the process ends.
    pub fn log_path(&self) -> PathBuf {
        self.log.clone()
    }

    /// Sends `signal` (`STOP`, `CONT`, …) to the process: `STOP` freezes it mid-whatever
    /// it was doing, as a long GC pause or a suspended VM would.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running");
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} {pid}");
    }

    /// SIGKILL: the process dies at once, mid-whatever it was doing.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then the exit status within the shutdown budget.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => status.expect("wait"),
            Err(_) => panic!("worker did not stop after SIGTERM; log:\n{}", self.log()),
        }
    }
}

/// A failing test shows the end of each worker's log: on CI it is the only trace of what
/// the process was doing when the test gave up.
impl Drop for Worker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(60)..];
            eprintln!(
                "── last {} lines of {} ──\n{}",
                tail.len(),
                self.log.display(),
                tail.join("\n")
            );
        }
    }
}

/// The newest bot message id in a chat (0 when none).
pub fn last_bot_message(emu: &sandbox::telegram::TelegramEmulator, chat_id: i64) -> i32 {
    emu.chat_messages(chat_id)
        .iter()
        .filter(|m| m.from_bot)
        .map(|m| m.message_id)
        .max()
        .unwrap_or(0)
}

/// Waits for a bot message in `chat_id` newer than `after`, containing `needle`.
pub async fn bot_message_after(
    emu: &sandbox::telegram::TelegramEmulator,
    worker: &Worker,
    chat_id: i64,
    after: i32,
    needle: &str,
) -> sandbox::telegram::SeenMessage {
    bot_message_within(emu, worker, chat_id, after, needle, BOT_WAIT).await
}

/// [`bot_message_after`] with its own timeout (a second report of the same account waits for
/// Avito's one-per-minute statistics limit).
pub async fn bot_message_within(
    emu: &sandbox::telegram::TelegramEmulator,
    worker: &Worker,
    chat_id: i64,
    after: i32,
    needle: &str,
    timeout: Duration,
) -> sandbox::telegram::SeenMessage {
    match emu
        .wait_for(chat_id, timeout, |m| {
            m.from_bot && m.message_id > after && m.text_or_caption().contains(needle)
        })
        .await
    {
        Ok(m) => m,
        Err(e) => panic!(
            "no new bot message containing {needle:?}: {e}\nworker log:\n{}",
            worker.log()
        ),
    }
}

/// Sends `text` as `user` in their private chat and waits for a new bot reply containing
/// `needle`.
pub async fn say(
    emu: &sandbox::telegram::TelegramEmulator,
    worker: &Worker,
    user: &sandbox::telegram::SimUser,
    text: &str,
    needle: &str,
) -> sandbox::telegram::SeenMessage {
    let after = last_bot_message(emu, user.id());
    user.send_text(text);
    bot_message_after(emu, worker, user.id(), after, needle).await
}

/// Presses a button and waits until the bot has answered the press.
pub async fn press(
    worker: &Worker,
    user: &sandbox::telegram::SimUser,
    chat_id: i64,
    message_id: i32,
    data: &str,
) -> sandbox::telegram::CallbackAnswer {
    let id = user.press_button(chat_id, message_id, data);
    let deadline = tokio::time::Instant::now() + BOT_WAIT;
    loop {
        if let Some(answer) = user.callback_answer(&id) {
            return answer;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "the bot did not answer the press of {data:?}; worker log:\n{}",
                worker.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// A message as it is now.
pub fn message(
    emu: &sandbox::telegram::TelegramEmulator,
    chat_id: i64,
    message_id: i32,
) -> sandbox::telegram::SeenMessage {
    emu.chat_messages(chat_id)
        .into_iter()
        .find(|m| m.message_id == message_id)
        .unwrap_or_else(|| panic!("message {message_id} is not in chat {chat_id}"))
}

/// The callback data of the first button whose label contains `label`.
pub fn button_data(m: &sandbox::telegram::SeenMessage, label: &str) -> String {
    m.button(label)
        .and_then(|b| b.callback_data.clone())
        .unwrap_or_else(|| panic!("no button {label:?} on message {m:#?}"))
}

/// Everything a bot test runs against: a fresh database on `engine`, both emulators, and the
/// worker started on them with `extra` environment. `None` when PostgreSQL is skipped.
pub async fn start_stack(
    engine: Engine,
    extra: &[(&str, &str)],
) -> Option<(
    TestDatabase,
    sandbox::telegram::TelegramEmulator,
    sandbox::avito::AvitoEmulator,
    Worker,
)> {
    let db = TestDatabase::fresh(engine).await?;
    let telegram = sandbox::telegram::TelegramEmulator::start(
        sandbox::telegram::TelegramConfig::without_limits(),
    )
    .await
    .expect("telegram emulator");
    let avito = start_avito().await;
    let worker = Worker::start(&telegram, Some(&avito), &db, extra).await;
    Some((db, telegram, avito, worker))
}

/// A shifted clock for the workers of a test (`CLOCK_OFFSET_SEC`): from its making, they live
/// at the chosen instant and on from there at the real pace, so a slot, a daylight-saving
/// change or a month's end comes in seconds instead of at its real time.
#[derive(Debug, Clone, Copy)]
pub struct Shift {
    offset: chrono::Duration,
}

impl Shift {
    /// The workers' clock reads `fake_now` now.
    pub fn to(fake_now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            offset: fake_now - chrono::Utc::now(),
        }
    }

    /// A shift putting the workers `lead` before a whole minute, and that minute: a schedule
    /// set for it right away comes after `lead`, not after up to two real minutes.
    pub fn minute_ahead(lead: Duration) -> (Self, chrono::DateTime<chrono::Utc>) {
        use chrono::DurationRound;
        let slot = chrono::Utc::now()
            .duration_trunc(chrono::Duration::minutes(1))
            .expect("truncates")
            + chrono::Duration::minutes(10);
        (Self::before(slot, lead), slot)
    }

    /// A shift putting the workers `lead` before `slot` from now on.
    pub fn before(slot: chrono::DateTime<chrono::Utc>, lead: Duration) -> Self {
        let lead = chrono::Duration::from_std(lead).expect("short lead");
        Self::to(slot - lead)
    }

    /// The workers' time now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.offset
    }

    /// The variable that gives a worker this clock.
    pub fn var(&self) -> (&'static str, String) {
        (
            "CLOCK_OFFSET_SEC",
            format!("{:.3}", self.offset.num_milliseconds() as f64 / 1000.0),
        )
    }

    /// The Avito emulator's "today" (Moscow) at the shifted time.
    pub fn avito_today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Moscow)
            .date_naive()
    }
}

/// [`start_stack`] with the workers and Avito's calendar on `shift`'s clock.
pub async fn start_shifted_stack(
    engine: Engine,
    shift: &Shift,
    extra: &[(&str, &str)],
) -> Option<(
    TestDatabase,
    sandbox::telegram::TelegramEmulator,
    sandbox::avito::AvitoEmulator,
    Worker,
)> {
    let db = TestDatabase::fresh(engine).await?;
    let telegram = sandbox::telegram::TelegramEmulator::start(
        sandbox::telegram::TelegramConfig::without_limits(),
    )
    .await
    .expect("telegram emulator");
    let avito = sandbox::avito::AvitoEmulator::start(sandbox::avito::AvitoConfig {
        rate_window: TEST_AVITO_RATE_WINDOW,
        today: Some(shift.avito_today()),
        ..sandbox::avito::AvitoConfig::default()
    })
    .await
    .expect("Avito emulator starts");
    let (var, offset) = shift.var();
    let mut env: Vec<(&str, &str)> = vec![(var, offset.as_str())];
    env.extend_from_slice(extra);
    let worker = Worker::start(&telegram, Some(&avito), &db, &env).await;
    Some((db, telegram, avito, worker))
}

/// Stops the worker (asserting a clean exit) and both emulators.
pub async fn stop_stack(
    worker: Worker,
    avito: sandbox::avito::AvitoEmulator,
    telegram: sandbox::telegram::TelegramEmulator,
) {
    let status = worker.terminate().await;
    assert!(status.success(), "SIGTERM is a clean exit, got {status}");
    avito.shutdown().await;
    telegram.shutdown().await;
}

/// The secret box of [`TEST_SECRET_KEY`], for seeding encrypted rows the worker can read.
pub fn test_secrets() -> avito_reports::crypto::SecretBox {
    avito_reports::crypto::SecretBox::new(
        &avito_reports::crypto::SecretKey::parse(TEST_SECRET_KEY).expect("test key"),
    )
}

/// A user with a profile "Shop {n}" on emulator account `n` (client-n / secret-n) whose daily
/// report goes to `chat` at `slot` (already planned: `next_run_at` is the slot, as the planner
/// would have left it). The worker must run with `SECRET_KEY` = [`TEST_SECRET_KEY`]. `user_id`
/// and `chat` are the emulator's numbers.
pub async fn seed(
    conn: &sea_orm::DatabaseConnection,
    user_id: i64,
    n: u32,
    chat: i64,
    slot: chrono::DateTime<chrono::Utc>,
) -> (
    avito_reports::db::entities::avito_profile::Model,
    avito_reports::db::entities::report_task::Model,
) {
    use avito_reports::db::entities::report_task;
    use avito_reports::db::profiles::{self, NewProfile};
    use avito_reports::db::tasks::{self, TaskDefaults};
    use avito_reports::db::users::{self, TelegramUser};
    use avito_reports::domain::{AccountId, ChatId, UserId};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    users::upsert(
        conn,
        &TelegramUser {
            id: UserId(user_id),
            username: None,
            first_name: format!("Seller {n}"),
            language_code: Some("en".into()),
        },
    )
    .await
    .expect("user");
    let (profile, task) = profiles::create_with_task(
        conn,
        NewProfile {
            owner_id: UserId(user_id),
            name: format!("Shop {n}"),
            client_id: format!("client-{n}"),
            client_secret_enc: test_secrets()
                .encrypt(&format!("secret-{n}"))
                .expect("encrypt"),
            avito_user_id: Some(AccountId(1_000_000 + i64::from(n))),
            avito_account_name: None,
        },
        &TaskDefaults::default(),
    )
    .await
    .expect("profile");
    let time = slot
        .with_timezone(&chrono_tz::Europe::Moscow)
        .format("%H:%M")
        .to_string();
    report_task::ActiveModel {
        id: Set(task.id),
        chat_id: Set(Some(ChatId(chat))),
        chat_title: Set(Some(format!("Chat {chat}"))),
        is_active: Set(true),
        time_of_day: Set(avito_reports::domain::Stored::parse(&time)),
        next_run_at: Set(Some(slot)),
        ..Default::default()
    }
    .update(conn)
    .await
    .expect("task");
    let task = tasks::by_id(conn, task.id)
        .await
        .expect("query")
        .expect("task");
    (profile, task)
}

/// Adds a profile through the dialogue as an English-speaking user (emulator account `n`,
/// `client-n` / `secret-n`) and returns its id.
pub async fn add_profile(
    emu: &sandbox::telegram::TelegramEmulator,
    worker: &Worker,
    db_url: &avito_reports::db::DatabaseUrl,
    user: &sandbox::telegram::SimUser,
    name: &str,
    n: u32,
) -> avito_reports::domain::ProfileId {
    say(emu, worker, user, "/add_profile", "Step 1 of 3").await;
    say(emu, worker, user, name, "Step 2 of 3").await;
    say(emu, worker, user, &format!("client-{n}"), "Step 3 of 3").await;
    say(
        emu,
        worker,
        user,
        &format!("secret-{n}"),
        "added: Avito account",
    )
    .await;
    let conn = avito_reports::db::connect(db_url).await.expect("connect");
    let profiles =
        avito_reports::db::profiles::all_of(&conn, avito_reports::domain::UserId(user.id()))
            .await
            .expect("profiles");
    conn.close().await.ok();
    profiles
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("profile {name} of {} was added", user.id()))
        .id
}

/// A fresh database on `engine` with migrations applied, for seeding before any worker starts.
pub async fn seeded_db(engine: Engine) -> Option<(TestDatabase, sea_orm::DatabaseConnection)> {
    let test_db = TestDatabase::fresh(engine).await?;
    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    avito_reports::db::migrate(&conn).await.expect("migrate");
    Some((test_db, conn))
}
