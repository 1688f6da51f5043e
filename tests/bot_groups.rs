//! /stats in groups, ownership of buttons, dialogue persistence across restarts and
//! ALLOWED_USERS for buttons — black-box against the emulators, on both engines.

mod common;

use avito_reports::db::{self, entities::avito_profile, entities::report_task};
use avito_reports::domain::{AccountId, ChatId, ProfileId};
use common::{Engine, Worker, bot_message_after, last_bot_message, message, press, say};

use sandbox::telegram::{SimChat, SimUser, TelegramEmulator};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

async fn only_profile(conn: &DatabaseConnection, owner: i64) -> avito_profile::Model {
    avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(owner))
        .one(conn)
        .await
        .expect("query")
        .expect("profile")
}

async fn task_of(conn: &DatabaseConnection, profile_id: ProfileId) -> report_task::Model {
    report_task::Entity::find()
        .filter(report_task::Column::ProfileId.eq(profile_id))
        .one(conn)
        .await
        .expect("query")
        .expect("task")
}

/// Adds account `n` as a profile through the dialogue, in Russian (the default language).
async fn add_profile_ru(
    emu: &TelegramEmulator,
    worker: &Worker,
    user: &SimUser,
    name: &str,
    n: u32,
) {
    say(emu, worker, user, "/add_profile", "Шаг 1 из 3").await;
    say(emu, worker, user, name, "Шаг 2 из 3").await;
    say(emu, worker, user, &format!("client-{n}"), "Шаг 3 из 3").await;
    say(emu, worker, user, &format!("secret-{n}"), "добавлен").await;
}

/// The owner opens /profiles in the group and binds their profile to it with "This chat".
async fn bind_in_group(
    emu: &TelegramEmulator,
    worker: &Worker,
    user: &SimUser,
    group: &SimChat,
    id: ProfileId,
) -> i32 {
    let after = last_bot_message(emu, group.id());
    user.send_text_in(group, "/profiles@avito_reports_test_bot");
    let hub = bot_message_after(emu, worker, group.id(), after, "Ваши профили Авито")
        .await
        .message_id;
    for data in [
        format!("profile_view:{id}"),
        format!("profile_report:{id}"),
        format!("report_set_chat:{id}"),
        format!("report_chat_here:{id}"),
    ] {
        let answer = press(worker, user, group.id(), hub, &data).await;
        assert!(!answer.show_alert, "{data}: {answer:?}");
    }
    hub
}

async fn stats_in_a_group_and_buttons_only_for_their_owner(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let anna = emu.user(2001, "Анна", Some("ru"));
    let oleg = emu.user(2002, "Олег", None);
    add_profile_ru(&emu, &worker, &anna, "Магазин Анны", 1).await;
    add_profile_ru(&emu, &worker, &oleg, "Склад Олега", 2).await;
    let anna_id = only_profile(&conn, 2001).await.id;
    let oleg_id = only_profile(&conn, 2002).await.id;

    let team = emu.group(-5001, "Команда");
    let empty = emu.group(-5002, "Пустая");
    // /stats where nothing is bound says how to bind.
    let after = last_bot_message(&emu, empty.id());
    anna.send_text_in(&empty, "/stats@avito_reports_test_bot");
    bot_message_after(
        &emu,
        &worker,
        empty.id(),
        after,
        "не привязан ни один профиль",
    )
    .await;

    let anna_hub = bind_in_group(&emu, &worker, &anna, &team, anna_id).await;
    bind_in_group(&emu, &worker, &oleg, &team, oleg_id).await;
    for id in [anna_id, oleg_id] {
        let task = task_of(&conn, id).await;
        assert_eq!(task.chat_id, Some(ChatId(-5001)));
        assert_eq!(task.chat_title.as_deref(), Some("Команда"));
        assert!(task.is_active);
    }

    // Oleg presses Anna's buttons in the group: an alert, and nothing changes.
    let before = message(&emu, team.id(), anna_hub);
    let task_before = task_of(&conn, anna_id).await;
    let forged = press(
        &worker,
        &oleg,
        team.id(),
        anna_hub,
        &format!("report_active:{anna_id}"),
    )
    .await;
    assert!(forged.show_alert);
    // The same answer as for a deleted profile: it tells nobody which ids exist.
    assert_eq!(
        forged.text.unwrap_or_default(),
        "Этот профиль недоступен: он удалён или принадлежит не вам. Ваши профили — в /profiles."
    );
    assert_eq!(task_of(&conn, anna_id).await, task_before);
    assert_eq!(message(&emu, team.id(), anna_hub), before);
    // Text input is for private chats: the group hub says so instead of waiting in vain.
    press(
        &worker,
        &anna,
        team.id(),
        anna_hub,
        &format!("profile_view:{anna_id}"),
    )
    .await;
    let rename = press(
        &worker,
        &anna,
        team.id(),
        anna_hub,
        &format!("profile_rename:{anna_id}"),
    )
    .await;
    assert!(rename.show_alert && rename.text.unwrap_or_default().contains("личном чате"));

    // A forged press in someone else's private chat (Oleg on Anna's hub).
    let hub = say(&emu, &worker, &anna, "/profiles", "Ваши профили")
        .await
        .message_id;
    let forged = press(
        &worker,
        &oleg,
        2001,
        hub,
        &format!("profile_view:{anna_id}"),
    )
    .await;
    assert!(forged.show_alert);
    assert!(
        message(&emu, 2001, hub)
            .text_or_caption()
            .contains("Ваши профили")
    );

    // /stats in the group: one combined report over both owners' profiles.
    let after = last_bot_message(&emu, team.id());
    oleg.send_text_in(&team, "/stats@avito_reports_test_bot");
    let report = bot_message_after(&emu, &worker, team.id(), after, "Магазин Анны").await;
    let all: String = emu
        .chat_messages(team.id())
        .iter()
        .filter(|m| m.from_bot && m.message_id >= report.message_id)
        .map(|m| m.text_or_caption().to_owned())
        .collect();
    assert!(all.contains("Склад Олега"), "{all}");
    // Before its text, the profiles side by side: one picture, a PNG of the promised size.
    let pictures: Vec<_> = emu
        .chat_messages(team.id())
        .into_iter()
        .filter(|m| m.from_bot && m.message_id > after && m.message_id < report.message_id)
        .filter_map(|m| m.photo)
        .collect();
    assert_eq!(pictures.len(), 1, "the side-by-side chart");
    assert_eq!((pictures[0].width, pictures[0].height), (1280, 720));
    assert!(
        pictures[0]
            .file_name
            .as_deref()
            .is_some_and(|n| n.contains("profiles")),
        "{:?}",
        pictures[0].file_name
    );
    // In a private chat /stats covers the user's own profiles.
    say(&emu, &worker, &oleg, "/stats", "Склад Олега").await;

    conn.close().await.ok();
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_in_a_group_and_buttons_only_for_their_owner_on_sqlite() {
    stats_in_a_group_and_buttons_only_for_their_owner(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_in_a_group_and_buttons_only_for_their_owner_on_postgres() {
    stats_in_a_group_and_buttons_only_for_their_owner(Engine::Postgres).await;
}

async fn a_dialogue_continues_after_a_restart(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let ivan = emu.user(3001, "Иван", Some("ru"));
    say(&emu, &worker, &ivan, "/add_profile", "Шаг 1 из 3").await;
    say(&emu, &worker, &ivan, "Перезапуск", "Шаг 2 из 3").await;
    assert!(worker.terminate().await.success());

    // A new process on the same database picks up at the client id step.
    let worker = Worker::start(&emu, Some(&avito), &test_db, &[]).await;
    say(&emu, &worker, &ivan, "client-1", "Шаг 3 из 3").await;
    say(&emu, &worker, &ivan, "secret-1", "добавлен").await;
    let conn = db::connect(&test_db.url).await.expect("connect");
    let profile = only_profile(&conn, 3001).await;
    assert_eq!(profile.name, "Перезапуск");
    assert_eq!(profile.avito_user_id, Some(AccountId(1_000_001)));
    conn.close().await.ok();
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dialogue_continues_after_a_restart_on_sqlite() {
    a_dialogue_continues_after_a_restart(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dialogue_continues_after_a_restart_on_postgres() {
    a_dialogue_continues_after_a_restart(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_outside_allowed_users_cannot_press_buttons_either() {
    // `_test_db` keeps the database alive for the whole test.
    let (_test_db, emu, avito, worker) =
        common::start_stack(Engine::Sqlite, &[("ALLOWED_USERS", "4001")])
            .await
            .expect("sqlite");
    let member = emu.user(4001, "Member", Some("en"));
    let stranger = emu.user(4002, "Stranger", Some("en"));
    say(&emu, &worker, &stranger, "/profiles", "invited users only").await;
    let hub = say(&emu, &worker, &member, "/profiles", "no Avito profiles yet")
        .await
        .message_id;
    let refused = press(&worker, &stranger, 4001, hub, "profile_add").await;
    assert!(refused.show_alert);
    assert!(
        refused
            .text
            .unwrap_or_default()
            .contains("invited users only")
    );
    common::stop_stack(worker, avito, emu).await;
}
