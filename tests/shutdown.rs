//! Graceful shutdown, black-box: SIGTERM reaches the worker while a scheduled report and an
//! export are both mid-way (Avito answers slowly). The process stops polling and exits cleanly
//! within its shutdown budget; after a restart the report arrives once and the workbook once.

mod common;

use std::time::Duration as StdDuration;

use avito_reports::db::entities::{export, report_run};
use avito_reports::domain::{ProfileId, TaskId};
use chrono::{Duration, Utc};
use common::{Engine, TEST_SECRET_KEY, TestDatabase, Worker, button_data, press, say, seed};
use sandbox::avito::{AccountSpec, AvitoConfig, AvitoEmulator};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// The heading every English report starts with.
const REPORT: &str = "Report for";
/// Long enough that neither job can finish within the shutdown budget below.
const SLOW_AVITO: StdDuration = StdDuration::from_millis(1_500);

fn bot_messages(
    emu: &TelegramEmulator,
    chat: i64,
    f: impl Fn(&sandbox::telegram::SeenMessage) -> bool,
) -> usize {
    emu.chat_messages(chat)
        .iter()
        .filter(|m| m.from_bot && f(m))
        .count()
}

fn reports(emu: &TelegramEmulator, chat: i64) -> usize {
    bot_messages(emu, chat, |m| m.text_or_caption().contains(REPORT))
}

fn workbooks(emu: &TelegramEmulator, chat: i64) -> usize {
    bot_messages(emu, chat, |m| m.document.is_some())
}

async fn runs(conn: &DatabaseConnection, task_id: TaskId) -> Vec<report_run::Model> {
    report_run::Entity::find()
        .filter(report_run::Column::TaskId.eq(task_id))
        .filter(report_run::Column::Kind.eq("scheduled"))
        .all(conn)
        .await
        .expect("runs")
}

async fn exports(conn: &DatabaseConnection, profile_id: ProfileId) -> Vec<export::Model> {
    export::Entity::find()
        .filter(export::Column::ProfileId.eq(profile_id))
        .all(conn)
        .await
        .expect("exports")
}

async fn sigterm_mid_report_and_export_loses_nothing_and_sends_nothing_twice(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("telegram emulator");
    let avito = AvitoEmulator::start(AvitoConfig {
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        accounts: vec![AccountSpec {
            chats: 300,
            messages_per_chat: 4,
            ..AccountSpec::generated(1)
        }],
        ..AvitoConfig::default()
    })
    .await
    .expect("avito emulator");
    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    avito_reports::db::migrate(&conn).await.expect("migrate");
    let user = emu.user(4101, "Lea", Some("en"));
    // A slot that is due now: the worker starts delivering it at once.
    let (profile, task) = seed(
        &conn,
        user.id(),
        1,
        user.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;
    let env = [
        ("SECRET_KEY", TEST_SECRET_KEY),
        ("WORKER_SHUTDOWN_TIMEOUT_SEC", "1"),
    ];
    // Avito answers slowly from the start: the hub never asks it, both jobs do.
    avito.set_latency(SLOW_AVITO);
    let first = Worker::start(&emu, Some(&avito), &test_db, &env).await;

    // The export, from the hub, while the report is being built.
    say(&emu, &first, &user, "/start", "").await;
    let hub = say(&emu, &first, &user, "/profiles", "Your Avito profiles").await;
    press(
        &first,
        &user,
        user.id(),
        hub.message_id,
        &button_data(&hub, "Shop 1"),
    )
    .await;
    let card = common::message(&emu, user.id(), hub.message_id);
    let started = press(
        &first,
        &user,
        user.id(),
        hub.message_id,
        &button_data(&card, "Chats to Excel"),
    )
    .await;
    assert!(!started.show_alert, "{started:?}");
    common::eventually("both jobs mid-way", StdDuration::from_secs(60), || async {
        let report_pending = runs(&conn, task.id)
            .await
            .iter()
            .any(|r| r.status.slug() == "pending");
        let export_running = exports(&conn, profile.id)
            .await
            .iter()
            .any(|e| e.status.slug() == "running");
        (report_pending && export_running).then_some(())
    })
    .await;

    let first_log = first.log_path();
    let status = first.terminate().await;
    let first_log = std::fs::read_to_string(first_log).unwrap_or_default();
    assert!(
        status.success(),
        "SIGTERM is a clean exit, got {status}\n{first_log}"
    );
    for line in [
        "SIGTERM received",
        "no new updates",
        // Both jobs outlived the 1 s budget: cut off, back to the queue.
        "they go back to the queue",
        "stopped",
    ] {
        assert!(
            first_log.contains(line),
            "{line:?} not logged:\n{first_log}"
        );
    }
    // Polling stops first; the jobs in flight get their budget after that.
    let at = |line: &str| first_log.find(line).unwrap_or(usize::MAX);
    assert!(
        at("no new updates") < at("finishing the jobs in flight"),
        "polling stopped before the jobs drained:\n{first_log}"
    );
    assert_eq!(
        reports(&emu, user.id()),
        0,
        "stopped before the report was sent"
    );
    assert_eq!(
        workbooks(&emu, user.id()),
        0,
        "stopped before the workbook was sent"
    );

    // Restart at full speed: both interrupted jobs come back from the queue and finish.
    avito.set_latency(StdDuration::ZERO);
    let second = Worker::start(&emu, Some(&avito), &test_db, &env).await;
    common::eventually(
        "the report and the workbook after the restart",
        StdDuration::from_secs(120),
        || async { (reports(&emu, user.id()) > 0 && workbooks(&emu, user.id()) > 0).then_some(()) },
    )
    .await;
    // Room for a duplicate to show up if one were coming.
    tokio::time::sleep(StdDuration::from_secs(5)).await;
    assert_eq!(reports(&emu, user.id()), 1, "the report exactly once");
    assert_eq!(workbooks(&emu, user.id()), 1, "the workbook exactly once");
    let runs = runs(&conn, task.id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].status.slug(), "sent");
    let exports = exports(&conn, profile.id).await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(exports[0].status.slug(), "done");
    let log = second.log();
    let status = second.terminate().await;
    assert!(status.success(), "{status}\n{log}");
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_report_and_export_loses_nothing_and_sends_nothing_twice_on_sqlite() {
    sigterm_mid_report_and_export_loses_nothing_and_sends_nothing_twice(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_report_and_export_loses_nothing_and_sends_nothing_twice_on_postgres() {
    sigterm_mid_report_and_export_loses_nothing_and_sends_nothing_twice(Engine::Postgres).await;
}
