//! A profile name is the user's text: every screen that shows it shows it exactly as typed,
//! even when it looks like a placeholder (`{title}`, `{name}`), markup (`<b>`) or an HTML
//! entity (`&amp;`). Texts are filled in one pass, so a value is never scanned again.

mod common;

use common::{Engine, bot_message_after, last_bot_message, message, press, say};
use sandbox::telegram::{SeenMessage, SimUser, TelegramEmulator};

/// Looks like every placeholder the screens use, plus markup and an entity.
const NAME: &str = "{title} <b>&amp;</b> {name} {chat} {from}";

fn shows_name(m: &SeenMessage) -> bool {
    m.text.as_deref().is_some_and(|t| t.contains(NAME))
}

/// Presses `data` on the hub and returns the hub message afterwards.
async fn tap(
    emu: &TelegramEmulator,
    worker: &common::Worker,
    user: &SimUser,
    hub: i32,
    data: &str,
) -> SeenMessage {
    let answer = press(worker, user, user.id(), hub, data).await;
    assert!(!answer.show_alert, "{data}: {answer:?}");
    message(emu, user.id(), hub)
}

async fn every_screen_shows_a_tricky_name_as_typed(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let ann = emu.user(3001, "Ann", Some("en"));
    say(&emu, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    let step2 = say(&emu, &worker, &ann, NAME, "Step 2 of 3").await;
    assert!(shows_name(&step2), "{step2:?}");
    say(&emu, &worker, &ann, "client-1", "Step 3 of 3").await;
    let added = say(&emu, &worker, &ann, "secret-1", "added").await;
    assert!(shows_name(&added), "{added:?}");

    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    let profile =
        avito_reports::db::profiles::all_of(&conn, avito_reports::domain::UserId(ann.id()))
            .await
            .expect("profiles")
            .into_iter()
            .next()
            .expect("added");
    assert_eq!(profile.name, NAME, "stored as typed");
    let id = profile.id;

    let list = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles").await;
    assert!(
        list.all_buttons().any(|b| b.text.contains(NAME)),
        "the list button: {list:?}"
    );
    let hub = list.message_id;
    let card = tap(&emu, &worker, &ann, hub, &format!("profile_view:{id}")).await;
    assert!(shows_name(&card), "card: {card:?}");
    let settings = tap(&emu, &worker, &ann, hub, &format!("profile_report:{id}")).await;
    assert!(shows_name(&settings), "settings: {settings:?}");
    for screen in [
        "report_set_chat",
        "report_set_time",
        "report_timezone",
        "report_frequency",
        "report_period",
        "report_characteristics",
    ] {
        let data = format!("{screen}:{id}");
        assert!(
            settings
                .all_buttons()
                .any(|b| b.callback_data.as_deref() == Some(data.as_str())),
            "the settings offer {screen}"
        );
        let shown = tap(&emu, &worker, &ann, hub, &data).await;
        assert!(shows_name(&shown), "{screen}: {shown:?}");
        tap(&emu, &worker, &ann, hub, &format!("profile_report:{id}")).await;
    }
    tap(&emu, &worker, &ann, hub, &format!("profile_view:{id}")).await;
    let confirm = tap(&emu, &worker, &ann, hub, &format!("profile_delete:{id}")).await;
    assert!(shows_name(&confirm), "delete: {confirm:?}");
    tap(&emu, &worker, &ann, hub, &format!("profile_view:{id}")).await;

    // Messages of their own: the report now, /stats, the export's status.
    let after = last_bot_message(&emu, ann.id());
    press(&worker, &ann, ann.id(), hub, &format!("report_now:{id}")).await;
    let report = bot_message_after(&emu, &worker, ann.id(), after, "Report for").await;
    assert!(shows_name(&report), "report: {report:?}");
    let stats = say(&emu, &worker, &ann, "/stats", "Report for").await;
    assert!(shows_name(&stats), "stats: {stats:?}");
    let after = last_bot_message(&emu, ann.id());
    press(
        &worker,
        &ann,
        ann.id(),
        hub,
        &format!("export_messenger:{id}"),
    )
    .await;
    let export = bot_message_after(&emu, &worker, ann.id(), after, "Export of").await;
    assert!(shows_name(&export), "export: {export:?}");

    let rename = tap(&emu, &worker, &ann, hub, &format!("profile_rename:{id}")).await;
    let prompt = if shows_name(&rename) {
        rename
    } else {
        let last = last_bot_message(&emu, ann.id());
        message(&emu, ann.id(), last)
    };
    assert!(shows_name(&prompt), "rename prompt: {prompt:?}");
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_screen_shows_a_tricky_name_as_typed_on_sqlite() {
    every_screen_shows_a_tricky_name_as_typed(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_screen_shows_a_tricky_name_as_typed_on_postgres() {
    every_screen_shows_a_tricky_name_as_typed(Engine::Postgres).await;
}
