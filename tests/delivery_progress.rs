//! A scheduled delivery records its progress: the report's messages as first sent, how many
//! Telegram accepted, and whether a send was under way. A delivery taken over after a crash
//! resumes after the last accepted message, never sends one again unmarked, and marks the
//! copy of the one whose outcome is unknown. Seeded as a crash leaves it, on both engines.

mod common;

use avito_reports::db::entities::report_run;
use avito_reports::domain::{RunStatus, TaskId};
use chrono::{Duration, DurationRound, Utc};
use common::runs::{PARTS, bot_texts, interrupted_run};
use common::{Engine, TEST_SECRET_KEY, Worker, seed};
use sandbox::telegram::{TelegramConfig, TelegramEmulator};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn a_taken_over_delivery_resumes_without_unmarked_repeats(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let slot = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .expect("trunc")
        - Duration::minutes(1);
    // Died while sending part two (after part one was accepted and recorded).
    let during = emu.user(6001, "During", Some("en"));
    during.send_text("/start");
    let (_, task) = seed(&conn, during.id(), 1, during.id(), slot).await;
    interrupted_run(&conn, task.id, during.id(), slot, 1, true).await;
    // Died after Telegram accepted every part and it was recorded, before "sent".
    let after = emu.user(6002, "After", Some("en"));
    after.send_text("/start");
    let (_, done_task) = seed(&conn, after.id(), 2, after.id(), slot).await;
    interrupted_run(&conn, done_task.id, after.id(), slot, 3, false).await;

    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[("SECRET_KEY", TEST_SECRET_KEY)],
    )
    .await;
    let run_of = |task_id: TaskId| {
        let conn = conn.clone();
        async move {
            report_run::Entity::find()
                .filter(report_run::Column::TaskId.eq(task_id))
                .one(&conn)
                .await
                .expect("query")
                .filter(|r| r.status == RunStatus::Sent)
        }
    };
    common::eventually("the resumed delivery is sent", common::BOT_WAIT, || {
        run_of(task.id)
    })
    .await;
    common::eventually(
        "the finished delivery is recorded",
        common::BOT_WAIT,
        || run_of(done_task.id),
    )
    .await;

    let seen = bot_texts(&emu, during.id());
    assert!(
        !seen.iter().any(|t| t.contains(PARTS[0])),
        "an accepted part is never sent again: {seen:#?}"
    );
    let marker = seen
        .iter()
        .position(|t| t.starts_with("🔁"))
        .expect("the copy of the part in doubt is marked");
    assert_eq!(seen[marker + 1], PARTS[1], "{seen:#?}");
    assert_eq!(seen[marker + 2], PARTS[2], "{seen:#?}");
    assert_eq!(seen.len(), marker + 3, "nothing else: {seen:#?}");
    assert!(
        bot_texts(&emu, after.id()).is_empty(),
        "a delivery whose parts were all accepted sends nothing again"
    );
    let _ = worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_over_delivery_resumes_without_unmarked_repeats_on_sqlite() {
    a_taken_over_delivery_resumes_without_unmarked_repeats(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_over_delivery_resumes_without_unmarked_repeats_on_postgres() {
    a_taken_over_delivery_resumes_without_unmarked_repeats(Engine::Postgres).await;
}

/// Avito failing for good: the owner's failure notice comes within the slot's budget, not
/// after every retry the attempt count would allow.
async fn a_failing_slot_is_told_within_its_budget(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let owner = emu.user(6101, "Lee", Some("en"));
    owner.send_text("/start");
    let (_, task) = seed(
        &conn,
        owner.id(),
        1,
        owner.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;
    avito.set_fault("*", sandbox::avito::Fault::Status(503));
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[
            ("SECRET_KEY", TEST_SECRET_KEY),
            // Ten attempts a second apart would take minutes with Avito's own retries; the
            // budget leaves room for the first one only.
            ("REPORT_ATTEMPTS", "10"),
            ("REPORT_RETRY_BACKOFF_SEC", "1"),
            ("REPORT_SLOT_BUDGET_SEC", "25"),
        ],
    )
    .await;
    // The budget (25 s) runs from the job's start; the worker's own start-up comes first, and
    // ten attempts would take minutes.
    let notice = common::bot_message_within(
        &emu,
        &worker,
        owner.id(),
        0,
        "could not be made",
        std::time::Duration::from_secs(45),
    )
    .await;
    assert!(notice.text_or_caption().contains("Shop 1"), "{notice:?}");
    let run = report_run::Entity::find()
        .filter(report_run::Column::TaskId.eq(task.id))
        .one(&conn)
        .await
        .expect("query")
        .expect("the run");
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.attempts < 10,
        "the budget, not the attempt count, ended the retries: {} attempts",
        run.attempts
    );
    let _ = worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_slot_is_told_within_its_budget_on_sqlite() {
    a_failing_slot_is_told_within_its_budget(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_slot_is_told_within_its_budget_on_postgres() {
    a_failing_slot_is_told_within_its_budget(Engine::Postgres).await;
}

/// Where a delivery is when its process is killed.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Building the report (Avito slow): nothing sent yet.
    BeforeSend,
    /// The report's request is with Telegram, not stored yet.
    DuringSend,
    /// Telegram stored the report; the process never heard.
    AfterAccept,
    /// The delivery is recorded sent; the queue may not know yet.
    AfterRecord,
}

/// One kill -9 at `step` of a due slot's delivery, then a new process: what the owner sees.
async fn killed_at(
    step: Step,
    user_id: i64,
    n: u32,
    emu: &TelegramEmulator,
    avito: &sandbox::avito::AvitoEmulator,
    test_db: &common::TestDatabase,
    conn: &sea_orm::DatabaseConnection,
) -> Vec<String> {
    let user = emu.user(user_id, &format!("{step:?}"), Some("en"));
    user.send_text("/start");
    let slot = Utc::now() - Duration::minutes(1);
    let (_, task) = seed(conn, user.id(), n, user.id(), slot).await;
    let hang = std::time::Duration::from_secs(300);
    match step {
        Step::BeforeSend => avito.set_latency(std::time::Duration::from_secs(3)),
        Step::DuringSend => emu.inject("sendMessage", [sandbox::telegram::Fault::Hang(hang)]),
        Step::AfterAccept => emu.inject(
            "sendMessage",
            [sandbox::telegram::Fault::StoredThenHang(hang)],
        ),
        Step::AfterRecord => {}
    }
    let env = [("SECRET_KEY", TEST_SECRET_KEY)];
    let first = Worker::start_as("worker", emu, Some(avito), test_db, &env).await;
    let run = || async {
        report_run::Entity::find()
            .filter(report_run::Column::TaskId.eq(task.id))
            .one(conn)
            .await
            .expect("query")
    };
    let reached = match step {
        Step::BeforeSend => "the delivery started",
        Step::DuringSend => "the report is with Telegram",
        Step::AfterAccept => "Telegram stored the report",
        Step::AfterRecord => "the delivery is recorded",
    };
    common::eventually(reached, common::BOT_WAIT, || async {
        match step {
            Step::BeforeSend => run().await.filter(|r| r.status == RunStatus::Pending),
            Step::DuringSend => (emu.pending_faults("sendMessage") == 0)
                .then_some(())
                .and(run().await),
            Step::AfterAccept => (!bot_texts(emu, user.id()).is_empty())
                .then_some(())
                .and(run().await),
            Step::AfterRecord => run().await.filter(|r| r.status == RunStatus::Sent),
        }
    })
    .await;
    first.kill().await;
    avito.set_latency(std::time::Duration::ZERO);

    let second = Worker::start_as("worker", emu, Some(avito), test_db, &env).await;
    common::eventually("the slot is recorded sent", common::BOT_WAIT, || async {
        run().await.filter(|r| r.status == RunStatus::Sent)
    })
    .await;
    common::watch_for_duplicates().await;
    let _ = second.terminate().await;
    bot_texts(emu, user.id())
        .into_iter()
        .filter(|t| t.contains("Report for") || t.starts_with("🔁"))
        .collect()
}

/// kill -9 at each step of a delivery, a real process each time, then a new one: nothing is
/// lost, nothing repeats unmarked, and only a report whose fate was unknown comes again, marked.
async fn a_delivery_killed_at_each_step_ends_once(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(TelegramConfig::without_limits())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    // What the owner sees, in order: R for a report, M for the 🔁 line before a copy.
    let shape = |seen: &[String]| -> String {
        seen.iter()
            .map(|t| if t.starts_with("🔁") { 'M' } else { 'R' })
            .collect()
    };

    let seen = killed_at(Step::BeforeSend, 6201, 1, &emu, &avito, &test_db, &conn).await;
    assert_eq!(shape(&seen), "R", "before sending: one report: {seen:#?}");

    let seen = killed_at(Step::DuringSend, 6202, 2, &emu, &avito, &test_db, &conn).await;
    assert_eq!(
        shape(&seen),
        "MR",
        "in flight: the report, marked: {seen:#?}"
    );

    let seen = killed_at(Step::AfterAccept, 6203, 1, &emu, &avito, &test_db, &conn).await;
    assert_eq!(
        shape(&seen),
        "RMR",
        "stored: the report and a marked copy: {seen:#?}"
    );
    assert_eq!(seen[0], seen[2], "the copy is the same report");

    let seen = killed_at(Step::AfterRecord, 6204, 2, &emu, &avito, &test_db, &conn).await;
    assert_eq!(shape(&seen), "R", "recorded: never again: {seen:#?}");

    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_killed_at_each_step_ends_once_on_sqlite() {
    a_delivery_killed_at_each_step_ends_once(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_killed_at_each_step_ends_once_on_postgres() {
    a_delivery_killed_at_each_step_ends_once(Engine::Postgres).await;
}
