//! The /profiles hub and the add-profile dialogue, black-box: the worker binary against the
//! Telegram and Avito emulators and a fresh database on each engine, used as a person would.

mod common;

use avito_reports::db::{
    self, entities::avito_profile, entities::report_run, entities::report_task,
};
use avito_reports::domain::{AccountId, ChatId, ProfileId};
use chrono::{Duration, Utc};
use common::{
    Engine, Worker, bot_message_after, bot_message_within, button_data, last_bot_message, message,
    press, say,
};
use sandbox::avito::Fault;
use sandbox::telegram::{SimUser, TelegramEmulator};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

async fn profile_named(conn: &DatabaseConnection, owner: i64, name: &str) -> avito_profile::Model {
    avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(owner))
        .filter(avito_profile::Column::Name.eq(name))
        .one(conn)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("profile {name} of {owner} exists"))
}

async fn task_of(conn: &DatabaseConnection, profile_id: ProfileId) -> report_task::Model {
    report_task::Entity::find()
        .filter(report_task::Column::ProfileId.eq(profile_id))
        .one(conn)
        .await
        .expect("query")
        .expect("the profile has a task")
}

/// The hub message after `/profiles`.
async fn open_hub(emu: &TelegramEmulator, worker: &Worker, user: &SimUser) -> i32 {
    say(emu, worker, user, "/profiles", "Your Avito profiles")
        .await
        .message_id
}

/// Presses `data` on the hub and returns the hub's text afterwards.
async fn tap(
    emu: &TelegramEmulator,
    worker: &Worker,
    user: &SimUser,
    hub: i32,
    data: &str,
) -> String {
    let answer = press(worker, user, user.id(), hub, data).await;
    assert!(!answer.show_alert, "{data}: unexpected alert {answer:?}");
    message(emu, user.id(), hub).text.unwrap_or_default()
}

async fn adding_profiles_with_wrong_credentials_outages_and_duplicates(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let ann = emu.user(1001, "Ann", Some("en"));

    // Input checks: empty-looking and too-long names, whitespace in the client id.
    say(&emu, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(
        &emu,
        &worker,
        &ann,
        &"x".repeat(65),
        "at most 64 characters",
    )
    .await;
    say(&emu, &worker, &ann, "Main shop", "Step 2 of 3").await;
    say(&emu, &worker, &ann, "client 1", "never contains spaces").await;
    say(&emu, &worker, &ann, "client-1", "Step 3 of 3").await;

    // A wrong secret: the message is deleted, Avito refuses, the name is kept.
    let after = last_bot_message(&emu, 1001);
    let secret_msg = ann.send_text("wrong-secret");
    bot_message_after(&emu, &worker, 1001, after, "was deleted from the chat").await;
    let refused = bot_message_after(&emu, &worker, 1001, after, "did not accept").await;
    assert!(
        refused
            .text_or_caption()
            .contains("Avito Pro → Settings → API")
    );
    assert!(refused.text_or_caption().contains("Main shop"));
    assert!(
        emu.chat_messages(1001)
            .iter()
            .all(|m| m.message_id != secret_msg),
        "the secret's message is gone from the chat"
    );
    // Re-entering starts at the client id, not the name.
    say(&emu, &worker, &ann, "client-1", "Step 3 of 3").await;
    let after = last_bot_message(&emu, 1001);
    let secret_msg = ann.send_text("secret-1");
    let done = bot_message_after(&emu, &worker, 1001, after, "added: Avito account").await;
    assert!(done.text_or_caption().contains("1000001"), "{done:?}");
    assert!(
        emu.chat_messages(1001)
            .iter()
            .all(|m| m.message_id != secret_msg)
    );

    let main = profile_named(&conn, 1001, "Main shop").await;
    assert_eq!(main.client_id, "client-1");
    assert_eq!(main.avito_user_id, Some(AccountId(1_000_001)));
    assert!(main.avito_account_name.is_some());
    assert!(
        !main.client_secret_enc.contains("secret-1"),
        "the secret is encrypted"
    );
    let task = task_of(&conn, main.id).await;
    assert_eq!(
        (
            task.frequency.to_string().as_str(),
            task.time_of_day.to_string().as_str(),
            task.time_zone.to_string().as_str()
        ),
        ("daily", "09:00", "Europe/Moscow")
    );
    assert_eq!(task.period.to_string(), "since_last_slot");
    assert!(!task.is_active, "inactive until a chat is chosen");
    assert!(task.chat_id.is_none());
    assert!(
        task.metrics.to_string().contains("views")
            && task.metrics.to_string().contains("active_items")
    );

    // Avito unavailable: everything kept behind "Try again".
    avito.set_fault("getUserInfoSelf", Fault::Status(503));
    say(&emu, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(&emu, &worker, &ann, "Second", "Step 2 of 3").await;
    say(&emu, &worker, &ann, "client-2", "Step 3 of 3").await;
    let down = say(&emu, &worker, &ann, "secret-2", "not answering").await;
    let retry = button_data(&down, "Try again");
    // Still down: the same choice again.
    let after = last_bot_message(&emu, 1001);
    press(&worker, &ann, 1001, down.message_id, &retry).await;
    let down = bot_message_after(&emu, &worker, 1001, after, "not answering").await;
    avito.clear_faults();
    let after = last_bot_message(&emu, 1001);
    press(&worker, &ann, 1001, down.message_id, &retry).await;
    bot_message_after(&emu, &worker, 1001, after, "added: Avito account").await;
    let second = profile_named(&conn, 1001, "Second").await;
    assert_eq!(second.avito_user_id, Some(AccountId(1_000_002)));

    // The same Avito account twice: refused with the reason.
    say(&emu, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(&emu, &worker, &ann, "Again", "Step 2 of 3").await;
    say(&emu, &worker, &ann, "client-1", "Step 3 of 3").await;
    let dup = say(&emu, &worker, &ann, "secret-1", "already connected").await;
    assert!(dup.text_or_caption().contains("Main shop"));
    assert_eq!(
        avito_profile::Entity::find()
            .filter(avito_profile::Column::OwnerId.eq(1001))
            .all(&conn)
            .await
            .expect("query")
            .len(),
        2
    );

    // /cancel mid-dialogue leaves it and changes nothing.
    say(&emu, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(&emu, &worker, &ann, "/cancel", "Cancelled").await;
    say(&emu, &worker, &ann, "Third", "did not understand").await;
    say(&emu, &worker, &ann, "/cancel", "Nothing to cancel").await;

    conn.close().await.ok();
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_profiles_with_wrong_credentials_outages_and_duplicates_on_sqlite() {
    adding_profiles_with_wrong_credentials_outages_and_duplicates(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_profiles_with_wrong_credentials_outages_and_duplicates_on_postgres() {
    adding_profiles_with_wrong_credentials_outages_and_duplicates(Engine::Postgres).await;
}

async fn every_setting_is_reached_from_the_hub_and_stored(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let bob = emu.user(1002, "Bob", Some("en"));
    common::add_profile(&emu, &worker, &test_db.url, &bob, "Bob's shop", 1).await;
    let p = profile_named(&conn, bob.id(), "Bob's shop").await;
    let id = p.id;
    let version = |t: &report_task::Model| t.schedule_version;
    let v0 = version(&task_of(&conn, id).await);

    let mut hub = open_hub(&emu, &worker, &bob).await;
    let card = tap(&emu, &worker, &bob, hub, &format!("profile_view:{id}")).await;
    for needle in [
        "Bob's shop",
        "1000001",
        "access works",
        "not chosen",
        "daily at 09:00 (Europe/Moscow)",
        "none yet",
    ] {
        assert!(card.contains(needle), "card lacks {needle:?}: {card}");
    }
    let settings = tap(&emu, &worker, &bob, hub, &format!("profile_report:{id}")).await;
    assert!(settings.contains("report settings"), "{settings}");

    // Destination: this (private) chat; the task becomes active.
    tap(&emu, &worker, &bob, hub, &format!("report_set_chat:{id}")).await;
    let text = tap(&emu, &worker, &bob, hub, &format!("report_chat_here:{id}")).await;
    assert!(text.contains("private chat with the bot"), "{text}");
    let t = task_of(&conn, id).await;
    assert_eq!(t.chat_id, Some(ChatId(1002)));
    assert!(t.is_active);

    // Time: a button, then a typed value (a bad one first).
    tap(&emu, &worker, &bob, hub, &format!("report_set_time:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("time_set:{id}:0800")).await;
    assert_eq!(task_of(&conn, id).await.time_of_day.to_string(), "08:00");
    tap(&emu, &worker, &bob, hub, &format!("report_set_time:{id}")).await;
    say(&emu, &worker, &bob, "25:61", "did not understand the time").await;
    // A typed change answers with the updated screen as a new hub message.
    hub = say(&emu, &worker, &bob, "10:30", "Report time: 10:30")
        .await
        .message_id;
    assert_eq!(task_of(&conn, id).await.time_of_day.to_string(), "10:30");

    // Time zone: a button, then any IANA name typed (a bad one first).
    tap(&emu, &worker, &bob, hub, &format!("report_timezone:{id}")).await;
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("tz_set:{id}:Asia/Novosibirsk"),
    )
    .await;
    assert_eq!(
        task_of(&conn, id).await.time_zone.to_string(),
        "Asia/Novosibirsk"
    );
    tap(&emu, &worker, &bob, hub, &format!("report_timezone:{id}")).await;
    say(
        &emu,
        &worker,
        &bob,
        "Mars/Olympus",
        "do not know the time zone",
    )
    .await;
    hub = say(
        &emu,
        &worker,
        &bob,
        "america/new_york",
        "Time zone: America/New_York",
    )
    .await
    .message_id;
    assert_eq!(
        task_of(&conn, id).await.time_zone.to_string(),
        "America/New_York"
    );

    // Frequency: weekly with toggles, every N days typed, monthly by button, daily.
    tap(&emu, &worker, &bob, hub, &format!("report_frequency:{id}")).await;
    let text = tap(&emu, &worker, &bob, hub, &format!("freq_set:{id}:weekly")).await;
    assert!(text.contains("on Mon at 10:30"), "{text}");
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("report_day_toggle:{id}:4"),
    )
    .await;
    let t = task_of(&conn, id).await;
    assert_eq!(
        (t.frequency.to_string().as_str(), t.weekdays),
        ("weekly", 0b10001)
    );
    tap(&emu, &worker, &bob, hub, &format!("freq_set:{id}:interval")).await;
    say(&emu, &worker, &bob, "400", "from 1 to 365").await;
    say(&emu, &worker, &bob, "3", "every 3 days").await;
    let t = task_of(&conn, id).await;
    assert_eq!(
        (t.frequency.to_string().as_str(), t.interval_days),
        ("interval", 3)
    );
    hub = open_hub(&emu, &worker, &bob).await;
    tap(&emu, &worker, &bob, hub, &format!("profile_view:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("profile_report:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("report_frequency:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("freq_set:{id}:monthly")).await;
    let text = tap(&emu, &worker, &bob, hub, &format!("freq_month_day:{id}:15")).await;
    assert!(text.contains("monthly on day 15"), "{text}");
    let t = task_of(&conn, id).await;
    assert_eq!(
        (t.frequency.to_string().as_str(), t.month_day),
        ("monthly", 15)
    );
    tap(&emu, &worker, &bob, hub, &format!("freq_set:{id}:daily")).await;
    assert_eq!(task_of(&conn, id).await.frequency.to_string(), "daily");

    // Period and metrics (not schedule fields).
    tap(&emu, &worker, &bob, hub, &format!("profile_report:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("report_period:{id}")).await;
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("period_set:{id}:last_7_days"),
    )
    .await;
    assert_eq!(task_of(&conn, id).await.period.to_string(), "last_7_days");
    tap(&emu, &worker, &bob, hub, &format!("profile_report:{id}")).await;
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("report_characteristics:{id}"),
    )
    .await;
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("report_toggle:{id}:calls"),
    )
    .await;
    assert!(
        !task_of(&conn, id)
            .await
            .metrics
            .to_string()
            .contains("calls")
    );
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("report_metrics_all:{id}"),
    )
    .await;
    assert!(
        task_of(&conn, id)
            .await
            .metrics
            .to_string()
            .contains("calls")
    );

    // Active off and on.
    tap(&emu, &worker, &bob, hub, &format!("profile_report:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("report_active:{id}")).await;
    assert!(!task_of(&conn, id).await.is_active);
    let text = tap(&emu, &worker, &bob, hub, &format!("report_active:{id}")).await;
    assert!(text.contains("Sending: ✅ on"), "{text}");
    let t = task_of(&conn, id).await;
    assert!(t.is_active);
    // chat, 08:00, 10:30, tz ×2, weekly, toggle, interval, monthly, daily, off, on.
    assert_eq!(
        version(&t) - v0,
        12,
        "each schedule change bumps the version once"
    );

    // A destination by forwarding from a channel; refused while the bot is not there.
    let channel = emu.channel(-1_001_234, "Shop news");
    emu.set_bot_kicked(channel.id(), true);
    tap(&emu, &worker, &bob, hub, &format!("report_set_chat:{id}")).await;
    tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("report_chat_forward:{id}"),
    )
    .await;
    let after = last_bot_message(&emu, 1002);
    bob.forward_from_channel(&channel, "a post");
    bot_message_after(&emu, &worker, 1002, after, "I cannot post in “Shop news”").await;
    assert_eq!(task_of(&conn, id).await.chat_id, Some(ChatId(1002)));
    emu.set_bot_kicked(channel.id(), false);
    let after = last_bot_message(&emu, 1002);
    bob.forward_from_channel(&channel, "a post");
    bot_message_after(&emu, &worker, 1002, after, "will go to “Shop news”").await;
    let t = task_of(&conn, id).await;
    assert_eq!(
        (t.chat_id, t.chat_title.as_deref()),
        (Some(ChatId(-1_001_234)), Some("Shop news"))
    );

    // Report now: to the channel, with a note here.
    hub = open_hub(&emu, &worker, &bob).await;
    tap(&emu, &worker, &bob, hub, &format!("profile_view:{id}")).await;
    let after = last_bot_message(&emu, 1002);
    let in_channel = last_bot_message(&emu, channel.id());
    press(&worker, &bob, 1002, hub, &format!("report_now:{id}")).await;
    let report = bot_message_after(&emu, &worker, channel.id(), in_channel, "Bob's shop").await;
    assert_eq!(report.parse_mode.as_deref(), Some("HTML"));
    bot_message_after(&emu, &worker, 1002, after, "was sent to “Shop news”").await;

    // Historical report: bad dates name the failing rule; the same step is asked again.
    let today = Utc::now().date_naive();
    tap(&emu, &worker, &bob, hub, &format!("report_historical:{id}")).await;
    say(&emu, &worker, &bob, "2026-13-01", "is not a date").await;
    say(&emu, &worker, &bob, "2020-01-01", "270 days only").await;
    let start = (today - Duration::days(10)).format("%Y-%m-%d").to_string();
    say(&emu, &worker, &bob, &start, "Now send the end date").await;
    let future = (today + Duration::days(5)).format("%Y-%m-%d").to_string();
    say(&emu, &worker, &bob, &future, "has not come yet").await;
    let early = (today - Duration::days(20)).format("%Y-%m-%d").to_string();
    say(&emu, &worker, &bob, &early, "is before the start date").await;
    let in_channel = last_bot_message(&emu, channel.id());
    let here = last_bot_message(&emu, 1002);
    let end = (today - Duration::days(2)).format("%Y-%m-%d").to_string();
    say(&emu, &worker, &bob, &end, "Preparing the report").await;
    // The second report of the account within a minute waits for Avito's 1/min statistics
    // limit, which the client paces itself.
    let minute = std::time::Duration::from_secs(100);
    bot_message_within(&emu, &worker, 1002, here, "was sent to “Shop news”", minute).await;
    bot_message_after(&emu, &worker, channel.id(), in_channel, "Bob's shop").await;
    let runs = report_run::Entity::find()
        .filter(report_run::Column::ProfileId.eq(id))
        .all(&conn)
        .await
        .expect("runs");
    let kinds: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| (r.kind.slug(), r.status.slug()))
        .collect();
    assert_eq!(kinds, vec![("now", "sent"), ("historical", "sent")]);
    assert_eq!(
        runs[1]
            .period_start
            .map(|d| d.format("%Y-%m-%d").to_string()),
        Some(start)
    );

    // The card shows the last report; the export button starts an export (tests/export_bot.rs
    // follows one to the end).
    hub = open_hub(&emu, &worker, &bob).await;
    let card = tap(&emu, &worker, &bob, hub, &format!("profile_view:{id}")).await;
    assert!(card.contains("for a period, delivered"), "{card}");
    let export = press(&worker, &bob, 1002, hub, &format!("export_messenger:{id}")).await;
    assert!(!export.show_alert, "{export:?}");
    assert!(export.text.unwrap_or_default().contains("Export started"));

    // Rename (with /cancel once), then delete with confirmation.
    tap(&emu, &worker, &bob, hub, &format!("profile_rename:{id}")).await;
    say(&emu, &worker, &bob, "/cancel", "Cancelled").await;
    assert_eq!(profile_named(&conn, 1002, "Bob's shop").await.id, id);
    tap(&emu, &worker, &bob, hub, &format!("profile_view:{id}")).await;
    tap(&emu, &worker, &bob, hub, &format!("profile_rename:{id}")).await;
    say(
        &emu,
        &worker,
        &bob,
        "Bob's outlet",
        "renamed: “Bob's outlet”",
    )
    .await;
    profile_named(&conn, 1002, "Bob's outlet").await;
    hub = open_hub(&emu, &worker, &bob).await;
    tap(&emu, &worker, &bob, hub, &format!("profile_view:{id}")).await;
    let confirm = tap(&emu, &worker, &bob, hub, &format!("profile_delete:{id}")).await;
    assert!(
        confirm.contains("Delete the profile “Bob's outlet”?"),
        "{confirm}"
    );
    let list = tap(
        &emu,
        &worker,
        &bob,
        hub,
        &format!("profile_delete_confirm:{id}"),
    )
    .await;
    assert!(list.contains("was deleted"), "{list}");
    assert!(
        avito_profile::Entity::find_by_id(id)
            .one(&conn)
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        report_task::Entity::find()
            .filter(report_task::Column::ProfileId.eq(id))
            .one(&conn)
            .await
            .expect("q")
            .is_none()
    );

    // A stale button (the "Open the profile" of the add message) changes nothing.
    let added = emu
        .chat_messages(1002)
        .into_iter()
        .find(|m| m.from_bot && m.text_or_caption().contains("added: Avito account"))
        .expect("the add message");
    let stale = press(
        &worker,
        &bob,
        1002,
        added.message_id,
        &format!("profile_view:{id}"),
    )
    .await;
    assert!(stale.show_alert);
    // Exactly what a press on someone else's profile gets (tests/bot_groups.rs).
    assert_eq!(
        stale.text.unwrap_or_default(),
        "This profile is not available: it was deleted, or it is not yours. Your profiles are in /profiles."
    );
    assert_eq!(message(&emu, 1002, added.message_id).text, added.text);

    conn.close().await.ok();
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_setting_is_reached_from_the_hub_and_stored_on_sqlite() {
    every_setting_is_reached_from_the_hub_and_stored(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_setting_is_reached_from_the_hub_and_stored_on_postgres() {
    every_setting_is_reached_from_the_hub_and_stored(Engine::Postgres).await;
}
