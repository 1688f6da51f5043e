//! The worker binary, black-box: started against the Telegram emulator and a fresh database
//! on each engine, used as a person would use it.

mod common;

use std::process::Stdio;
use std::time::Duration;

use avito_reports::db::{self, entities::user};
use avito_reports::domain::UserId;
use common::{Engine, TestDatabase, Worker, worker_command};
use sandbox::telegram::{SeenMessage, TelegramConfig, TelegramEmulator};
use sea_orm::{EntityTrait, PaginatorTrait};

const WAIT: Duration = Duration::from_secs(20);

/// Waits for a bot message in `chat_id` newer than every message seen so far, containing
/// `needle`.
async fn bot_reply(
    emu: &TelegramEmulator,
    worker: &Worker,
    chat_id: i64,
    needle: &str,
) -> SeenMessage {
    let last_seen = emu
        .chat_messages(chat_id)
        .iter()
        .filter(|m| m.from_bot)
        .map(|m| m.message_id)
        .max()
        .unwrap_or(0);
    match emu
        .wait_for(chat_id, WAIT, |m| {
            m.from_bot
                && m.message_id > last_seen
                && m.text.as_deref().is_some_and(|t| t.contains(needle))
        })
        .await
    {
        Ok(m) => m,
        Err(e) => panic!(
            "no new bot reply containing {needle:?}: {e}\nworker log:\n{}",
            worker.log()
        ),
    }
}

async fn start_greets_the_user_and_a_restart_keeps_them(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("emulator");
    let worker = Worker::start(&emu, None, &test_db, &[]).await;

    let anna = emu.user(501, "Анна", Some("ru"));
    anna.send_text("/start");
    let greeting = bot_reply(&emu, &worker, 501, "Здравствуйте, Анна").await;
    assert_eq!(greeting.parse_mode.as_deref(), Some("HTML"));

    let john = emu.user(502, "John <script>", Some("en"));
    john.send_text("/start");
    bot_reply(&emu, &worker, 502, "Hello, John <script>!").await;
    john.send_text("/help");
    bot_reply(&emu, &worker, 502, "What I can do").await;
    john.send_text("what is this?");
    bot_reply(&emu, &worker, 502, "did not understand").await;

    // The command menu is registered for private chats and groups, in both languages.
    assert!(
        emu.method_calls("setmycommands") >= 4,
        "setMyCommands calls: {}; log:\n{}",
        emu.method_calls("setmycommands"),
        worker.log()
    );

    let status = worker.terminate().await;
    assert!(status.success(), "SIGTERM is a clean exit, got {status}");

    let conn = db::connect(&test_db.url).await.expect("connect");
    let before = user::Entity::find_by_id(UserId(501))
        .one(&conn)
        .await
        .expect("query")
        .expect("Анна is registered");
    assert_eq!(before.first_name, "Анна");
    assert_eq!(before.language_code.as_deref(), Some("ru"));

    // A second worker on the same database knows the user and greets again.
    let worker = Worker::start(&emu, None, &test_db, &[]).await;
    anna.send_text("/start");
    bot_reply(&emu, &worker, 501, "Здравствуйте, Анна").await;
    let status = worker.terminate().await;
    assert!(status.success());

    let after = user::Entity::find_by_id(UserId(501))
        .one(&conn)
        .await
        .expect("query")
        .expect("still registered");
    assert_eq!(
        after.created_at, before.created_at,
        "the row was kept, not recreated"
    );
    assert_eq!(user::Entity::find().count(&conn).await.expect("count"), 2);
    conn.close().await.ok();
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn start_greets_the_user_and_a_restart_keeps_them_on_sqlite() {
    start_greets_the_user_and_a_restart_keeps_them(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn start_greets_the_user_and_a_restart_keeps_them_on_postgres() {
    start_greets_the_user_and_a_restart_keeps_them(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_file_is_created_beside_the_sqlite_database_and_logged() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("emulator");
    let worker = Worker::start(&emu, None, &test_db, &[]).await;
    let user = emu.user(601, "Ivan", None);
    user.send_text("/start");
    bot_reply(&emu, &worker, 601, "Здравствуйте, Ivan").await;
    let key_file = test_db.dir.path().join("bot.sqlite.key");
    assert!(key_file.exists(), "key file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = worker.log();
    assert!(log.contains("created a new key file"), "{log}");
    assert!(worker.terminate().await.success());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_outside_allowed_users_get_one_polite_line() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("emulator");
    let worker = Worker::start(&emu, None, &test_db, &[("ALLOWED_USERS", "701")]).await;
    let stranger = emu.user(702, "Stranger", Some("en"));
    stranger.send_text("/start");
    bot_reply(&emu, &worker, 702, "invited users only").await;
    let member = emu.user(701, "Member", Some("en"));
    member.send_text("/start");
    bot_reply(&emu, &worker, 701, "Hello, Member").await;
    assert!(worker.terminate().await.success());

    let conn = db::connect(&test_db.url).await.expect("connect");
    assert!(
        user::Entity::find_by_id(UserId(702))
            .one(&conn)
            .await
            .expect("query")
            .is_none(),
        "a refused user is not registered"
    );
    conn.close().await.ok();
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_telegram_is_retried_then_reported_in_one_line() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let out = worker_command(test_db.dir.path())
        .arg("run")
        .env("BOT_TOKEN", "123:abc")
        .env("TELEGRAM_API_URL", format!("http://127.0.0.1:{port}"))
        .env("DATABASE_URL", test_db.url.as_str())
        .env("WORKER_STARTUP_RETRIES", "3")
        .env("WORKER_RETRY_BACKOFF_BASE_SEC", "0.05")
        .env("WORKER_RETRY_BACKOFF_MAX_SEC", "0.1")
        .env("RUST_LOG", "off")
        .output()
        .await
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("Telegram getMe failed after 3 attempts"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_database_is_named_with_its_cause_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let out = worker_command(dir.path())
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        )
        .env("SECRET_KEY", common::TEST_SECRET_KEY)
        .env("WORKER_STARTUP_RETRIES", "3")
        .env("WORKER_RETRY_BACKOFF_BASE_SEC", "0.05")
        .env("WORKER_RETRY_BACKOFF_MAX_SEC", "0.1")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!(
            "cannot reach the database server at 127.0.0.1:{port}"
        )) && last.to_lowercase().contains("refused"),
        "the cause, in the last line: {stderr}"
    );
    assert_eq!(
        stderr.matches("start-up step failed, retrying").count(),
        2,
        "each retry is logged: {stderr}"
    );
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `run` with Telegram at a closed port: the last line names the step and the address with
/// its cause, each retry is logged, and the exit is a failure.
async fn start_up_names(what: &str, telegram: &str, avito: &str, port: u16) {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let out = worker_command(test_db.dir.path())
        .arg("run")
        .env("BOT_TOKEN", "123456:TEST")
        .env("TELEGRAM_API_URL", telegram)
        .env("AVITO_API_URL", avito)
        .env("DATABASE_URL", test_db.url.as_str())
        .env("WORKER_STARTUP_RETRIES", "3")
        .env("WORKER_RETRY_BACKOFF_BASE_SEC", "0.05")
        .env("WORKER_RETRY_BACKOFF_MAX_SEC", "0.1")
        .env("RUST_LOG", "warn")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("gives up within its start-up budget")
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(what)
            && last.contains(&format!("cannot connect to 127.0.0.1:{port}"))
            && last.to_lowercase().contains("refused"),
        "the step and the cause, in the last line: {stderr}"
    );
    assert_eq!(
        stderr.matches("start-up step failed, retrying").count(),
        2,
        "each retry is logged: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_telegram_is_named_with_its_cause() {
    let port = closed_port();
    let telegram = format!("http://127.0.0.1:{port}");
    start_up_names("Telegram getMe", &telegram, &telegram, port).await;
}

/// Avito is an outside service that fails on its own schedule: with its address refusing
/// connections, `run` starts anyway (one warning naming the cause), answers /start and /help,
/// serves /healthz, and what needs Avito says Avito is not answering.
#[tokio::test(flavor = "multi_thread")]
async fn the_bot_serves_with_avito_unreachable_at_start_up() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("tg");
    let avito_port = closed_port();
    let http_port = closed_port();
    let avito = format!("http://127.0.0.1:{avito_port}");
    let http = format!("127.0.0.1:{http_port}");
    let worker = Worker::start(
        &emu,
        None,
        &test_db,
        &[
            ("AVITO_API_URL", avito.as_str()),
            ("HTTP_ADDR", http.as_str()),
            ("AVITO_REQUEST_TIMEOUT_SEC", "2"),
            ("RUST_LOG", "warn"),
        ],
    )
    .await;

    let olga = emu.user(503, "Olga", Some("en"));
    olga.send_text("/start");
    bot_reply(&emu, &worker, 503, "Hello, Olga").await;
    olga.send_text("/help");
    bot_reply(&emu, &worker, 503, "What I can do").await;
    let health = reqwest::get(format!("http://{http}/healthz"))
        .await
        .expect("/healthz answers");
    assert_eq!(health.status().as_u16(), 200);

    // Adding a profile needs Avito: the person hears it is not answering, and keeps what
    // they typed behind "try again".
    olga.send_text("/add_profile");
    bot_reply(&emu, &worker, 503, "name").await;
    olga.send_text("Shop");
    bot_reply(&emu, &worker, 503, "client_id").await;
    olga.send_text("client-1");
    bot_reply(&emu, &worker, 503, "client_secret").await;
    olga.send_text("secret-1");
    bot_reply(&emu, &worker, 503, "Avito is not answering").await;

    let log = worker.log();
    let warned = log
        .lines()
        .filter(|l| l.contains("Avito is unreachable at start-up"))
        .collect::<Vec<_>>();
    assert_eq!(warned.len(), 1, "one warning: {log}");
    assert!(
        warned[0].contains(&format!("cannot connect to 127.0.0.1:{avito_port}"))
            && warned[0].to_lowercase().contains("refused"),
        "the warning names the cause: {log}"
    );
    let status = worker.terminate().await;
    assert!(status.success(), "{status}");

    // A `worker` (jobs only) needs only its database: it serves with Avito away too.
    let jobs = Worker::start_as(
        "worker",
        &emu,
        None,
        &test_db,
        &[
            ("AVITO_API_URL", avito.as_str()),
            ("HTTP_ADDR", http.as_str()),
        ],
    )
    .await;
    common::eventually("the worker's /healthz", WAIT, || async {
        let answer = reqwest::get(format!("http://{http}/healthz")).await.ok()?;
        (answer.status().as_u16() == 200).then_some(())
    })
    .await;
    assert!(jobs.terminate().await.success());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_start_up_retries_is_a_clean_exit() {
    let test_db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let log = test_db.dir.path().join("worker.log");
    let mut child = worker_command(test_db.dir.path())
        .arg("run")
        .env("BOT_TOKEN", "123:abc")
        .env("TELEGRAM_API_URL", format!("http://127.0.0.1:{port}"))
        .env("DATABASE_URL", test_db.url.as_str())
        .env("WORKER_STARTUP_RETRIES", "100")
        .env("WORKER_RETRY_BACKOFF_BASE_SEC", "5")
        .env("WORKER_RETRY_BACKOFF_MAX_SEC", "5")
        .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
        .spawn()
        .expect("starts");
    // Wait until it is retrying Telegram, i.e. well inside start-up.
    common::eventually("a retry logged", WAIT, || async {
        std::fs::read_to_string(&log)
            .ok()
            .filter(|l| l.contains("retrying"))
    })
    .await;
    let pid = child.id().expect("running").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits promptly")
        .expect("wait");
    assert!(status.success(), "{status}");
}
