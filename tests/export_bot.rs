//! The export from the /profiles hub, black-box: the worker binary against the Telegram and
//! Avito emulators and a fresh database on each engine; the document the user receives is read
//! back with calamine.

mod common;
mod export_support;

use std::time::Duration;

use avito_reports::db::{self, entities::avito_profile, entities::export};
use avito_reports::domain::ProfileId;
use common::{Engine, TestDatabase, Worker, button_data, press, say};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator, Fault};
use sandbox::telegram::{SeenMessage, SimUser, TelegramConfig, TelegramEmulator};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

const MOSCOW: chrono_tz::Tz = chrono_tz::Europe::Moscow;
const EXPORT_WAIT: Duration = Duration::from_secs(180);

struct Stack {
    _db: TestDatabase,
    conn: DatabaseConnection,
    telegram: TelegramEmulator,
    avito: AvitoEmulator,
    worker: Worker,
}

/// Both emulators (one Avito account of `chats` chats) and the worker on a fresh database.
async fn stack(engine: Engine, chats: usize) -> Option<Stack> {
    stack_with(engine, chats, &[]).await
}

/// [`stack`] with extra worker environment.
async fn stack_with(engine: Engine, chats: usize, env: &[(&str, &str)]) -> Option<Stack> {
    let db = TestDatabase::fresh(engine).await?;
    let telegram = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("telegram emulator");
    let avito = AvitoEmulator::start(AvitoConfig {
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        accounts: vec![AccountSpec {
            chats,
            messages_per_chat: 4,
            ..AccountSpec::generated(1)
        }],
        ..AvitoConfig::default()
    })
    .await
    .expect("avito emulator");
    let worker = Worker::start(&telegram, Some(&avito), &db, env).await;
    let conn = db::connect(&db.url).await.expect("connect");
    Some(Stack {
        _db: db,
        conn,
        telegram,
        avito,
        worker,
    })
}

async fn add_profile(s: &Stack, user: &SimUser) -> avito_profile::Model {
    say(&s.telegram, &s.worker, user, "/add_profile", "Step 1 of 3").await;
    say(&s.telegram, &s.worker, user, "Shop", "Step 2 of 3").await;
    say(&s.telegram, &s.worker, user, "client-1", "Step 3 of 3").await;
    say(
        &s.telegram,
        &s.worker,
        user,
        "secret-1",
        "added: Avito account",
    )
    .await;
    avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(user.id()))
        .one(&s.conn)
        .await
        .expect("query")
        .expect("the profile exists")
}

/// Opens the profile's card on a new hub message and returns (message id, export button data).
async fn card(s: &Stack, user: &SimUser) -> (i32, String) {
    let hub = say(
        &s.telegram,
        &s.worker,
        user,
        "/profiles",
        "Your Avito profiles",
    )
    .await;
    let view = button_data(&hub, "Shop");
    press(&s.worker, user, user.id(), hub.message_id, &view).await;
    let shown = common::message(&s.telegram, user.id(), hub.message_id);
    (hub.message_id, button_data(&shown, "Chats to Excel"))
}

async fn exports_of(conn: &DatabaseConnection, profile: ProfileId) -> Vec<export::Model> {
    export::Entity::find()
        .filter(export::Column::ProfileId.eq(profile))
        .order_by_asc(export::Column::Id)
        .all(conn)
        .await
        .expect("query")
}

/// Waits for a bot message after `after` matching `f`.
async fn wait(s: &Stack, chat: i64, what: &str, f: impl Fn(&SeenMessage) -> bool) -> SeenMessage {
    match s
        .telegram
        .wait_for(chat, EXPORT_WAIT, |m| m.from_bot && f(m))
        .await
    {
        Ok(m) => m,
        Err(e) => panic!("{what}: {e}\nworker log:\n{}", s.worker.log()),
    }
}

fn read_document(m: &SeenMessage) -> export_support::Book {
    let doc = m.document.as_ref().expect("a document");
    assert!(
        doc.file_name
            .as_deref()
            .is_some_and(|n| n.ends_with(".xlsx")),
        "{doc:?}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("received.xlsx");
    std::fs::write(&path, &doc.bytes).expect("write");
    export_support::read_en(&path)
}

async fn hub_export_sends_a_complete_workbook_and_refuses_a_second_one_while_running(
    engine: Engine,
) {
    // Over the listing ceiling, so the bot's export narrows its listings too.
    let Some(s) = stack(engine, 1_250).await else {
        return;
    };
    let ann = s.telegram.user(2001, "Ann", Some("en"));
    let profile = add_profile(&s, &ann).await;
    let (hub, data) = card(&s, &ann).await;
    assert_eq!(data, format!("export_messenger:{}", profile.id));
    // Slow Avito down so the export is surely still running at the second press.
    s.avito.set_latency(Duration::from_millis(15));
    let first = press(&s.worker, &ann, ann.id(), hub, &data).await;
    assert!(!first.show_alert, "{first:?}");
    assert!(
        first
            .text
            .as_deref()
            .unwrap_or("")
            .contains("Export started")
    );
    let second = press(&s.worker, &ann, ann.id(), hub, &data).await;
    assert!(second.show_alert, "{second:?}");
    assert!(
        second
            .text
            .as_deref()
            .unwrap_or("")
            .contains("already running"),
        "{second:?}"
    );
    assert_eq!(
        exports_of(&s.conn, profile.id).await.len(),
        1,
        "one export queued"
    );

    let doc = wait(&s, ann.id(), "the workbook", |m| m.document.is_some()).await;
    assert!(
        doc.text_or_caption().contains("Shop: chats export"),
        "{doc:?}"
    );
    let data = s.avito.data();
    let acc = &data.accounts()[0];
    let all: Vec<_> = acc.chats.iter().collect();
    export_support::assert_complete(&[read_document(&doc)], acc, &all, MOSCOW);

    let status = wait(&s, ann.id(), "the final status", |m| {
        m.text_or_caption().contains("is ready")
    })
    .await;
    let text = status.text_or_caption();
    assert!(text.contains("Chats: 1,250, messages:"), "{text}");
    assert!(
        status.edit_count >= 2,
        "progress was shown on the way: {status:?}"
    );
    let rows = exports_of(&s.conn, profile.id).await;
    assert_eq!(rows[0].status.slug(), "done");
    assert_eq!(rows[0].chats_done, 1_250);
    assert!(rows[0].finished_at.is_some() && rows[0].error.is_none());
    common::stop_stack(s.worker, s.avito, s.telegram).await;
}

#[tokio::test]
async fn hub_export_sends_a_complete_workbook_and_refuses_a_second_one_while_running_sqlite() {
    hub_export_sends_a_complete_workbook_and_refuses_a_second_one_while_running(Engine::Sqlite)
        .await;
}

#[tokio::test]
async fn hub_export_sends_a_complete_workbook_and_refuses_a_second_one_while_running_postgres() {
    hub_export_sends_a_complete_workbook_and_refuses_a_second_one_while_running(Engine::Postgres)
        .await;
}

async fn a_failure_mid_export_is_reported_without_a_file_and_the_export_can_be_restarted(
    engine: Engine,
) {
    const ADMIN: i64 = 2900;
    let Some(s) = stack_with(engine, 300, &[("ADMIN_CHAT_ID", "2900")]).await else {
        return;
    };
    let admin = s.telegram.user(ADMIN, "Admin", Some("en"));
    // The operator has started the bot: it may write to them.
    say(&s.telegram, &s.worker, &admin, "/start", "").await;
    let bob = s.telegram.user(2002, "Bob", Some("en"));
    let profile = add_profile(&s, &bob).await;
    let (hub, data) = card(&s, &bob).await;
    s.avito.set_latency(Duration::from_millis(10));
    press(&s.worker, &bob, bob.id(), hub, &data).await;
    // Let some chats through, then make Avito fail for good.
    common::eventually("messages being fetched", EXPORT_WAIT, || async {
        (s.avito.request_count("getMessagesV3") > 30).then_some(())
    })
    .await;
    s.avito.set_fault("getMessagesV3", Fault::Status(503));
    let failed = wait(&s, bob.id(), "the failure", |m| {
        m.text_or_caption().contains("failed")
    })
    .await;
    let text = failed.text_or_caption();
    assert!(
        text.contains("messages of chat"),
        "says what failed: {text}"
    );
    assert!(text.contains("Nothing was sent"), "{text}");
    assert!(
        s.telegram
            .chat_messages(bob.id())
            .iter()
            .all(|m| m.document.is_none()),
        "no file, whole or partial"
    );
    let rows = exports_of(&s.conn, profile.id).await;
    assert_eq!(rows[0].status.slug(), "failed");
    assert!(
        rows[0].error.as_deref().unwrap_or("").contains("503"),
        "{rows:?}"
    );
    // The operator hears of it too, once.
    let alert = wait(&s, admin.id(), "the admin alert", |m| {
        m.text_or_caption().contains("failed")
    })
    .await;
    assert!(
        alert.text_or_caption().contains(&format!(
            "Export #{} of profile #{}",
            rows[0].id, profile.id
        )),
        "{alert:?}"
    );

    // Avito recovers; the button on the failure message starts the export again.
    s.avito.clear_faults();
    let restart = button_data(&failed, "Export again");
    let answer = press(&s.worker, &bob, bob.id(), failed.message_id, &restart).await;
    assert!(!answer.show_alert, "{answer:?}");
    let doc = wait(&s, bob.id(), "the workbook", |m| m.document.is_some()).await;
    let data = s.avito.data();
    let acc = &data.accounts()[0];
    let all: Vec<_> = acc.chats.iter().collect();
    export_support::assert_complete(&[read_document(&doc)], acc, &all, MOSCOW);
    let rows = exports_of(&s.conn, profile.id).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].status.slug(), "done");
    common::stop_stack(s.worker, s.avito, s.telegram).await;
}

#[tokio::test]
async fn a_failure_mid_export_is_reported_without_a_file_and_the_export_can_be_restarted_sqlite() {
    a_failure_mid_export_is_reported_without_a_file_and_the_export_can_be_restarted(Engine::Sqlite)
        .await;
}

#[tokio::test]
async fn a_failure_mid_export_is_reported_without_a_file_and_the_export_can_be_restarted_postgres()
{
    a_failure_mid_export_is_reported_without_a_file_and_the_export_can_be_restarted(
        Engine::Postgres,
    )
    .await;
}

async fn the_recent_chats_button_exports_only_chats_updated_in_the_last_30_days(engine: Engine) {
    let Some(s) = stack(engine, 300).await else {
        return;
    };
    let cleo = s.telegram.user(2003, "Cleo", Some("en"));
    let profile = add_profile(&s, &cleo).await;
    let (hub, _) = card(&s, &cleo).await;
    let shown = common::message(&s.telegram, cleo.id(), hub);
    let data = button_data(&shown, "Last 30 days");
    assert_eq!(data, format!("export_recent:{}", profile.id));
    let answer = press(&s.worker, &cleo, cleo.id(), hub, &data).await;
    assert!(!answer.show_alert, "{answer:?}");
    let doc = wait(&s, cleo.id(), "the workbook", |m| m.document.is_some()).await;

    // The day 30 days back in the profile's zone, from its midnight, as the bot counts it.
    let day = chrono::Utc::now().with_timezone(&MOSCOW).date_naive() - chrono::Days::new(30);
    let from = sandbox::avito::data::moscow_midnight(day);
    let data = s.avito.data();
    let acc = &data.accounts()[0];
    let recent: Vec<_> = acc.chats.iter().filter(|c| c.updated >= from).collect();
    assert!(
        !recent.is_empty() && recent.len() < acc.chats.len(),
        "the account has both recent and older chats"
    );
    export_support::assert_complete(&[read_document(&doc)], acc, &recent, MOSCOW);
    let status = wait(&s, cleo.id(), "the final status", |m| {
        m.text_or_caption().contains("is ready")
    })
    .await;
    let since = format!("chats updated since {}", day.format("%Y-%m-%d"));
    assert!(status.text_or_caption().contains(&since), "{status:?}");
    let rows = exports_of(&s.conn, profile.id).await;
    assert_eq!(rows[0].since, Some(day));
    common::stop_stack(s.worker, s.avito, s.telegram).await;
}

#[tokio::test]
async fn the_recent_chats_button_exports_only_chats_updated_in_the_last_30_days_sqlite() {
    the_recent_chats_button_exports_only_chats_updated_in_the_last_30_days(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_recent_chats_button_exports_only_chats_updated_in_the_last_30_days_postgres() {
    the_recent_chats_button_exports_only_chats_updated_in_the_last_30_days(Engine::Postgres).await;
}
