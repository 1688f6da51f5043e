//! Writes of a claimed delivery are fenced by the claim's attempt: a worker frozen past its
//! lease (a long GC pause, a suspended VM) while sending part 2 of 3 is taken over by
//! another; when it wakes up it writes nothing over the other's run and sends no more. The
//! chat has each part once, or a 🔁-marked copy, never an unmarked duplicate.
//!
//! On PostgreSQL only: SQLite serves one process, and a process frozen in the middle of a
//! write (a heartbeat, a renewal) keeps the file's write lock for as long as it is frozen, so
//! no other process could take over there (runs of this test on SQLite failed that way now and
//! then). Resuming a delivery on SQLite is `delivery_progress`'s.

mod common;

use std::time::Duration as StdDuration;

use avito_reports::db::entities::report_run;
use avito_reports::domain::RunStatus;
use chrono::{Duration, DurationRound, Utc};
use common::runs::{PARTS, bot_texts, interrupted_run};
use common::{Engine, TEST_SECRET_KEY, Worker, seed};
use sandbox::telegram::{Fault, TelegramConfig, TelegramEmulator};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Copies of `part` not right after a 🔁 line.
fn unmarked(seen: &[String], part: &str) -> usize {
    seen.iter()
        .enumerate()
        .filter(|(i, t)| t.as_str() == part && (*i == 0 || !seen[i - 1].starts_with("🔁")))
        .count()
}

async fn a_frozen_worker_taken_over_sends_no_more(engine: Engine) {
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
    let owner = emu.user(6201, "Frozen", Some("en"));
    owner.send_text("/start");
    let (_, task) = seed(&conn, owner.id(), 1, owner.id(), slot).await;
    interrupted_run(&conn, task.id, owner.id(), slot, 1, false).await;
    // Part two is stored and its answer comes late: the first worker is inside that send
    // when it is frozen.
    emu.inject(
        "sendMessage",
        [Fault::StoredThenHang(StdDuration::from_secs(3))],
    );
    let env = [("SECRET_KEY", TEST_SECRET_KEY)];
    let first = Worker::start_as("worker", &emu, Some(&avito), &test_db, &env).await;
    common::eventually("the first worker sends part two", common::BOT_WAIT, || {
        let seen = bot_texts(&emu, owner.id());
        async move { seen.iter().any(|t| t == PARTS[1]).then_some(()) }
    })
    .await;
    first.signal("STOP");
    let second = Worker::start_as("worker", &emu, Some(&avito), &test_db, &env).await;
    let run_of = || {
        let conn = conn.clone();
        async move {
            report_run::Entity::find()
                .filter(report_run::Column::TaskId.eq(task.id))
                .one(&conn)
                .await
                .expect("query")
                .filter(|r| r.status == RunStatus::Sent)
        }
    };
    // The queue hands the frozen worker's job on after two missed heartbeats, and the
    // claim is taken over when its lease ran out; a loaded machine may take a while.
    let deadline = tokio::time::Instant::now() + common::BOT_WAIT * 2;
    let taken_over = loop {
        if let Some(run) = run_of().await {
            break run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second worker did not send the run; chat: {:#?}\nfirst worker:\n{}\nsecond worker:\n{}",
            bot_texts(&emu, owner.id()),
            first.log(),
            second.log()
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    };
    first.signal("CONT");
    // Longer than the lease (3 heartbeats of 2 s): the first worker wakes up, hears part
    // two accepted, and finds its claim lost.
    tokio::time::sleep(StdDuration::from_secs(8)).await;
    // A loaded machine (CI runs many tests at once) may take a while to schedule it again.
    common::eventually(
        "the first worker finds its claim taken over",
        common::BOT_WAIT * 2,
        || {
            let noticed = first.log().contains("taken over");
            async move { noticed.then_some(()) }
        },
    )
    .await;

    let seen = bot_texts(&emu, owner.id());
    assert!(
        !seen.iter().any(|t| t == PARTS[0]),
        "an accepted part is never sent again: {seen:#?}"
    );
    for part in &PARTS[1..] {
        assert!(seen.iter().any(|t| t == part), "{part} arrived: {seen:#?}");
        assert!(
            unmarked(&seen, part) <= 1,
            "no unmarked duplicate of {part}: {seen:#?}"
        );
    }
    let run = run_of().await.expect("still sent");
    assert_eq!(run.attempts, taken_over.attempts, "the second worker's run");
    assert_eq!(
        run.attempts, 3,
        "claimed by the first worker, then by the second"
    );
    assert_eq!(run.chunks_sent, 3);
    assert!(!run.sending);
    let _ = first.terminate().await;
    let _ = second.terminate().await;
    avito.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_worker_taken_over_sends_no_more_on_postgres() {
    a_frozen_worker_taken_over_sends_no_more(Engine::Postgres).await;
}
