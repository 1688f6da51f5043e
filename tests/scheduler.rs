//! Scheduled reports, black-box: worker processes (`run`, `worker`) against the Telegram and
//! Avito emulators and a fresh database on each engine. Slots are real minutes (a schedule set
//! in the hub for the next minute), or slots already past (seeded rows and a restart), so
//! nothing waits longer than a minute and a half.

mod common;

use std::time::Duration as StdDuration;

use avito_reports::db::entities::{avito_profile, report_run, report_task};
use avito_reports::db::profiles;
use avito_reports::db::tasks;
use avito_reports::db::{self};
use avito_reports::domain::TaskId;
use chrono::{DateTime, Duration, DurationRound, Utc};
use common::{
    Engine, Shift, TEST_SECRET_KEY, TestDatabase, Worker, bot_message_after, press, say, seed,
    test_secrets,
};
use sandbox::telegram::{SimUser, TelegramConfig, TelegramEmulator};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait};
use sea_orm::{QueryFilter, QueryOrder};

const MOSCOW: chrono_tz::Tz = chrono_tz::Europe::Moscow;
/// The heading every English report starts with.
const REPORT: &str = "Report for";

/// A slot as the HH:MM a person types in the hub (Moscow, the default zone).
fn hhmm(slot: DateTime<Utc>) -> String {
    slot.with_timezone(&MOSCOW).format("%H:%M").to_string()
}

/// How far before its slot a test's clock starts: time to set the schedule in the hub (and
/// restart a worker) before the slot passes.
const LEAD: StdDuration = StdDuration::from_secs(20);

/// Bot messages in `chat` containing `needle`.
fn bot_messages(emu: &TelegramEmulator, chat: i64, needle: &str) -> usize {
    emu.chat_messages(chat)
        .iter()
        .filter(|m| m.from_bot && m.text_or_caption().contains(needle))
        .count()
}

async fn scheduled_runs(conn: &DatabaseConnection, task_id: TaskId) -> Vec<report_run::Model> {
    report_run::Entity::find()
        .filter(report_run::Column::TaskId.eq(task_id))
        .filter(report_run::Column::Kind.eq("scheduled"))
        .order_by_asc(report_run::Column::Slot)
        .all(conn)
        .await
        .expect("runs")
}

async fn task(conn: &DatabaseConnection, id: TaskId) -> report_task::Model {
    tasks::by_id(conn, id).await.expect("query").expect("task")
}

fn telegram_config() -> TelegramConfig {
    TelegramConfig::without_limits()
}

/// The hub flow a person follows: add a profile, report chat "here", the time typed.
async fn schedule_in_hub(
    emu: &TelegramEmulator,
    worker: &Worker,
    conn: &DatabaseConnection,
    user: &SimUser,
    time: &str,
) -> avito_profile::Model {
    say(emu, worker, user, "/add_profile", "Step 1 of 3").await;
    say(emu, worker, user, "Bob's shop", "Step 2 of 3").await;
    say(emu, worker, user, "client-1", "Step 3 of 3").await;
    say(emu, worker, user, "secret-1", "added: Avito account").await;
    let profile = avito_profile::Entity::find()
        .filter(avito_profile::Column::OwnerId.eq(user.id()))
        .one(conn)
        .await
        .expect("query")
        .expect("profile added");
    let id = profile.id;
    let hub = say(emu, worker, user, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    for data in [
        format!("profile_view:{id}"),
        format!("profile_report:{id}"),
        format!("report_set_chat:{id}"),
        format!("report_chat_here:{id}"),
        format!("report_set_time:{id}"),
    ] {
        let answer = press(worker, user, user.id(), hub, &data).await;
        assert!(!answer.show_alert, "{data}: {answer:?}");
    }
    say(emu, worker, user, time, &format!("Report time: {time}")).await;
    profile
}

async fn hub_schedule_arrives_on_time_once_across_a_restart(engine: Engine) {
    let (shift, slot) = Shift::minute_ahead(LEAD);
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &[]).await
    else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let bob = emu.user(2001, "Bob", Some("en"));
    let profile = schedule_in_hub(&emu, &worker, &conn, &bob, &hhmm(slot)).await;
    let task_id = tasks::of_profile(&conn, profile.id)
        .await
        .expect("query")
        .expect("task")
        .id;
    // Planned at once, for the slot just set.
    common::eventually(
        "the slot is planned",
        StdDuration::from_secs(10),
        || async { (task(&conn, task_id).await.next_run_at == Some(slot)).then_some(()) },
    )
    .await;
    assert_eq!(bot_messages(&emu, bob.id(), REPORT), 0);

    // A restart before the slot: the job waits in the database.
    let status = worker.terminate().await;
    assert!(status.success());
    let (var, offset) = shift.var();
    let worker = Worker::start(&emu, Some(&avito), &test_db, &[(var, &offset)]).await;

    let wait = (slot - shift.now()).to_std().unwrap_or_default() + StdDuration::from_secs(40);
    let report = common::bot_message_within(&emu, &worker, bob.id(), 0, REPORT, wait).await;
    assert!(
        shift.now() >= slot,
        "the report came before its slot: {report:?}"
    );
    assert!(report.text_or_caption().contains("Bob's shop"));
    // Give a duplicate every chance to show up.
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_messages(&emu, bob.id(), REPORT),
        1,
        "exactly one report"
    );
    let runs = scheduled_runs(&conn, task_id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].slot, Some(slot));
    assert_eq!(runs[0].status.slug(), "sent");
    // The next slot (tomorrow) is planned.
    common::eventually(
        "the next slot is planned",
        StdDuration::from_secs(10),
        || async {
            (task(&conn, task_id).await.next_run_at == Some(slot + Duration::days(1))).then_some(())
        },
    )
    .await;
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_schedule_arrives_on_time_once_across_a_restart_on_sqlite() {
    hub_schedule_arrives_on_time_once_across_a_restart(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_schedule_arrives_on_time_once_across_a_restart_on_postgres() {
    hub_schedule_arrives_on_time_once_across_a_restart(Engine::Postgres).await;
}

async fn changed_schedule_fires_at_the_new_time_and_the_old_job_does_nothing(engine: Engine) {
    let (shift, first_slot) = Shift::minute_ahead(LEAD);
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &[]).await
    else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let ann = emu.user(2002, "Ann", Some("en"));
    let profile = schedule_in_hub(&emu, &worker, &conn, &ann, &hhmm(first_slot)).await;
    let task_id = tasks::of_profile(&conn, profile.id)
        .await
        .expect("query")
        .expect("task")
        .id;
    common::eventually(
        "the first slot is planned",
        StdDuration::from_secs(10),
        || async { (task(&conn, task_id).await.next_run_at == Some(first_slot)).then_some(()) },
    )
    .await;
    let planned_version = task(&conn, task_id).await.schedule_version;

    // Moved a minute later before the first slot: the first job becomes stale.
    let second_slot = first_slot + Duration::minutes(1);
    let second = hhmm(second_slot);
    let hub = say(&emu, &worker, &ann, "/profiles", "Your Avito profiles")
        .await
        .message_id;
    let id = profile.id;
    for data in [
        format!("profile_view:{id}"),
        format!("profile_report:{id}"),
        format!("report_set_time:{id}"),
    ] {
        press(&worker, &ann, ann.id(), hub, &data).await;
    }
    say(
        &emu,
        &worker,
        &ann,
        &second,
        &format!("Report time: {second}"),
    )
    .await;
    assert!(task(&conn, task_id).await.schedule_version > planned_version);
    common::eventually(
        "the new slot is planned",
        StdDuration::from_secs(10),
        || async { (task(&conn, task_id).await.next_run_at == Some(second_slot)).then_some(()) },
    )
    .await;

    // The old job runs at the first slot and does nothing.
    let wait = (first_slot - shift.now()).to_std().unwrap_or_default() + StdDuration::from_secs(30);
    common::eventually("the old job has run", wait, || async {
        worker.log().contains("outcome=Stale").then_some(())
    })
    .await;
    assert_eq!(
        bot_messages(&emu, ann.id(), REPORT),
        0,
        "nothing at the old time"
    );
    let wait =
        (second_slot - shift.now()).to_std().unwrap_or_default() + StdDuration::from_secs(40);
    common::bot_message_within(&emu, &worker, ann.id(), 0, REPORT, wait).await;
    assert!(
        shift.now() >= second_slot,
        "sent at the new time, not the old"
    );
    common::watch_for_duplicates().await;
    assert_eq!(bot_messages(&emu, ann.id(), REPORT), 1);
    let runs = scheduled_runs(&conn, task_id).await;
    assert_eq!(
        runs.iter().map(|r| r.slot).collect::<Vec<_>>(),
        vec![Some(second_slot)],
        "the stale job for the old time recorded nothing"
    );
    common::stop_stack(worker, avito, emu).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_schedule_fires_at_the_new_time_and_the_old_job_does_nothing_on_sqlite() {
    changed_schedule_fires_at_the_new_time_and_the_old_job_does_nothing(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_schedule_fires_at_the_new_time_and_the_old_job_does_nothing_on_postgres() {
    changed_schedule_fires_at_the_new_time_and_the_old_job_does_nothing(Engine::Postgres).await;
}

/// A calendar case lived through in the hub on a shifted clock: the profile's zone and
/// frequency pressed, the time chosen, then the slot comes once at `slot` and the next one
/// planned is `next`.
/// One step of setting a schedule in the hub: a button pressed (`{id}` is the profile), or
/// text typed and the bot's expected answer.
enum Act {
    Press(&'static str),
    Say(&'static str, &'static str),
}

async fn calendar_case(
    engine: Engine,
    settings: &[Act],
    time: &str,
    slot: DateTime<Utc>,
    next: DateTime<Utc>,
) {
    let shift = Shift::before(slot, LEAD);
    let Some((test_db, emu, avito, worker)) =
        common::start_shifted_stack(engine, &shift, &[]).await
    else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    let kim = emu.user(2010, "Kim", Some("en"));
    let id = common::add_profile(&emu, &worker, &test_db.url, &kim, "Kim's shop", 1).await;
    say(&emu, &worker, &kim, "/profiles", "Your Avito profiles").await;
    let mut acts = vec![
        Act::Press("profile_view:{id}"),
        Act::Press("profile_report:{id}"),
        Act::Press("report_set_chat:{id}"),
        Act::Press("report_chat_here:{id}"),
    ];
    acts.extend(settings.iter().map(|a| match a {
        Act::Press(data) => Act::Press(data),
        Act::Say(text, expect) => Act::Say(text, expect),
    }));
    acts.push(Act::Press("report_set_time:{id}"));
    for act in acts {
        match act {
            Act::Press(data) => {
                let data = data.replace("{id}", &id.to_string());
                // The screen is the hub message, or the one sent after typed text.
                let screen = common::last_bot_message(&emu, kim.id());
                let answer = press(&worker, &kim, kim.id(), screen, &data).await;
                assert!(!answer.show_alert, "{data}: {answer:?}");
            }
            Act::Say(text, expect) => {
                say(&emu, &worker, &kim, text, expect).await;
            }
        }
    }
    say(&emu, &worker, &kim, time, &format!("Report time: {time}")).await;
    let task_id = tasks::of_profile(&conn, id)
        .await
        .expect("query")
        .expect("task")
        .id;
    common::eventually(
        "the slot is planned",
        StdDuration::from_secs(10),
        || async { (task(&conn, task_id).await.next_run_at == Some(slot)).then_some(()) },
    )
    .await;
    let wait = (slot - shift.now()).to_std().unwrap_or_default() + StdDuration::from_secs(40);
    common::bot_message_within(&emu, &worker, kim.id(), 0, REPORT, wait).await;
    assert!(shift.now() >= slot, "the report came before its slot");
    common::eventually(
        "the next slot is planned",
        StdDuration::from_secs(10),
        || async { (task(&conn, task_id).await.next_run_at == Some(next)).then_some(()) },
    )
    .await;
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_messages(&emu, kim.id(), REPORT),
        1,
        "exactly one report"
    );
    let runs = scheduled_runs(&conn, task_id).await;
    assert_eq!(
        runs.iter().map(|r| r.slot).collect::<Vec<_>>(),
        vec![Some(slot)]
    );
    common::stop_stack(worker, avito, emu).await;
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("instant").to_utc()
}

/// Spring forward in Berlin (2027-03-28, 02:00 CET → 03:00 CEST): a daily 02:30 falls in the
/// gap and comes at 03:30 CEST that day, then at 02:30 CEST again.
async fn daily_in_berlin_across_spring_forward(engine: Engine) {
    calendar_case(
        engine,
        &[
            Act::Press("report_timezone:{id}"),
            Act::Say("Europe/Berlin", "Time zone: Europe/Berlin"),
        ],
        "02:30",
        utc("2027-03-28T01:30:00Z"),
        utc("2027-03-29T00:30:00Z"),
    )
    .await;
}

/// Fall back in Berlin (2026-10-25, 03:00 CEST → 02:00 CET): 02:30 happens twice that night;
/// the report comes at the first, once, and the next is 02:30 CET the day after.
async fn daily_in_berlin_across_fall_back(engine: Engine) {
    calendar_case(
        engine,
        &[
            Act::Press("report_timezone:{id}"),
            Act::Say("Europe/Berlin", "Time zone: Europe/Berlin"),
        ],
        "02:30",
        utc("2026-10-25T00:30:00Z"),
        utc("2026-10-26T01:30:00Z"),
    )
    .await;
}

/// Monthly on day 31 in a 30-day month comes on its last day, then on the 31st of the next.
async fn monthly_on_day_31_comes_on_the_last_day_of_april(engine: Engine) {
    calendar_case(
        engine,
        &[
            Act::Press("report_frequency:{id}"),
            Act::Press("freq_set:{id}:monthly"),
            Act::Say("31", "Frequency: monthly on day 31"),
            Act::Press("profile_report:{id}"),
        ],
        "09:00",
        utc("2027-04-30T06:00:00Z"),
        utc("2027-05-31T06:00:00Z"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn daily_in_berlin_across_spring_forward_on_sqlite() {
    daily_in_berlin_across_spring_forward(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn daily_in_berlin_across_spring_forward_on_postgres() {
    daily_in_berlin_across_spring_forward(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn daily_in_berlin_across_fall_back_on_sqlite() {
    daily_in_berlin_across_fall_back(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn daily_in_berlin_across_fall_back_on_postgres() {
    daily_in_berlin_across_fall_back(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn monthly_on_day_31_comes_on_the_last_day_of_april_on_sqlite() {
    monthly_on_day_31_comes_on_the_last_day_of_april(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn monthly_on_day_31_comes_on_the_last_day_of_april_on_postgres() {
    monthly_on_day_31_comes_on_the_last_day_of_april(Engine::Postgres).await;
}

async fn missed_slots_inside_the_grace_window_come_once_older_ones_are_skipped(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(telegram_config())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let now = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .expect("trunc");
    // Down since before both slots: one 5 minutes ago (inside a 20-minute grace), one
    // 40 minutes ago (outside).
    let recent = emu.user(3001, "Recent", Some("en"));
    recent.send_text("/start");
    let old = emu.user(3002, "Old", Some("en"));
    old.send_text("/start");
    let (_, inside) = seed(
        &conn,
        recent.id(),
        1,
        recent.id(),
        now - Duration::minutes(5),
    )
    .await;
    let (_, outside) = seed(&conn, old.id(), 2, old.id(), now - Duration::minutes(40)).await;

    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[
            ("SECRET_KEY", TEST_SECRET_KEY),
            ("MISSED_REPORT_GRACE", "20m"),
        ],
    )
    .await;
    bot_message_after(&emu, &worker, recent.id(), 0, REPORT).await;
    common::eventually(
        "the old slot is recorded",
        StdDuration::from_secs(20),
        || async {
            let runs = scheduled_runs(&conn, outside.id).await;
            (!runs.is_empty()).then_some(runs)
        },
    )
    .await;
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_messages(&emu, recent.id(), REPORT),
        1,
        "one late report"
    );
    assert_eq!(
        bot_messages(&emu, old.id(), REPORT),
        0,
        "no report past the grace"
    );
    let skipped = scheduled_runs(&conn, outside.id).await;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].status.slug(), "skipped");
    let sent = scheduled_runs(&conn, inside.id).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status.slug(), "sent");
    // Both move on to tomorrow's slot.
    for (t, slot) in [
        (inside.id, now - Duration::minutes(5)),
        (outside.id, now - Duration::minutes(40)),
    ] {
        common::eventually(
            "tomorrow is planned",
            StdDuration::from_secs(10),
            || async {
                (task(&conn, t).await.next_run_at == Some(slot + Duration::days(1))).then_some(())
            },
        )
        .await;
    }
    worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missed_slots_inside_the_grace_window_come_once_older_ones_are_skipped_on_sqlite() {
    missed_slots_inside_the_grace_window_come_once_older_ones_are_skipped(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missed_slots_inside_the_grace_window_come_once_older_ones_are_skipped_on_postgres() {
    missed_slots_inside_the_grace_window_come_once_older_ones_are_skipped(Engine::Postgres).await;
}

async fn blocked_destination_deactivates_the_task_and_tells_the_owner(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(telegram_config())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let owner = emu.user(3101, "Owner", Some("en"));
    owner.send_text("/start");
    let group = emu.group(-4_000_001, "Sales team");
    emu.set_bot_kicked(group.id(), true);
    let (_, seeded) = seed(
        &conn,
        owner.id(),
        1,
        group.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;

    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[("SECRET_KEY", TEST_SECRET_KEY)],
    )
    .await;
    let notice = bot_message_after(&emu, &worker, owner.id(), 0, "can no longer post").await;
    assert!(notice.text_or_caption().contains("Shop 1"), "{notice:?}");
    let t = task(&conn, seeded.id).await;
    assert!(!t.is_active, "the task is paused");
    assert!(t.schedule_version > seeded.schedule_version);
    let runs = scheduled_runs(&conn, seeded.id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.slug(), "failed");
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_messages(&emu, owner.id(), "can no longer post"),
        1,
        "told once"
    );
    worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_destination_deactivates_the_task_and_tells_the_owner_on_sqlite() {
    blocked_destination_deactivates_the_task_and_tells_the_owner(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_destination_deactivates_the_task_and_tells_the_owner_on_postgres() {
    blocked_destination_deactivates_the_task_and_tells_the_owner(Engine::Postgres).await;
}

/// Two `worker` processes share one PostgreSQL and hundreds of due slots: every slot is
/// delivered exactly once, and both processes take part.
#[tokio::test(flavor = "multi_thread")]
async fn two_workers_on_one_postgres_deliver_each_of_hundreds_of_slots_once() {
    const TASKS: u32 = 240;
    let Some((test_db, conn)) = common::seeded_db(Engine::Postgres).await else {
        return;
    };
    // Telegram's flood limits enforced: two processes at half the rate each stay under them.
    let emu = TelegramEmulator::start(TelegramConfig::default())
        .await
        .expect("tg");
    let avito = sandbox::avito::AvitoEmulator::start(sandbox::avito::AvitoConfig {
        rate_window: common::TEST_AVITO_RATE_WINDOW,
        accounts: (1..=TASKS)
            .map(sandbox::avito::AccountSpec::generated)
            .collect(),
        ..sandbox::avito::AvitoConfig::default()
    })
    .await
    .expect("avito");
    let lead = StdDuration::from_secs(10);
    let (_, next) = Shift::minute_ahead(lead);
    let mut groups = Vec::new();
    for n in 1..=TASKS {
        let group = emu.group(-5_000_000 - i64::from(n), &format!("Team {n}"));
        let (_, t) = seed(&conn, 10_000 + i64::from(n), n, group.id(), next).await;
        // Unplanned, as a fresh task: both planners race to plan it. Text only: the test is
        // about each slot once across processes, and 480 charts would only load the machine.
        report_task::ActiveModel {
            id: Set(t.id),
            next_run_at: Set(None),
            charts: Set(false),
            ..Default::default()
        }
        .update(&conn)
        .await
        .expect("unplan");
        groups.push(group.id());
    }
    // The clock is set once the tasks are in: seeding 240 of them on a loaded machine took
    // longer than the lead, the slot had passed when the workers planned, and they rightly
    // planned the next day's.
    let shift = Shift::before(next, lead);
    let (var, offset) = shift.var();
    let env = [
        ("SECRET_KEY", TEST_SECRET_KEY),
        ("TELEGRAM_MESSAGES_PER_SEC", "15"),
        (var, offset.as_str()),
    ];
    let a = Worker::start_as("worker", &emu, Some(&avito), &test_db, &env).await;
    let b = Worker::start_as("worker", &emu, Some(&avito), &test_db, &env).await;

    // A bound on liveness, not a speed figure (the burst bench measures that): generous, so
    // that a loaded machine does not fail it.
    let wait = (next - shift.now()).to_std().unwrap_or_default() + StdDuration::from_secs(150);
    common::eventually("every slot delivered", wait, || async {
        let delivered = groups
            .iter()
            .filter(|g| bot_messages(&emu, **g, REPORT) > 0)
            .count();
        (delivered == TASKS as usize).then_some(())
    })
    .await;
    common::watch_for_duplicates().await;
    for g in &groups {
        assert_eq!(bot_messages(&emu, *g, REPORT), 1, "group {g}: exactly once");
    }
    let runs = report_run::Entity::find()
        .filter(report_run::Column::Kind.eq("scheduled"))
        .all(&conn)
        .await
        .expect("runs");
    assert_eq!(runs.len(), TASKS as usize);
    assert!(
        runs.iter()
            .all(|r| r.status.slug() == "sent" && r.slot == Some(next))
    );
    let sent_by = |w: &Worker| w.log().matches("outcome=Sent").count();
    let (by_a, by_b) = (sent_by(&a), sent_by(&b));
    assert_eq!(by_a + by_b, TASKS as usize, "a: {by_a}, b: {by_b}");
    assert!(
        by_a > 0 && by_b > 0,
        "both processes delivered: a {by_a}, b {by_b}"
    );
    // Two processes at half the rate each can still meet in one second now and then (more
    // often on a loaded machine, where sends leave late); those 429s were waited out, as
    // every slot above arrived exactly once. Unpaced processes (30/s each against a 30/s
    // limit) would be refused about half their sends; how few 429s paced sending meets is
    // measured by `benches/scheduled_burst.rs`, not asserted here.
    let refused = emu.rate_limited_count();
    assert!(
        refused * 4 < TASKS as usize,
        "paced: {refused} 429s for {TASKS} sends"
    );
    a.terminate().await;
    b.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

/// Runs the CLI against the test database and returns (success, stdout + stderr).
async fn cli(test_db: &TestDatabase, args: &[&str]) -> (bool, String) {
    let out = common::worker_command(test_db.dir.path())
        .args(args)
        .env("DATABASE_URL", test_db.url.as_str())
        .env("SECRET_KEY", TEST_SECRET_KEY)
        .output()
        .await
        .expect("cli runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn avito_outage_retries_then_fails_once_and_the_cli_reruns_it(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(telegram_config())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let owner = emu.user(3301, "Lee", Some("en"));
    owner.send_text("/start");
    let admin = emu.user(3399, "Admin", Some("en"));
    admin.send_text("/start");
    let (_, seeded) = seed(
        &conn,
        owner.id(),
        1,
        owner.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;
    // Avito is down: every operation answers 503.
    avito.set_fault("*", sandbox::avito::Fault::Status(503));
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[
            ("SECRET_KEY", TEST_SECRET_KEY),
            ("REPORT_ATTEMPTS", "3"),
            ("REPORT_RETRY_BACKOFF_SEC", "0.5"),
            ("ADMIN_CHAT_ID", "3399"),
        ],
    )
    .await;
    let notice = common::bot_message_within(
        &emu,
        &worker,
        owner.id(),
        0,
        "could not be made",
        StdDuration::from_secs(90),
    )
    .await;
    assert!(notice.text_or_caption().contains("Shop 1"), "{notice:?}");
    // The admin is not a user of the bot: alerts go in the bot's default language.
    bot_message_after(&emu, &worker, admin.id(), 0, "после 3 попыток").await;
    let runs = scheduled_runs(&conn, seeded.id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.slug(), "failed");
    assert_eq!(runs[0].attempts, 3, "every attempt was made");
    assert!(
        runs[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("unavailable"),
        "{:?}",
        runs[0].error
    );
    common::watch_for_duplicates().await;
    assert_eq!(
        bot_messages(&emu, owner.id(), "could not be made"),
        1,
        "told once, not per retry"
    );
    assert_eq!(bot_messages(&emu, owner.id(), REPORT), 0);

    // Visible in the CLI, and re-run once Avito is back.
    let (ok, listing) = cli(&test_db, &["jobs", "list", "--status", "failed"]).await;
    assert!(ok, "{listing}");
    let run_id = runs[0].id.to_string();
    assert!(
        listing.contains(&run_id) && listing.contains("failed"),
        "{listing}"
    );
    let (ok, refused) = cli(&test_db, &["jobs", "rerun", "999999"]).await;
    assert!(
        !ok && refused.contains("no delivery with run id 999999"),
        "{refused}"
    );
    avito.clear_faults();
    let (ok, queued) = cli(&test_db, &["jobs", "rerun", &run_id]).await;
    assert!(ok, "{queued}");
    bot_message_after(&emu, &worker, owner.id(), 0, REPORT).await;
    common::eventually(
        "the rerun is recorded",
        StdDuration::from_secs(10),
        || async {
            let runs = scheduled_runs(&conn, seeded.id).await;
            (runs.len() == 1 && runs[0].status.slug() == "sent").then_some(())
        },
    )
    .await;
    let (ok, again) = cli(&test_db, &["jobs", "rerun", &run_id]).await;
    assert!(!ok && again.contains("only a failed delivery"), "{again}");
    worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn avito_outage_retries_then_fails_once_and_the_cli_reruns_it_on_sqlite() {
    avito_outage_retries_then_fails_once_and_the_cli_reruns_it(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn avito_outage_retries_then_fails_once_and_the_cli_reruns_it_on_postgres() {
    avito_outage_retries_then_fails_once_and_the_cli_reruns_it(Engine::Postgres).await;
}

async fn refused_credentials_mark_the_profile_and_tell_owner_and_admin(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(telegram_config())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let owner = emu.user(3401, "Max", Some("en"));
    owner.send_text("/start");
    let admin = emu.user(3499, "Admin", Some("en"));
    admin.send_text("/start");
    let (profile, seeded) = seed(
        &conn,
        owner.id(),
        1,
        owner.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;
    // The secret was revoked in Avito: the stored one no longer works.
    avito_profile::ActiveModel {
        id: Set(profile.id),
        client_secret_enc: Set(test_secrets().encrypt("revoked-secret").expect("encrypt")),
        ..Default::default()
    }
    .update(&conn)
    .await
    .expect("revoke");
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[("SECRET_KEY", TEST_SECRET_KEY), ("ADMIN_CHAT_ID", "3499")],
    )
    .await;
    bot_message_after(
        &emu,
        &worker,
        owner.id(),
        0,
        "no longer accepts the credentials",
    )
    .await;
    let alert = bot_message_after(&emu, &worker, admin.id(), 0, "отклонил ключи").await;
    assert!(
        !alert.text_or_caption().contains("revoked-secret"),
        "no secret in alerts"
    );
    let p = profiles::find(&conn, profile.id)
        .await
        .expect("q")
        .expect("p");
    assert_eq!(p.status.slug(), "auth_failed");
    // The profile's alert checks (new reviews and blocked listings are on for a new profile)
    // may meet the refusal first and tell it; the slot still ends failed, once.
    let run = common::eventually("the slot ends", common::BOT_WAIT, || async {
        scheduled_runs(&conn, seeded.id)
            .await
            .into_iter()
            .next()
            .filter(|r| matches!(r.status.slug(), "sent" | "failed" | "skipped"))
    })
    .await;
    assert_eq!(run.status.slug(), "failed");
    assert_eq!(run.attempts, 1, "no retries with refused credentials");
    worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_mark_the_profile_and_tell_owner_and_admin_on_sqlite() {
    refused_credentials_mark_the_profile_and_tell_owner_and_admin(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_mark_the_profile_and_tell_owner_and_admin_on_postgres() {
    refused_credentials_mark_the_profile_and_tell_owner_and_admin(Engine::Postgres).await;
}

/// A permanent refusal (403 on statistics, then a 400) is not retried: the slot ends on its
/// first attempt with the report saying why for the metrics concerned, while a transient
/// failure would have been retried (`avito_outage_retries_then_fails_once…`).
const WAIT_RECORD: StdDuration = StdDuration::from_secs(10);

async fn permanent_avito_failures_end_the_slot_at_once(engine: Engine) {
    let Some((test_db, conn)) = common::seeded_db(engine).await else {
        return;
    };
    let emu = TelegramEmulator::start(telegram_config())
        .await
        .expect("tg");
    let avito = common::start_avito().await;
    let owner = emu.user(3501, "Ada", Some("en"));
    owner.send_text("/start");
    avito.set_fault("itemAnalytics", sandbox::avito::Fault::Status(403));
    let (_, first) = seed(
        &conn,
        owner.id(),
        1,
        owner.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[
            ("SECRET_KEY", TEST_SECRET_KEY),
            ("REPORT_ATTEMPTS", "3"),
            ("REPORT_RETRY_BACKOFF_SEC", "0.5"),
        ],
    )
    .await;
    let report = bot_message_after(&emu, &worker, owner.id(), 0, REPORT).await;
    assert!(
        report.text_or_caption().contains("no access"),
        "the owner reads why: {report:?}"
    );
    let runs = common::eventually("the run is recorded sent", WAIT_RECORD, || async {
        let runs = scheduled_runs(&conn, first.id).await;
        (runs.first().map(|r| r.status.slug()) == Some("sent")).then_some(runs)
    })
    .await;
    assert_eq!(runs[0].attempts, 1, "a 403 is not retried");

    // A request Avito refuses (400) ends the slot at once too (a slot planned while the worker
    // was stopped: a new one queues it at start).
    assert!(worker.terminate().await.success());
    avito.set_fault("itemAnalytics", sandbox::avito::Fault::Status(400));
    let after = common::last_bot_message(&emu, owner.id());
    let (_, second) = seed(
        &conn,
        owner.id(),
        2,
        owner.id(),
        Utc::now() - Duration::minutes(1),
    )
    .await;
    let worker = Worker::start_as(
        "worker",
        &emu,
        Some(&avito),
        &test_db,
        &[
            ("SECRET_KEY", TEST_SECRET_KEY),
            ("REPORT_ATTEMPTS", "3"),
            ("REPORT_RETRY_BACKOFF_SEC", "0.5"),
        ],
    )
    .await;
    let report = bot_message_after(&emu, &worker, owner.id(), after, "Shop 2").await;
    assert!(
        report.text_or_caption().contains("HTTP 400"),
        "the owner reads why: {report:?}"
    );
    let runs = common::eventually("the run is recorded sent", WAIT_RECORD, || async {
        let runs = scheduled_runs(&conn, second.id).await;
        (runs.first().map(|r| r.status.slug()) == Some("sent")).then_some(runs)
    })
    .await;
    assert_eq!(runs[0].attempts, 1, "a 400 is not retried: {runs:?}");
    worker.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_avito_failures_end_the_slot_at_once_on_sqlite() {
    permanent_avito_failures_end_the_slot_at_once(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_avito_failures_end_the_slot_at_once_on_postgres() {
    permanent_avito_failures_end_the_slot_at_once(Engine::Postgres).await;
}
