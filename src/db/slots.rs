//! Scheduled deliveries as the database keeps them: which tasks need planning, and one
//! `report_runs` row per (task, slot) — the unique key that makes a retried or duplicated
//! job a no-op once its slot was sent.
//!
//! A delivery claims its row by bumping `attempts` with a compare-and-swap, so of two
//! copies of one job (an orphaned job re-run while the first copy still works) only one
//! proceeds.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::DbError;
use super::entities::{report_run, report_task};
use super::tasks::RunKind;
use crate::domain::clock;
use crate::domain::{ChatId, ProfileId, RunId, TaskId};

/// Statuses of `report_runs.status`, by their old names.
pub mod status {
    use crate::domain::RunStatus;
    pub const PENDING: RunStatus = RunStatus::Pending;
    pub const SENT: RunStatus = RunStatus::Sent;
    pub const FAILED: RunStatus = RunStatus::Failed;
    pub const SKIPPED: RunStatus = RunStatus::Skipped;
}

/// Active tasks with a destination whose next slot is not planned yet (new, changed or
/// re-activated), oldest first.
pub async fn tasks_to_plan(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<report_task::Model>, DbError> {
    use report_task::Column as C;
    Ok(report_task::Entity::find()
        .filter(C::IsActive.eq(true))
        .filter(C::ChatId.is_not_null())
        .filter(C::NextRunAt.is_null())
        .order_by_asc(C::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Active tasks whose planned slot falls within `(from, to]`.
pub async fn due_within(
    db: &DatabaseConnection,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<report_task::Model>, DbError> {
    use report_task::Column as C;
    Ok(report_task::Entity::find()
        .filter(C::IsActive.eq(true))
        .filter(C::ChatId.is_not_null())
        .filter(C::NextRunAt.gt(from))
        .filter(C::NextRunAt.lte(to))
        .order_by_asc(C::Id)
        .all(db)
        .await?)
}

/// Active tasks with a planned slot (on start-up their jobs are pushed again: a push is
/// idempotent, and a queue restored from an older backup gets its jobs back).
pub async fn planned_tasks(db: &DatabaseConnection) -> Result<Vec<report_task::Model>, DbError> {
    use report_task::Column as C;
    Ok(report_task::Entity::find()
        .filter(C::IsActive.eq(true))
        .filter(C::ChatId.is_not_null())
        .filter(C::NextRunAt.is_not_null())
        .order_by_asc(C::Id)
        .all(db)
        .await?)
}

/// Records `next` as the task's planned slot, unless the schedule changed meanwhile.
pub async fn set_planned(
    db: &DatabaseConnection,
    task_id: TaskId,
    version: i64,
    next: DateTime<Utc>,
) -> Result<bool, DbError> {
    use report_task::Column as C;
    let done = report_task::Entity::update_many()
        .col_expr(C::NextRunAt, Expr::value(next))
        .filter(C::Id.eq(task_id))
        .filter(C::ScheduleVersion.eq(version))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// After slot `done` was dealt with: the last slot and the planned next one, unless the
/// schedule changed meanwhile (then the planner plans the new version) or a later slot is
/// already planned (a late duplicate of an older job must not move the task back).
pub async fn advance(
    db: &DatabaseConnection,
    task_id: TaskId,
    version: i64,
    done: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
) -> Result<bool, DbError> {
    use report_task::Column as C;
    let result = report_task::Entity::update_many()
        .col_expr(C::LastRunAt, Expr::value(done))
        .col_expr(C::NextRunAt, Expr::value(next))
        .filter(C::Id.eq(task_id))
        .filter(C::ScheduleVersion.eq(version))
        .filter(
            sea_orm::Condition::any()
                .add(C::NextRunAt.is_null())
                .add(C::NextRunAt.lte(done)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A scheduled slot about to be delivered.
#[derive(Debug, Clone)]
pub struct SlotRun {
    pub task_id: TaskId,
    pub profile_id: ProfileId,
    pub slot: DateTime<Utc>,
    pub chat_id: ChatId,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// How far an earlier attempt of a run got: its messages as first sent, how many Telegram
/// accepted, and whether a send was under way (its outcome unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub chunks: Vec<String>,
    pub sent: usize,
    pub uncertain: bool,
}

impl Resume {
    fn of(row: &report_run::Model) -> Option<Self> {
        let chunks: Vec<String> = serde_json::from_str(row.chunks.as_deref()?).ok()?;
        Some(Self {
            chunks,
            sent: usize::try_from(row.chunks_sent).unwrap_or(0),
            uncertain: row.sending,
        })
    }
}

/// The outcome of [`claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery holds the slot; `attempt` is its number (1 for the first).
    Claimed {
        run_id: RunId,
        attempt: i32,
        /// Where an earlier attempt of this run got to, if it got as far as sending.
        resume: Option<Resume>,
    },
    /// The slot was already dealt with (`sent`, `skipped`, or `failed` without a re-run).
    Done { status: crate::domain::RunStatus },
    /// Another copy of the job claimed it a moment ago.
    Lost,
    /// Another delivery holds the slot and renewed its claim recently: it may still be
    /// working (a job handed to a second worker while the first is only slow). Look again
    /// at `until`, when the claim runs out unless renewed.
    Busy { until: DateTime<Utc> },
}

/// Claims the slot's row for this delivery. `rerun` also takes a slot recorded failed. A
/// pending row is taken over only when its claim was not renewed within `lease` (its
/// delivery died).
pub async fn claim(
    db: &DatabaseConnection,
    run: &SlotRun,
    rerun: bool,
    lease: chrono::Duration,
) -> Result<Claim, DbError> {
    use report_run::Column as C;
    let now = clock::now();
    let inserted = report_run::Entity::insert(report_run::ActiveModel {
        task_id: Set(Some(run.task_id)),
        profile_id: Set(Some(run.profile_id)),
        kind: Set(RunKind::Scheduled),
        slot: Set(Some(run.slot)),
        chat_id: Set(run.chat_id),
        period_start: Set(Some(run.period_start)),
        period_end: Set(Some(run.period_end)),
        status: Set(status::PENDING),
        attempts: Set(1),
        error: Set(None),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([C::TaskId, C::Slot])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = slot_row(db, run.task_id, run.slot)
        .await?
        .ok_or(DbError::Query(sea_orm::DbErr::RecordNotFound(
            "the slot's run row vanished".into(),
        )))?;
    if inserted == 1 {
        return Ok(Claim::Claimed {
            run_id: row.id,
            attempt: row.attempts,
            resume: None,
        });
    }
    let takeable = row.status == status::PENDING || (rerun && row.status == status::FAILED);
    if !takeable {
        return Ok(Claim::Done { status: row.status });
    }
    if row.status == status::PENDING
        && let Some(renewed) = row.started_at
        && renewed + lease > now
    {
        return Ok(Claim::Busy {
            until: renewed + lease,
        });
    }
    let swapped = report_run::Entity::update_many()
        .col_expr(C::Attempts, Expr::value(row.attempts + 1))
        .col_expr(C::Status, Expr::value(status::PENDING))
        .col_expr(C::StartedAt, Expr::value(now))
        .col_expr(C::ChatId, Expr::value(run.chat_id))
        .filter(C::Id.eq(row.id))
        .filter(C::Attempts.eq(row.attempts))
        .filter(C::Status.eq(row.status))
        .exec(db)
        .await?;
    Ok(if swapped.rows_affected == 1 {
        Claim::Claimed {
            run_id: row.id,
            attempt: row.attempts + 1,
            resume: Resume::of(&row),
        }
    } else {
        Claim::Lost
    })
}

/// A held claim: its run and the attempt number its compare-and-swap set. Every write of
/// the claimed run carries it (see [`Fenced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimToken {
    pub run: RunId,
    pub attempt: i32,
}

/// Whether a write of a claimed run applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Fenced {
    Applied,
    /// Another delivery took the claim over (or the run ended): nothing was written.
    ClaimLost,
}

impl Fenced {
    /// `Err(DbError::ClaimLost)` when nothing was written, for `?` to stop the delivery.
    pub fn applied(self) -> Result<(), DbError> {
        match self {
            Fenced::Applied => Ok(()),
            Fenced::ClaimLost => Err(DbError::ClaimLost),
        }
    }
}

/// Renews a held claim (see [`claim`]); `ClaimLost` when another delivery took it over.
pub async fn renew(db: &DatabaseConnection, token: ClaimToken) -> Result<Fenced, DbError> {
    use report_run::Column as C;
    let update =
        report_run::Entity::update_many().col_expr(C::StartedAt, Expr::value(clock::now()));
    fenced(db, update, token).await
}

/// The run row of a task's slot.
pub async fn slot_row(
    db: &DatabaseConnection,
    task_id: TaskId,
    slot: DateTime<Utc>,
) -> Result<Option<report_run::Model>, DbError> {
    use report_run::Column as C;
    Ok(report_run::Entity::find()
        .filter(C::TaskId.eq(task_id))
        .filter(C::Slot.eq(slot))
        .one(db)
        .await?)
}

/// Stores the report's messages before the first is sent: a later attempt of this run sends
/// the rest of these.
pub async fn freeze_chunks(
    db: &DatabaseConnection,
    token: ClaimToken,
    chunks: &[String],
) -> Result<Fenced, DbError> {
    use report_run::Column as C;
    let json = serde_json::to_string(chunks).unwrap_or_else(|_| "[]".to_owned());
    let update = report_run::Entity::update_many()
        .col_expr(C::Chunks, Expr::value(json))
        .col_expr(C::ChunksSent, Expr::value(0))
        .col_expr(C::Sending, Expr::value(false));
    fenced(db, update, token).await
}

/// Records that chunk number `chunks_sent` is being sent (`sending`), or that Telegram has
/// accepted `chunks_sent` chunks (`!sending`).
pub async fn record_progress(
    db: &DatabaseConnection,
    token: ClaimToken,
    chunks_sent: usize,
    sending: bool,
) -> Result<Fenced, DbError> {
    use report_run::Column as C;
    let update = report_run::Entity::update_many()
        .col_expr(
            C::ChunksSent,
            Expr::value(i32::try_from(chunks_sent).unwrap_or(i32::MAX)),
        )
        .col_expr(C::Sending, Expr::value(sending));
    fenced(db, update, token).await
}

/// Records the outcome of a claimed run: `error: None` is sent.
pub async fn finish(
    db: &DatabaseConnection,
    token: ClaimToken,
    outcome: crate::domain::RunStatus,
    error: Option<String>,
) -> Result<Fenced, DbError> {
    use report_run::Column as C;
    let update = report_run::Entity::update_many()
        .col_expr(C::Status, Expr::value(outcome))
        .col_expr(C::Error, Expr::value(error))
        .col_expr(C::FinishedAt, Expr::value(clock::now()));
    fenced(db, update, token).await
}

/// Keeps a claimed run pending with the reason of its latest failure, for the hub to show
/// while a retry waits.
pub async fn note_retry(
    db: &DatabaseConnection,
    token: ClaimToken,
    error: String,
) -> Result<Fenced, DbError> {
    use report_run::Column as C;
    let update = report_run::Entity::update_many().col_expr(C::Error, Expr::value(error));
    fenced(db, update, token).await
}

/// Applies `update` to the claimed run only while the claim is this delivery's: its row
/// still pending under the attempt the claim set. A delivery paused past its lease (a GC
/// pause, a suspended VM) must not write over the run of the one that took over.
async fn fenced(
    db: &DatabaseConnection,
    update: sea_orm::UpdateMany<report_run::Entity>,
    token: ClaimToken,
) -> Result<Fenced, DbError> {
    use report_run::Column as C;
    let done = update
        .filter(C::Id.eq(token.run))
        .filter(C::Attempts.eq(token.attempt))
        .filter(C::Status.eq(status::PENDING))
        .exec(db)
        .await?;
    Ok(if done.rows_affected == 1 {
        Fenced::Applied
    } else {
        Fenced::ClaimLost
    })
}

/// Records a slot that will not be delivered (missed during downtime, or superseded by a
/// later due slot). Does nothing if the slot already has a row.
pub async fn record_skipped(
    db: &DatabaseConnection,
    task: &report_task::Model,
    slot: DateTime<Utc>,
    reason: &str,
) -> Result<(), DbError> {
    use report_run::Column as C;
    let now = clock::now();
    report_run::Entity::insert(report_run::ActiveModel {
        task_id: Set(Some(task.id)),
        profile_id: Set(Some(task.profile_id)),
        kind: Set(RunKind::Scheduled),
        slot: Set(Some(slot)),
        chat_id: Set(task.chat_id.unwrap_or(ChatId(0))),
        period_start: Set(None),
        period_end: Set(None),
        status: Set(status::SKIPPED),
        attempts: Set(0),
        error: Set(Some(reason.to_owned())),
        started_at: Set(None),
        finished_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([C::TaskId, C::Slot])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Scheduled runs, newest first; `only` filters by status.
pub async fn recent(
    db: &DatabaseConnection,
    only: Option<crate::domain::RunStatus>,
    limit: u64,
) -> Result<Vec<report_run::Model>, DbError> {
    use report_run::Column as C;
    let mut query = report_run::Entity::find().filter(C::Kind.eq(RunKind::Scheduled));
    if let Some(status) = only {
        query = query.filter(C::Status.eq(status));
    }
    Ok(query
        .order_by_desc(C::Slot)
        .order_by_desc(C::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One run by id.
pub async fn run(
    db: &DatabaseConnection,
    run_id: RunId,
) -> Result<Option<report_run::Model>, DbError> {
    Ok(report_run::Entity::find_by_id(run_id).one(db).await?)
}
