//! A report's charts in Telegram, black-box: the worker binary against the emulators. "Report
//! now" arrives as one media group of pictures followed by the text, and the settings' switch
//! turns the pictures off.

mod common;

use common::{Engine, bot_message_after, last_bot_message, message, press, say};
use sandbox::telegram::SeenMessage;

/// The photos the bot sent in `chat` after message `after` and before `before`.
fn photos_between(
    emu: &sandbox::telegram::TelegramEmulator,
    chat: i64,
    after: i32,
    before: i32,
) -> Vec<SeenMessage> {
    emu.chat_messages(chat)
        .into_iter()
        .filter(|m| m.from_bot && m.message_id > after && m.message_id < before)
        .filter(|m| m.photo.is_some())
        .collect()
}

async fn report_now_sends_charts_then_text_and_the_switch_turns_them_off(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let ann = emu.user(5101, "Ann", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &ann, "Chart shop", 1).await;
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;

    let after = last_bot_message(&emu, ann.id());
    press(&worker, &ann, ann.id(), hub, &format!("report_now:{id}")).await;
    let report = bot_message_after(&emu, &worker, ann.id(), after, "Report for").await;
    let photos = photos_between(&emu, ann.id(), after, report.message_id);
    assert_eq!(photos.len(), 2, "daily and spending charts: {photos:#?}");
    assert!(
        photos.iter().all(|p| p.media_group_id.is_none()),
        "one photo message each (an album would count as one request but several messages \
         against Telegram's limits): {photos:#?}"
    );
    for photo in &photos {
        let picture = photo.photo.as_ref().expect("a photo");
        assert_eq!((picture.width, picture.height), (1280, 720));
        assert!(picture.size <= 250 * 1024, "{} bytes", picture.size);
        let decoded = png::Decoder::new(std::io::Cursor::new(picture.bytes.clone()))
            .read_info()
            .expect("the picture is a PNG");
        assert_eq!(decoded.info().width, 1280);
    }
    // The text is as before, whole.
    assert!(report.text_or_caption().contains("Views"), "{report:#?}");

    // Settings → charts off: the next report is the text alone.
    press(
        &worker,
        &ann,
        ann.id(),
        hub,
        &format!("profile_report:{id}"),
    )
    .await;
    let settings = message(&emu, ann.id(), hub);
    assert!(
        settings.button("Charts in the report: on").is_some(),
        "{settings:#?}"
    );
    press(&worker, &ann, ann.id(), hub, &format!("report_charts:{id}")).await;
    let settings = message(&emu, ann.id(), hub);
    assert!(
        settings.button("Charts in the report: off").is_some(),
        "{settings:#?}"
    );
    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    let task = avito_reports::db::tasks::of_profile(&conn, id)
        .await
        .expect("query")
        .expect("the task");
    assert!(!task.charts);
    conn.close().await.ok();

    press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;
    let after = last_bot_message(&emu, ann.id());
    press(&worker, &ann, ann.id(), hub, &format!("report_now:{id}")).await;
    let report = bot_message_after(&emu, &worker, ann.id(), after, "Report for").await;
    assert!(
        photos_between(&emu, ann.id(), after, i32::MAX).is_empty(),
        "no pictures with the charts off"
    );
    assert!(report.text_or_caption().contains("Views"));
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_now_sends_charts_then_text_and_the_switch_turns_them_off_on_sqlite() {
    report_now_sends_charts_then_text_and_the_switch_turns_them_off(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_now_sends_charts_then_text_and_the_switch_turns_them_off_on_postgres() {
    report_now_sends_charts_then_text_and_the_switch_turns_them_off(Engine::Postgres).await;
}
