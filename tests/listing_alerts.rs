//! A blocked listing, end to end on both engines: a new profile watches its listings (those
//! blocked or rejected already stay quiet), Avito blocks one (the emulator's
//! `/_control/item_status`), one notice names and links it, and it is not told again; a block
//! lifted and laid again is told again. Checks run every second (`ALERT_CHECK_SPEEDUP`).

mod common;

use std::time::Duration;

use common::{Engine, press, say};
use sandbox::avito::AvitoEmulator;
use sandbox::avito::data::ItemStatus;
use sandbox::telegram::TelegramEmulator;

const ENV: [(&str, &str); 1] = [("ALERT_CHECK_SPEEDUP", "600")];
const BLOCKED: &str = "Avito blocked the listing";

fn bot_count(emu: &TelegramEmulator, chat: i64, needle: &str) -> usize {
    emu.chat_messages(chat)
        .iter()
        .filter(|m| m.from_bot && m.text_or_caption().contains(needle))
        .count()
}

async fn listing_checks(avito: &AvitoEmulator, before: usize, n: usize) {
    common::eventually(
        &format!("{n} more listing checks"),
        Duration::from_secs(40),
        || async { (avito.request_count("getItemsInfo") >= before + n).then_some(()) },
    )
    .await;
}

async fn set_status(avito: &AvitoEmulator, account: i64, item: i64, status: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{}/_control/item_status", avito.base_url()))
        .json(&serde_json::json!({"user_id": account, "item_id": item, "status": status}))
        .send()
        .await
        .expect("the emulator answers");
    assert!(answer.status().is_success(), "{answer:?}");
}

async fn a_blocked_listing_is_told_once(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &ENV).await else {
        return;
    };
    let ann = emu.user(7201, "Ann", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &ann, "Ann's shop", 1).await;
    let data = avito.data();
    let account = &data.accounts()[0];
    let user_id = account.spec.user_id;
    let item = account
        .items
        .iter()
        .find(|i| i.status == ItemStatus::Active)
        .expect("an active listing");
    // No quiet hours, whatever the hour the test runs at.
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    for data in [
        format!("profile_view:{id}"),
        format!("alerts:{id}"),
        format!("alert_quiet:{id}"),
        format!("alert_quiet:{id}"),
    ] {
        let answer = press(&worker, &ann, ann.id(), hub, &data).await;
        assert!(!answer.show_alert, "{data}: {answer:?}");
    }
    let screen = common::message(&emu, ann.id(), hub);
    assert!(
        screen
            .text_or_caption()
            .contains("✅ A listing blocked or rejected"),
        "on for a new profile: {}",
        screen.text_or_caption()
    );
    assert!(
        account
            .items
            .iter()
            .any(|i| matches!(i.status, ItemStatus::Blocked | ItemStatus::Rejected)),
        "the account starts with flagged listings, which the first check must not announce"
    );
    listing_checks(&avito, 0, 3).await;
    assert_eq!(
        bot_count(&emu, ann.id(), "the listing"),
        0,
        "the flagged ones before stay quiet"
    );

    set_status(&avito, user_id, item.id, "blocked").await;
    let notice =
        common::bot_message_within(&emu, &worker, ann.id(), 0, BLOCKED, common::BOT_WAIT).await;
    assert!(notice.text_or_caption().contains(&item.title), "{notice:?}");
    assert!(
        notice
            .raw_text
            .as_deref()
            .unwrap_or("")
            .contains("<a href="),
        "linked: {notice:?}"
    );
    let before = avito.request_count("getItemsInfo");
    listing_checks(&avito, before, 3).await;
    assert_eq!(bot_count(&emu, ann.id(), BLOCKED), 1, "told once");

    // Lifted, then blocked again: told again.
    set_status(&avito, user_id, item.id, "active").await;
    let before = avito.request_count("getItemsInfo");
    listing_checks(&avito, before, 3).await;
    set_status(&avito, user_id, item.id, "blocked").await;
    common::eventually("the new block is told", common::BOT_WAIT, || async {
        (bot_count(&emu, ann.id(), BLOCKED) == 2).then_some(())
    })
    .await;
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_listing_is_told_once_on_sqlite() {
    a_blocked_listing_is_told_once(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_listing_is_told_once_on_postgres() {
    a_blocked_listing_is_told_once(Engine::Postgres).await;
}
