//! The job queue's own bookkeeping on both engines: what `/metrics` counts as waiting, and the
//! clearing of long-finished jobs, against the real apalis tables.

mod common;

use std::time::Duration;

use avito_reports::config::JobSettings;
use avito_reports::db;
use avito_reports::domain::{ExportId, TaskId};
use avito_reports::jobs::{self, DeliverReport, JobQueue};
use chrono::Utc;
use common::{Engine, TestDatabase};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

fn job(task_id: TaskId, slot: chrono::DateTime<Utc>) -> DeliverReport {
    DeliverReport {
        task_id,
        version: 1,
        slot: slot.timestamp(),
        attempt: 0,
        rerun: false,
        recheck: 0,
        first_attempt_at: None,
    }
}

async fn depth(conn: &DatabaseConnection, queue: &str) -> i64 {
    jobs::queue_depths(conn)
        .await
        .expect("depths")
        .into_iter()
        .find(|(q, _)| *q == queue)
        .map(|(_, n)| n)
        .expect("the queue is listed")
}

/// Marks the jobs of `job_type` that are due as finished `age` ago.
async fn finish_due_jobs(conn: &DatabaseConnection, job_type: &str, age: Duration) {
    let secs = age.as_secs() as i64;
    let sql = match conn.get_database_backend() {
        DbBackend::Sqlite => format!(
            "UPDATE Jobs SET status = 'Done', done_at = CAST(strftime('%s', 'now') AS INTEGER) - {secs} \
             WHERE job_type = $1 AND run_at <= CAST(strftime('%s', 'now') AS INTEGER)"
        ),
        _ => format!(
            "UPDATE apalis.jobs SET status = 'Done', done_at = now() - interval '{secs} seconds' \
             WHERE job_type = $1 AND run_at <= now()"
        ),
    };
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [job_type.into()],
    ))
    .await
    .expect("finish jobs");
}

async fn rows(conn: &DatabaseConnection) -> i64 {
    let sql = match conn.get_database_backend() {
        DbBackend::Sqlite => "SELECT COUNT(*) AS n FROM Jobs",
        _ => "SELECT COUNT(*) AS n FROM apalis.jobs",
    };
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n")
}

async fn due_jobs_are_counted_and_long_finished_ones_cleared(engine: Engine) {
    let Some(test_db) = TestDatabase::fresh(engine).await else {
        return;
    };
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let queue = JobQueue::new(&conn, &JobSettings::default()).expect("queue");
    let now = Utc::now();
    let due = now - chrono::Duration::minutes(1);
    let later = now + chrono::Duration::hours(1);
    queue
        .schedule_delivery(job(TaskId(1), due), due)
        .await
        .expect("push");
    queue
        .schedule_delivery(job(TaskId(2), due), due)
        .await
        .expect("push");
    queue
        .schedule_delivery(job(TaskId(3), later), later)
        .await
        .expect("push");
    queue
        .enqueue_export(ExportId(7))
        .await
        .expect("push export");
    assert_eq!(depth(&conn, "reports").await, 2, "the later job is not due");
    assert_eq!(depth(&conn, "exports").await, 1);

    let reports = avito_reports::queue::REPORTS_QUEUE;
    let exports = avito_reports::queue::EXPORTS_QUEUE;
    finish_due_jobs(&conn, reports, Duration::from_secs(30 * 24 * 3600)).await;
    finish_due_jobs(&conn, exports, Duration::from_secs(3600)).await;
    assert_eq!(depth(&conn, "reports").await, 0);
    assert_eq!(depth(&conn, "exports").await, 0);
    assert_eq!(rows(&conn).await, 4);

    let cleared = jobs::prune_finished(&conn, jobs::FINISHED_JOBS_KEPT)
        .await
        .expect("prune");
    assert_eq!(cleared, 2, "the two month-old finished deliveries");
    assert_eq!(
        rows(&conn).await,
        2,
        "the waiting job and the export finished an hour ago stay"
    );
    let again = jobs::prune_finished(&conn, jobs::FINISHED_JOBS_KEPT)
        .await
        .expect("prune");
    assert_eq!(again, 0);
}

#[tokio::test]
async fn due_jobs_are_counted_and_long_finished_ones_cleared_on_sqlite() {
    due_jobs_are_counted_and_long_finished_ones_cleared(Engine::Sqlite).await;
}

#[tokio::test]
async fn due_jobs_are_counted_and_long_finished_ones_cleared_on_postgres() {
    due_jobs_are_counted_and_long_finished_ones_cleared(Engine::Postgres).await;
}
