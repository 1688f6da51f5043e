//! Keys Avito refuses, from every path that meets them: an alert check, "Report now", `/stats`
//! and an export each mark the profile "needs new keys" with one notice to its owner (never
//! one per check or per press); alert checks stop until the owner enters new keys in the hub,
//! after which they resume. On both engines, against the emulators.

mod common;

use std::time::Duration;

use avito_reports::db::profiles;
use avito_reports::domain::ProfileId;
use common::{Engine, Shift, Worker, press, say};
use sandbox::avito::{AvitoEmulator, Fault};
use sandbox::telegram::{SimUser, TelegramEmulator};

const REFUSED: &str = "no longer accepts the credentials";

fn notices(emu: &TelegramEmulator, chat: i64) -> usize {
    emu.chat_messages(chat)
        .iter()
        .filter(|m| m.from_bot && m.text_or_caption().contains(REFUSED))
        .count()
}

/// Avito stops taking the keys: tokens it issued are void and new ones are refused.
fn refuse_keys(avito: &AvitoEmulator) {
    avito.set_fault("getAccessToken", Fault::Status(401));
    avito.expire_tokens();
}

async fn marked(db: &sea_orm::DatabaseConnection, id: ProfileId) -> bool {
    profiles::find(db, id)
        .await
        .expect("query")
        .expect("profile")
        .status
        .slug()
        == "auth_failed"
}

/// Waits for the `n`-th refused-keys notice and for the profile to be marked.
async fn told(
    emu: &TelegramEmulator,
    worker: &Worker,
    db: &sea_orm::DatabaseConnection,
    owner: &SimUser,
    id: ProfileId,
    n: usize,
) {
    common::eventually(
        &format!("refused-keys notice #{n}"),
        common::BOT_WAIT,
        || async { (notices(emu, owner.id()) >= n).then_some(()) },
    )
    .await;
    assert!(marked(db, id).await, "marked; log:\n{}", worker.log());
    // Nothing more comes for the same refusal.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(notices(emu, owner.id()), n, "one notice per refusal");
}

/// The hub's "🔑 New keys": client id, then the secret, checked with Avito.
async fn enter_new_keys(emu: &TelegramEmulator, worker: &Worker, owner: &SimUser, id: ProfileId) {
    let hub = say(emu, worker, owner, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    for data in [format!("profile_view:{id}"), format!("profile_keys:{id}")] {
        let answer = press(worker, owner, owner.id(), hub, &data).await;
        assert!(!answer.show_alert, "{data}: {answer:?}");
    }
    say(emu, worker, owner, "client-1", "Step 2 of 2").await;
    let secret_message = {
        let after = common::last_bot_message(emu, owner.id());
        owner.send_text("secret-1");
        common::bot_message_after(emu, worker, owner.id(), after, "New keys").await;
        emu.chat_messages(owner.id())
            .iter()
            .any(|m| !m.from_bot && m.text.as_deref() == Some("secret-1"))
    };
    assert!(!secret_message, "the message with the secret is deleted");
}

async fn refused_keys_from_every_path(engine: Engine) {
    // Noon in Moscow: outside the alerts' quiet hours.
    let moscow = chrono_tz::Europe::Moscow;
    let noon = chrono::Utc::now()
        .with_timezone(&moscow)
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .expect("noon");
    let shift = Shift::to(
        noon.and_local_timezone(moscow)
            .single()
            .expect("Moscow has no DST")
            .to_utc(),
    );
    let env = [("ALERT_CHECK_SPEEDUP", "600"), ("ADMIN_CHAT_ID", "8099")];
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &env).await
    else {
        return;
    };
    let db = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    let admin = emu.user(8099, "Admin", Some("en"));
    admin.send_text("/start");
    let owner = emu.user(8001, "Kim", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &owner, "Kim's shop", 1).await;

    // 1. An alert check meets the refusal: marked, told once, checks stop.
    let hub = say(&emu, &worker, &owner, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    for data in [
        format!("profile_view:{id}"),
        format!("alerts:{id}"),
        format!("alert_toggle:{id}:wallet_low"),
    ] {
        assert!(
            !press(&worker, &owner, owner.id(), hub, &data)
                .await
                .show_alert
        );
    }
    common::eventually("wallet checks run", common::BOT_WAIT, || async {
        (avito.request_count("getUserBalance") >= 2).then_some(())
    })
    .await;
    refuse_keys(&avito);
    told(&emu, &worker, &db, &owner, id, 1).await;
    common::bot_message_after(&emu, &worker, admin.id(), 0, "refused the credentials").await;
    let checks = avito.request_count("getUserBalance");
    let tokens = avito.token_requests();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        avito.request_count("getUserBalance") <= checks + 1 && avito.token_requests() <= tokens + 1,
        "alert checks stop while the keys are refused"
    );

    // 2. New keys in the hub: stored, the profile works, checks resume.
    avito.clear_faults();
    enter_new_keys(&emu, &worker, &owner, id).await;
    assert!(!marked(&db, id).await, "the mark is gone");
    let checks = avito.request_count("getUserBalance");
    common::eventually("wallet checks resume", common::BOT_WAIT, || async {
        (avito.request_count("getUserBalance") >= checks + 2).then_some(())
    })
    .await;
    // The rule goes off, so that the next paths meet the refusal first.
    let hub = say(&emu, &worker, &owner, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    for data in [
        format!("profile_view:{id}"),
        format!("alerts:{id}"),
        format!("alert_toggle:{id}:wallet_low"),
    ] {
        assert!(
            !press(&worker, &owner, owner.id(), hub, &data)
                .await
                .show_alert
        );
    }

    // 3. "Report now" meets it: the report says so, and the profile is marked once.
    refuse_keys(&avito);
    let hub = say(&emu, &worker, &owner, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    press(
        &worker,
        &owner,
        owner.id(),
        hub,
        &format!("profile_view:{id}"),
    )
    .await;
    press(
        &worker,
        &owner,
        owner.id(),
        hub,
        &format!("report_now:{id}"),
    )
    .await;
    told(&emu, &worker, &db, &owner, id, 2).await;

    // 4. `/stats` meets it after the mark went (keys fixed in Avito meanwhile, say).
    profiles::mark_keys_work(&db, id).await.expect("unmark");
    say(&emu, &worker, &owner, "/stats", "Kim's shop").await;
    told(&emu, &worker, &db, &owner, id, 3).await;

    // 5. The chat export meets it.
    profiles::mark_keys_work(&db, id).await.expect("unmark");
    let hub = say(&emu, &worker, &owner, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    press(
        &worker,
        &owner,
        owner.id(),
        hub,
        &format!("profile_view:{id}"),
    )
    .await;
    press(
        &worker,
        &owner,
        owner.id(),
        hub,
        &format!("export_messenger:{id}"),
    )
    .await;
    told(&emu, &worker, &db, &owner, id, 4).await;

    db.close().await.ok();
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_keys_from_every_path_on_sqlite() {
    refused_keys_from_every_path(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_keys_from_every_path_on_postgres() {
    refused_keys_from_every_path(Engine::Postgres).await;
}
