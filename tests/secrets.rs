//! Secrets stay secret: a full run (adding a profile, a report now) at debug log level leaves
//! no client secret, bot token secret or bearer token in the logs, and no plain client secret
//! in the database file.

mod common;

use common::{Engine, TestDatabase, Worker, bot_message_after, last_bot_message, press, say};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};

const CLIENT_SECRET: &str = "Zebra-Secret-9000-xyz";

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_logs_or_the_database_in_plain_text() {
    let db = TestDatabase::fresh(Engine::Sqlite).await.expect("sqlite");
    let telegram = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("telegram");
    let avito = AvitoEmulator::start(AvitoConfig {
        accounts: vec![AccountSpec {
            client_secret: CLIENT_SECRET.into(),
            items: 20,
            chats: 2,
            messages_per_chat: 2,
            ..AccountSpec::generated(1)
        }],
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        ..AvitoConfig::default()
    })
    .await
    .expect("avito");
    let worker = Worker::start(
        &telegram,
        Some(&avito),
        &db,
        &[("RUST_LOG", "debug"), ("LOG_FORMAT", "json")],
    )
    .await;

    let user = telegram.user(901, "Vera", Some("en"));
    say(&telegram, &worker, &user, "/start", "Hello").await;
    say(&telegram, &worker, &user, "/add_profile", "Step 1 of 3").await;
    say(&telegram, &worker, &user, "Shop", "Step 2 of 3").await;
    say(&telegram, &worker, &user, "client-1", "Step 3 of 3").await;
    say(
        &telegram,
        &worker,
        &user,
        CLIENT_SECRET,
        "added: Avito account",
    )
    .await;
    assert!(
        telegram
            .chat_messages(901)
            .iter()
            .all(|m| m.text.as_deref() != Some(CLIENT_SECRET)),
        "the message with the secret is deleted from the chat"
    );
    let hub = say(
        &telegram,
        &worker,
        &user,
        "/profiles",
        "Your Avito profiles",
    )
    .await;
    let profile_id = {
        let conn = avito_reports::db::connect(&db.url).await.expect("connect");
        let rows = avito_reports::db::profiles::all_of(&conn, avito_reports::domain::UserId(901))
            .await
            .expect("profiles");
        conn.close().await.ok();
        rows.first().expect("the profile was added").id
    };
    press(
        &worker,
        &user,
        901,
        hub.message_id,
        &format!("profile_view:{profile_id}"),
    )
    .await;
    let after = last_bot_message(&telegram, 901);
    press(
        &worker,
        &user,
        901,
        hub.message_id,
        &format!("report_now:{profile_id}"),
    )
    .await;
    bot_message_after(&telegram, &worker, 901, after, "Shop").await;
    let log = worker.log();
    assert!(worker.terminate().await.success());

    assert!(log.contains("DEBUG"), "the run logged at debug level");
    assert!(log.contains("Avito request"), "Avito calls were logged");
    assert!(
        !log.contains(CLIENT_SECRET),
        "client secret in the log:\n{log}"
    );
    let token_secret = telegram
        .bot_token()
        .split_once(':')
        .map(|(_, s)| s.to_owned())
        .expect("token");
    assert!(!log.contains(&token_secret), "bot token in the log");
    assert!(
        !log.to_lowercase().contains("bearer "),
        "an access token in the log"
    );

    let file = std::fs::read(db.sqlite_path().expect("sqlite file")).expect("read db");
    let plain = |needle: &str| file.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!plain(CLIENT_SECRET), "client secret stored in plain text");
}
