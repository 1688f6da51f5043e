//! Telegram failing under a person pressing buttons: 5xx and 429 on the hub's edits and on
//! callback answers are retried or waited out, so a press ends in its screen; when Telegram
//! keeps failing, the press ends in a clear "Telegram is busy" — never in silence.

mod common;

use common::{Engine, message, press, say};
use sandbox::telegram::Fault;

async fn presses_survive_telegram_faults(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let ann = emu.user(5001, "Ann", Some("en"));
    say(&emu, &worker, &ann, "/add_profile", "Step 1 of 3").await;
    say(&emu, &worker, &ann, "Fault shop", "Step 2 of 3").await;
    say(&emu, &worker, &ann, "client-1", "Step 3 of 3").await;
    say(&emu, &worker, &ann, "secret-1", "added").await;
    let conn = avito_reports::db::connect(&test_db.url)
        .await
        .expect("connect");
    let id = avito_reports::db::profiles::all_of(&conn, ann.id())
        .await
        .expect("profiles")[0]
        .id;
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;

    // Two 502s on the edit, one on the answer: the press still ends in its screen.
    emu.inject("editMessageText", [Fault::Status(502), Fault::Status(502)]);
    emu.inject("answerCallbackQuery", [Fault::Status(502)]);
    let answer = press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;
    assert!(!answer.show_alert, "{answer:?}\n{}", worker.log());
    assert!(
        message(&emu, ann.id(), hub)
            .text
            .unwrap_or_default()
            .contains("Fault shop"),
        "the card is shown"
    );
    assert_eq!(emu.pending_faults("editMessageText"), 0);
    assert_eq!(emu.pending_faults("answerCallbackQuery"), 0);

    // A 429 on the edit is waited out.
    let limited = emu.rate_limited_count();
    emu.inject("editMessageText", [Fault::RetryAfter(1)]);
    let answer = press(
        &worker,
        &ann,
        ann.id(),
        hub,
        &format!("profile_report:{id}"),
    )
    .await;
    assert!(!answer.show_alert, "{answer:?}");
    assert!(
        message(&emu, ann.id(), hub)
            .text
            .unwrap_or_default()
            .contains("report settings"),
        "the settings are shown after the wait"
    );
    assert_eq!(emu.rate_limited_count(), limited + 1);

    // Telegram failing past the retries: the press is answered, and says so.
    emu.inject("editMessageText", [Fault::Status(502); 3]);
    let answer = press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;
    assert!(answer.show_alert, "{answer:?}");
    assert!(
        answer.text.unwrap_or_default().contains("Telegram is busy"),
        "a clear answer"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn presses_survive_telegram_faults_on_sqlite() {
    presses_survive_telegram_faults(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn presses_survive_telegram_faults_on_postgres() {
    presses_survive_telegram_faults(Engine::Postgres).await;
}
