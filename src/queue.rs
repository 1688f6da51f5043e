//! The database-backed job queue (apalis): SQLite for the embedded default, PostgreSQL in
//! production, both on the application's own connection pool.

use apalis::prelude::{TaskBuilder, TaskSink, TaskSinkError};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};

use crate::domain::{ExportId, ProfileId, TaskId, clock};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job queue does not support the {0} database")]
    Unsupported(String),
    #[error("queueing a job failed: {0}")]
    Push(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Deliver one scheduled slot of a task, as planned under one schedule version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverReport {
    pub task_id: TaskId,
    pub version: i64,
    /// The slot, as Unix seconds.
    pub slot: i64,
    /// 0 for the planned delivery; retries after an Avito failure count up.
    #[serde(default)]
    pub attempt: u32,
    /// Set by `jobs rerun`: deliver a slot recorded failed.
    #[serde(default)]
    pub rerun: bool,
    /// Times this job looked again because another delivery held the slot.
    #[serde(default)]
    pub recheck: u32,
    /// When the first attempt started (Unix seconds), carried by the retries: the slot's
    /// time budget counts from it.
    #[serde(default)]
    pub first_attempt_at: Option<i64>,
}

impl DeliverReport {
    /// The planned (first) delivery of `task`'s `slot` under its current schedule version.
    pub fn planned(task: &crate::db::entities::report_task::Model, slot: DateTime<Utc>) -> Self {
        Self {
            task_id: task.id,
            version: task.schedule_version,
            slot: slot.timestamp(),
            attempt: 0,
            rerun: false,
            recheck: 0,
            first_attempt_at: None,
        }
    }

    pub fn slot_time(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.slot, 0)
    }

    /// Two pushes of one (task, version, slot, attempt) are one job.
    pub fn idempotency_key(&self) -> String {
        let mut key = format!(
            "report:{}:v{}:{}:a{}",
            self.task_id, self.version, self.slot, self.attempt
        );
        if self.recheck > 0 {
            key.push_str(&format!(":c{}", self.recheck));
        }
        if self.rerun {
            key.push_str(&format!(":rerun{}", clock::now().timestamp_millis()));
        }
        key
    }
}

/// Export a profile's Messenger chats to Excel (an `exports` row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportChats {
    pub export_id: ExportId,
}

/// Check one alert rule of a profile for one check window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAlert {
    pub profile_id: ProfileId,
    pub rule: crate::domain::alerts::AlertRule,
    /// The window's start, Unix seconds (the application's clock).
    pub window: i64,
}

impl CheckAlert {
    /// One job per (profile, rule, window), however many processes plan it.
    pub fn idempotency_key(&self) -> String {
        format!("alert:{}:{}:{}", self.profile_id, self.rule, self.window)
    }
}

/// The queues, on the application's pool.
#[derive(Clone)]
pub enum JobQueue {
    Sqlite {
        reports: SqliteStorage<DeliverReport>,
        exports: SqliteStorage<ExportChats>,
        checks: SqliteStorage<CheckAlert>,
    },
    Postgres {
        reports: PostgresStorage<DeliverReport>,
        exports: PostgresStorage<ExportChats>,
        checks: PostgresStorage<CheckAlert>,
    },
}

impl JobQueue {
    pub fn new(db: &DatabaseConnection, config: impl Into<QueueConfig>) -> Result<Self, JobError> {
        let settings = &config.into();
        Ok(match db.get_database_backend() {
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                JobQueue::Sqlite {
                    reports: SqliteStorage::new(pool)
                        .with_config(sqlite_config(REPORTS_QUEUE, settings)),
                    exports: SqliteStorage::new(pool)
                        .with_config(sqlite_config(EXPORTS_QUEUE, settings)),
                    checks: SqliteStorage::new(pool)
                        .with_config(sqlite_config(CHECKS_QUEUE, settings)),
                }
            }
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                JobQueue::Postgres {
                    reports: PostgresStorage::new(pool)
                        .with_config(postgres_config(REPORTS_QUEUE, settings)),
                    exports: PostgresStorage::new(pool)
                        .with_config(postgres_config(EXPORTS_QUEUE, settings)),
                    checks: PostgresStorage::new(pool)
                        .with_config(postgres_config(CHECKS_QUEUE, settings)),
                }
            }
            other => return Err(JobError::Unsupported(format!("{other:?}"))),
        })
    }

    /// Queues a scheduled delivery to run at `run_at` (at once when that has passed). A job
    /// already queued under the same key is left as it is.
    pub async fn schedule_delivery(
        &self,
        job: DeliverReport,
        run_at: DateTime<Utc>,
    ) -> Result<(), JobError> {
        let key = job.idempotency_key();
        // Whole seconds, rounded up: the queue must never start a slot before its time.
        let system = crate::domain::clock::to_system(run_at);
        let when = system.timestamp() + i64::from(system.timestamp_subsec_nanos() > 0);
        let when = when.max(0) as u64;
        let task = TaskBuilder::new(job)
            .run_at_timestamp(when)
            .idempotency_key(&key)
            .max_attempts(3)
            .build();
        match self {
            JobQueue::Sqlite { reports, .. } => push(reports, task).await,
            JobQueue::Postgres { reports, .. } => push(reports, task).await,
        }
    }

    /// Queues an alert check to run at once; a check of the same window already queued (or
    /// done) is left as it is.
    pub async fn enqueue_check(&self, job: CheckAlert) -> Result<(), JobError> {
        let task = check_task(job);
        match self {
            JobQueue::Sqlite { checks, .. } => push(checks, task).await,
            JobQueue::Postgres { checks, .. } => push(checks, task).await,
        }
    }

    /// Queues many checks, a batch to a statement. A batch that meets a check already queued
    /// (planned before a restart, or by the process that led the planning before this one)
    /// is queued again without the checks the queue holds already, and only if that too
    /// meets one (queued meanwhile) one by one, each duplicate counting as queued.
    pub async fn enqueue_checks(
        &self,
        db: &DatabaseConnection,
        jobs: Vec<CheckAlert>,
    ) -> Result<(), JobError> {
        for batch in jobs.chunks(CHECK_BATCH) {
            if self.push_checks(batch).await? {
                continue;
            }
            let keys: Vec<String> = batch.iter().map(CheckAlert::idempotency_key).collect();
            let queued = queued_keys(db, CHECKS_QUEUE, &keys).await?;
            let missing: Vec<CheckAlert> = batch
                .iter()
                .zip(&keys)
                .filter(|(_, key)| !queued.contains(*key))
                .map(|(job, _)| job.clone())
                .collect();
            if missing.is_empty() || self.push_checks(&missing).await? {
                continue;
            }
            for job in missing {
                self.enqueue_check(job).await?;
            }
        }
        Ok(())
    }

    /// Pushes `batch` in one statement; `false` when one of them was queued already.
    async fn push_checks(&self, batch: &[CheckAlert]) -> Result<bool, JobError> {
        let tasks = batch.iter().cloned().map(check_task);
        match self {
            JobQueue::Sqlite { checks, .. } => push_batch(checks, tasks).await,
            JobQueue::Postgres { checks, .. } => push_batch(checks, tasks).await,
        }
    }

    /// Queues an export to start at once.
    pub async fn enqueue_export(&self, export_id: ExportId) -> Result<(), JobError> {
        let task = TaskBuilder::new(ExportChats { export_id })
            .idempotency_key(format!("export:{export_id}"))
            .max_attempts(3)
            .build();
        match self {
            JobQueue::Sqlite { exports, .. } => push(exports, task).await,
            JobQueue::Postgres { exports, .. } => push(exports, task).await,
        }
    }
}

/// The apalis queue of scheduled deliveries. The value is what `std::any::type_name` gave
/// when the queues were first named: jobs already stored under it must stay reachable, and a
/// constant does not change when a type is renamed or moved.
pub const REPORTS_QUEUE: &str = "avito_reports::jobs::queue::DeliverReport";
/// The apalis queue of chat exports (see [`REPORTS_QUEUE`] on the value).
pub const EXPORTS_QUEUE: &str = "avito_reports::jobs::queue::ExportChats";

/// The apalis queue of alert checks.
pub const CHECKS_QUEUE: &str = "avito_reports::queue::CheckAlert";

/// The queues by name, as the `queue` label of the queue-depth metric shows them, with the
/// queue name apalis stores as the job type.
fn queues() -> [(&'static str, &'static str); 3] {
    [
        ("reports", REPORTS_QUEUE),
        ("exports", EXPORTS_QUEUE),
        ("checks", CHECKS_QUEUE),
    ]
}

/// Jobs due and waiting for a worker in each queue (not those planned for later), in one
/// query.
pub async fn depths(db: &DatabaseConnection) -> Result<Vec<(&'static str, i64)>, JobError> {
    let (table, now) = match db.get_database_backend() {
        // `run_at` is Unix seconds; strftime gives text, which SQLite orders after any number.
        DbBackend::Sqlite => ("Jobs", "CAST(strftime('%s', 'now') AS INTEGER)"),
        DbBackend::Postgres => ("apalis.jobs", "now()"),
        other => return Err(JobError::Unsupported(format!("{other:?}"))),
    };
    let sql = format!(
        "SELECT job_type, COUNT(*) AS n FROM {table} \
         WHERE status IN ('Pending', 'Queued') AND run_at <= {now} GROUP BY job_type"
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map_err(crate::db::DbError::from)?;
    let mut counts = std::collections::HashMap::new();
    for row in rows {
        let job_type: String = row
            .try_get("", "job_type")
            .map_err(crate::db::DbError::from)?;
        let n: i64 = row.try_get("", "n").map_err(crate::db::DbError::from)?;
        counts.insert(job_type, n);
    }
    Ok(queues()
        .into_iter()
        .map(|(name, job_type)| (name, counts.get(job_type).copied().unwrap_or(0)))
        .collect())
}

/// Which of `keys` the queue `job_type` holds already (on PostgreSQL; SQLite's queue never
/// refuses a duplicate, it ignores it).
async fn queued_keys(
    db: &DatabaseConnection,
    job_type: &str,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, JobError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Default::default());
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT idempotency_key FROM apalis.jobs \
             WHERE job_type = $1 AND idempotency_key = ANY($2)",
            [job_type.into(), keys.to_vec().into()],
        ))
        .await
        .map_err(crate::db::DbError::from)?;
    let mut queued = std::collections::HashSet::with_capacity(rows.len());
    for row in rows {
        let key: String = row
            .try_get("", "idempotency_key")
            .map_err(crate::db::DbError::from)?;
        queued.insert(key);
    }
    Ok(queued)
}

/// How long finished jobs stay in the queue's tables (for `apalis` inspection); what was
/// delivered stays in `report_runs` and `exports` for good.
pub const FINISHED_JOBS_KEPT: std::time::Duration = std::time::Duration::from_secs(14 * 24 * 3600);

/// Deletes jobs that finished (done, killed, or failed with no attempts left) longer than
/// `kept` ago; apalis leaves them in its tables forever (about one row per delivered slot).
/// Returns how many were deleted.
pub async fn prune_finished(
    db: &DatabaseConnection,
    kept: std::time::Duration,
) -> Result<u64, JobError> {
    let Some(cutoff) = chrono::Duration::from_std(kept)
        .ok()
        .and_then(|kept| clock::now().checked_sub_signed(kept))
    else {
        return Ok(0); // kept longer than time goes back: nothing is old enough
    };
    let (table, cutoff): (&str, sea_orm::Value) = match db.get_database_backend() {
        // `done_at` is Unix seconds on SQLite, a timestamptz on PostgreSQL.
        DbBackend::Sqlite => ("Jobs", cutoff.timestamp().into()),
        DbBackend::Postgres => ("apalis.jobs", cutoff.into()),
        other => return Err(JobError::Unsupported(format!("{other:?}"))),
    };
    let sql = format!(
        "DELETE FROM {table} WHERE done_at < $1 AND (status IN ('Done', 'Killed') \
         OR (status = 'Failed' AND attempts >= max_attempts))"
    );
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [cutoff],
        ))
        .await
        .map_err(crate::db::DbError::from)?;
    Ok(done.rows_affected())
}

/// Checks queued in one statement.
const CHECK_BATCH: usize = 500;

/// A check's job: one attempt (a failed check is the next window's to repeat).
fn check_task(job: CheckAlert) -> apalis::prelude::Task<CheckAlert> {
    let key = job.idempotency_key();
    TaskBuilder::new(job)
        .idempotency_key(&key)
        .max_attempts(1)
        .build()
}

/// Pushes `tasks` at once; `false` when one of them was queued already (nothing is pushed
/// then on PostgreSQL, where the statement is refused whole).
async fn push_batch<S, Args, Kind>(
    storage: &S,
    tasks: impl Iterator<Item = apalis::prelude::Task<Args>> + Send,
) -> Result<bool, JobError>
where
    S: TaskSink<Args, Kind> + Clone,
    S::Error: UniqueViolation + std::fmt::Display,
    Args: Send,
{
    let stream = futures::stream::iter(tasks.collect::<Vec<_>>());
    match storage.clone().push_all(stream).await {
        Ok(()) => Ok(true),
        Err(TaskSinkError::PushError(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(JobError::Push(e.to_string())),
    }
}

/// Pushes one task; a job already queued under its idempotency key counts as queued
/// (SQLite ignores the second insert, PostgreSQL refuses it as a unique violation).
async fn push<S, Args, Kind>(storage: &S, task: apalis::prelude::Task<Args>) -> Result<(), JobError>
where
    S: TaskSink<Args, Kind> + Clone,
    S::Error: UniqueViolation + std::fmt::Display,
{
    match storage.clone().push_task(task).await {
        Ok(()) => Ok(()),
        Err(TaskSinkError::PushError(e)) if e.is_unique_violation() => Ok(()),
        Err(e) => Err(JobError::Push(e.to_string())),
    }
}

/// Whether a storage error is the database refusing a duplicate key (told by the database's
/// error kind, not by its text).
pub trait UniqueViolation {
    fn is_unique_violation(&self) -> bool;
}

impl UniqueViolation for apalis_postgres::Error {
    fn is_unique_violation(&self) -> bool {
        match self {
            apalis_postgres::Error::Database(e) => e
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation()),
            _ => false,
        }
    }
}

impl UniqueViolation for apalis_sqlite::Error {
    fn is_unique_violation(&self) -> bool {
        match self {
            apalis_sqlite::Error::Database(e) => e
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation()),
            _ => false,
        }
    }
}

/// What the queue's storages are set up with: this process's share of the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// Jobs one process fetches at a time (its concurrency).
    pub batch_size: usize,
    /// How often a worker says it is alive; its running jobs go back to the queue after two
    /// missed heartbeats.
    pub heartbeat: std::time::Duration,
}

fn sqlite_config(queue: &str, settings: &QueueConfig) -> apalis_sqlite::Config {
    apalis_sqlite::Config::default()
        .queue(queue)
        .batch_size(settings.batch_size)
        .heartbeat_interval(settings.heartbeat)
        .missed_heartbeats(2)
}

fn postgres_config(queue: &str, settings: &QueueConfig) -> apalis_postgres::Config {
    apalis_postgres::Config::default()
        .queue(queue)
        .batch_size(settings.batch_size)
        .heartbeat_interval(settings.heartbeat)
        .missed_heartbeats(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alerts::AlertRule;

    /// Payloads as earlier versions stored them in apalis' tables (ids as bare numbers) still
    /// decode, and are written the same way; the idempotency keys are unchanged too, so a job
    /// queued before an upgrade is not queued twice after it.
    #[test]
    fn payloads_in_todays_json_still_decode() {
        let stored = r#"{"task_id":3,"version":1,"slot":1700000000,"attempt":0,"rerun":false,"recheck":0,"first_attempt_at":null}"#;
        let job: DeliverReport = serde_json::from_str(stored).expect("a stored delivery");
        assert_eq!(job.task_id, TaskId(3));
        assert_eq!(serde_json::to_string(&job).ok().as_deref(), Some(stored));
        assert_eq!(job.idempotency_key(), "report:3:v1:1700000000:a0");
        // The oldest form, before the retry fields.
        let oldest: DeliverReport =
            serde_json::from_str(r#"{"task_id":3,"version":1,"slot":1700000000}"#)
                .expect("an old delivery");
        assert_eq!(oldest, DeliverReport { attempt: 0, ..job });

        let stored = r#"{"export_id":7}"#;
        let export: ExportChats = serde_json::from_str(stored).expect("a stored export");
        assert_eq!(export.export_id, ExportId(7));
        assert_eq!(serde_json::to_string(&export).ok().as_deref(), Some(stored));

        let stored = r#"{"profile_id":9,"rule":"wallet_low","window":1700000000}"#;
        let check: CheckAlert = serde_json::from_str(stored).expect("a stored check");
        assert_eq!(
            check,
            CheckAlert {
                profile_id: ProfileId(9),
                rule: AlertRule::WalletLow,
                window: 1_700_000_000,
            }
        );
        assert_eq!(serde_json::to_string(&check).ok().as_deref(), Some(stored));
        assert_eq!(check.idempotency_key(), "alert:9:wallet_low:1700000000");
    }
}
