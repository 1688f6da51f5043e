//! Faults under a person pressing buttons. Telegram: 5xx and 429 on the hub's edits and on
//! callback answers are retried or waited out, so a press ends in its screen; when Telegram
//! keeps failing, the press ends in a clear "Telegram is busy" — never in silence. Avito:
//! "Report now" against a source that never answers comes with what arrived and says why the
//! rest is missing, once the report deadline passes.

mod common;

use common::{Engine, message, press, say};
use sandbox::telegram::Fault;

async fn presses_survive_telegram_faults(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let ann = emu.user(5001, "Ann", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &ann, "Fault shop", 1).await;
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

async fn report_now_answers_by_the_deadline_when_avito_hangs(engine: Engine) {
    let extra = [("REPORT_DEADLINE_SEC", "2")];
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &extra).await else {
        return;
    };
    let ann = emu.user(5002, "Ann", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &ann, "Slow shop", 1).await;
    avito.set_fault("itemAnalytics", sandbox::avito::Fault::Timeout);
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;
    let after = common::last_bot_message(&emu, ann.id());
    press(&worker, &ann, ann.id(), hub, &format!("report_now:{id}")).await;
    let report = common::bot_message_after(&emu, &worker, ann.id(), after, "Report for").await;
    let text = report.text.unwrap_or_default();
    // What did not answer by the deadline says why; what answered is there.
    assert!(
        text.contains("Views: n/a (error: Avito is unavailable right now"),
        "{text}"
    );
    assert!(
        text.contains("Wallet: ") && !text.contains("Wallet: n/a"),
        "{text}"
    );
    avito.clear_faults();
    common::stop_stack(worker, avito, emu).await;
}

/// "Report now" while Telegram stores the report and answers 502, then fails a send outright:
/// the report arrives, a copy sent again is marked as a possible repeat, and the owner never
/// reads that the report was lost.
async fn report_now_survives_telegram_5xx(engine: Engine) {
    let Some((test_db, emu, avito, worker)) = common::start_stack(engine, &[]).await else {
        return;
    };
    let ann = emu.user(5003, "Ann", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &ann, "Busy shop", 1).await;
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    press(&worker, &ann, ann.id(), hub, &format!("profile_view:{id}")).await;
    let before = emu.chat_messages(ann.id()).len();
    emu.inject("sendMessage", [Fault::StoredThen(502)]);
    press(&worker, &ann, ann.id(), hub, &format!("report_now:{id}")).await;
    let reports = |emu: &sandbox::telegram::TelegramEmulator| {
        emu.chat_messages(ann.id())
            .into_iter()
            .skip(before)
            .filter(|m| m.from_bot)
            .map(|m| m.text.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    common::eventually("the report sent again", common::BOT_WAIT, || {
        let seen = reports(&emu);
        async move { (seen.iter().filter(|t| t.contains("Report for")).count() == 2).then_some(()) }
    })
    .await;
    let seen = reports(&emu);
    let marker = seen
        .iter()
        .position(|t| t.starts_with("🔁"))
        .expect("the repeat is marked");
    let copies: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, t)| t.contains("Report for"))
        .map(|(i, _)| i)
        .collect();
    assert!(copies[0] < marker && marker < copies[1], "{seen:#?}");
    assert!(
        !seen.iter().any(|t| t.contains("Could not send")),
        "never reported lost: {seen:#?}"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_now_survives_telegram_5xx_on_sqlite() {
    report_now_survives_telegram_5xx(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_now_survives_telegram_5xx_on_postgres() {
    report_now_survives_telegram_5xx(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_now_answers_by_the_deadline_when_avito_hangs_on_sqlite() {
    report_now_answers_by_the_deadline_when_avito_hangs(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_now_answers_by_the_deadline_when_avito_hangs_on_postgres() {
    report_now_answers_by_the_deadline_when_avito_hangs(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn presses_survive_telegram_faults_on_sqlite() {
    presses_survive_telegram_faults(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn presses_survive_telegram_faults_on_postgres() {
    presses_survive_telegram_faults(Engine::Postgres).await;
}
