//! A report setting damaged in the database (edited by hand, written by a tool) is never
//! replaced by a default: the hub says it is damaged, "Report now" says which one, and
//! choosing it again in the hub repairs it.

mod common;

use avito_reports::db::entities::report_task;
use common::{Engine, bot_message_after, last_bot_message, message, press, say};
use sea_orm::{ConnectionTrait, EntityTrait};

async fn a_damaged_setting_is_shown_and_set_again(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let bob = emu.user(4001, "Bob", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &bob, "Shop", 1).await;
    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    conn.execute_unprepared(&format!(
        "UPDATE report_tasks SET time_zone = 'Mars/Olympus', metrics = 'garbage' WHERE profile_id = {id}"
    ))
    .await
    .expect("damage the row");

    let hub = say(&emu, &worker, &bob, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    press(&worker, &bob, bob.id(), hub, &format!("profile_view:{id}")).await;
    let card = message(&emu, bob.id(), hub).text.unwrap_or_default();
    assert!(card.contains("damaged — set it again"), "{card}");
    press(
        &worker,
        &bob,
        bob.id(),
        hub,
        &format!("profile_report:{id}"),
    )
    .await;
    let settings = message(&emu, bob.id(), hub).text.unwrap_or_default();
    assert!(
        settings.matches("damaged — set it again").count() >= 2,
        "zone and metrics: {settings}"
    );
    assert!(
        !settings.contains("Europe/Moscow"),
        "no guessed zone: {settings}"
    );

    // "Report now" says which setting to set again, and sends no report built on a guess.
    press(&worker, &bob, bob.id(), hub, &format!("profile_view:{id}")).await;
    let after = last_bot_message(&emu, bob.id());
    press(&worker, &bob, bob.id(), hub, &format!("report_now:{id}")).await;
    let said = bot_message_after(&emu, &worker, bob.id(), after, "damaged").await;
    assert!(
        said.text.unwrap_or_default().contains("Time zone"),
        "names the setting"
    );

    // Choosing a zone repairs it.
    press(
        &worker,
        &bob,
        bob.id(),
        hub,
        &format!("profile_report:{id}"),
    )
    .await;
    press(
        &worker,
        &bob,
        bob.id(),
        hub,
        &format!("report_timezone:{id}"),
    )
    .await;
    let answer = press(
        &worker,
        &bob,
        bob.id(),
        hub,
        &format!("tz_set:{id}:Asia/Yekaterinburg"),
    )
    .await;
    assert!(!answer.show_alert, "{answer:?}");
    let task = report_task::Entity::find()
        .all(&conn)
        .await
        .expect("tasks")
        .into_iter()
        .find(|t| t.profile_id == id)
        .expect("task");
    assert_eq!(task.time_zone.to_string(), "Asia/Yekaterinburg");
    assert!(
        task.metrics.get().is_err(),
        "the other damaged setting stays damaged"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_setting_is_shown_and_set_again_on_sqlite() {
    a_damaged_setting_is_shown_and_set_again(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_setting_is_shown_and_set_again_on_postgres() {
    a_damaged_setting_is_shown_and_set_again(Engine::Postgres).await;
}
