//! The `exports` table: one row per export request, with its status, progress and error.
//!
//! Statuses: `queued` → `running` → `done` | `failed`. A profile has at most one export of
//! each kind (chats, statistics) that is queued or running.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};

use crate::db::DbError;
use crate::db::entities::{avito_profile, export};

use crate::domain::clock;
use crate::domain::{ChatId, ExportId, ExportKind, ExportStatus, Period, ProfileId};

pub const QUEUED: ExportStatus = ExportStatus::Queued;
pub const RUNNING: ExportStatus = ExportStatus::Running;
pub const DONE: ExportStatus = ExportStatus::Done;
pub const FAILED: ExportStatus = ExportStatus::Failed;

/// What a request for a new export found.
#[derive(Debug, Clone, PartialEq)]
pub enum Requested {
    Created(export::Model),
    /// The profile already has an export queued or running: this one.
    AlreadyRunning(export::Model),
}

async fn active_of<C: ConnectionTrait>(
    db: &C,
    profile_id: ProfileId,
    kind: ExportKind,
) -> Result<Option<export::Model>, DbError> {
    Ok(export::Entity::find()
        .filter(export::Column::ProfileId.eq(profile_id))
        .filter(export::Column::Kind.eq(kind))
        .filter(export::Column::Status.is_in([QUEUED, RUNNING]))
        .one(db)
        .await?)
}

/// Queues an export of `profile_id`'s chats to `chat_id`, unless one is queued or running.
pub async fn request(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    chat_id: ChatId,
    since: Option<chrono::NaiveDate>,
) -> Result<Requested, DbError> {
    request_kind(db, profile_id, chat_id, ExportKind::Chats, since, None).await
}

/// Queues an export of `profile_id`'s statistics over `period` to `chat_id`, unless one is
/// queued or running.
pub async fn request_stats(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    chat_id: ChatId,
    period: Period,
) -> Result<Requested, DbError> {
    request_kind(
        db,
        profile_id,
        chat_id,
        ExportKind::Stats,
        Some(period.from),
        Some(period.to),
    )
    .await
}

async fn request_kind(
    db: &DatabaseConnection,
    profile_id: ProfileId,
    chat_id: ChatId,
    kind: ExportKind,
    since: Option<chrono::NaiveDate>,
    until: Option<chrono::NaiveDate>,
) -> Result<Requested, DbError> {
    let txn = db.begin().await?;
    // Writing the profile row first takes its lock (a row lock on PostgreSQL, the write lock
    // on SQLite), so two presses at once cannot both see "none running".
    avito_profile::Entity::update_many()
        .col_expr(
            avito_profile::Column::UpdatedAt,
            Expr::col(avito_profile::Column::UpdatedAt),
        )
        .filter(avito_profile::Column::Id.eq(profile_id))
        .exec(&txn)
        .await?;
    if let Some(running) = active_of(&txn, profile_id, kind).await? {
        txn.rollback().await?;
        return Ok(Requested::AlreadyRunning(running));
    }
    let row = export::ActiveModel {
        profile_id: Set(profile_id),
        chat_id: Set(chat_id),
        status: Set(QUEUED),
        kind: Set(kind),
        chats_done: Set(0),
        chats_total: Set(None),
        messages_done: Set(0),
        progress_message_id: Set(None),
        since: Set(since),
        until: Set(until),
        error: Set(None),
        started_at: Set(None),
        finished_at: Set(None),
        created_at: Set(clock::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Requested::Created(row))
}

pub async fn find(db: &DatabaseConnection, id: ExportId) -> Result<Option<export::Model>, DbError> {
    Ok(export::Entity::find_by_id(id).one(db).await?)
}

pub async fn set_progress_message(
    db: &DatabaseConnection,
    id: ExportId,
    message_id: i32,
) -> Result<(), DbError> {
    export::Entity::update_many()
        .col_expr(export::Column::ProgressMessageId, Expr::value(message_id))
        .filter(export::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the export running from scratch and returns it; `None` when there is nothing to do
/// (finished, failed, or gone). A row already `running` is an export interrupted by a crash:
/// it starts over.
pub async fn start(
    db: &DatabaseConnection,
    id: ExportId,
) -> Result<Option<export::Model>, DbError> {
    let Some(row) = find(db, id).await? else {
        return Ok(None);
    };
    if row.status != QUEUED && row.status != RUNNING {
        return Ok(None);
    }
    let mut active: export::ActiveModel = row.into();
    active.status = Set(RUNNING);
    active.chats_done = Set(0);
    active.chats_total = Set(None);
    active.messages_done = Set(0);
    active.error = Set(None);
    active.started_at = Set(Some(clock::now()));
    active.finished_at = Set(None);
    Ok(Some(active.update(db).await?))
}

/// An export's progress as the row keeps it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub chats_known: u64,
    pub chats_done: u64,
    pub messages: u64,
}

/// Stores the counters shown to the user.
pub async fn progress(db: &DatabaseConnection, id: ExportId, s: Counters) -> Result<(), DbError> {
    export::Entity::update_many()
        .col_expr(
            export::Column::ChatsDone,
            Expr::value(i32::try_from(s.chats_done).unwrap_or(i32::MAX)),
        )
        .col_expr(
            export::Column::ChatsTotal,
            Expr::value(i32::try_from(s.chats_known).unwrap_or(i32::MAX)),
        )
        .col_expr(
            export::Column::MessagesDone,
            Expr::value(i64::try_from(s.messages).unwrap_or(i64::MAX)),
        )
        .filter(export::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the end of an export: `error` is `None` for success.
pub async fn finish(
    db: &DatabaseConnection,
    id: ExportId,
    s: Counters,
    error: Option<String>,
) -> Result<(), DbError> {
    progress(db, id, s).await?;
    export::Entity::update_many()
        .col_expr(
            export::Column::Status,
            Expr::value(if error.is_some() { FAILED } else { DONE }),
        )
        .col_expr(export::Column::Error, Expr::value(error))
        .col_expr(export::Column::FinishedAt, Expr::value(clock::now()))
        .filter(export::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Fails an export that never started (its job could not be queued), so it does not block the
/// profile's next export.
pub async fn abandon(db: &DatabaseConnection, id: ExportId, error: &str) -> Result<(), DbError> {
    export::Entity::update_many()
        .col_expr(export::Column::Status, Expr::value(FAILED))
        .col_expr(export::Column::Error, Expr::value(error))
        .col_expr(export::Column::FinishedAt, Expr::value(clock::now()))
        .filter(export::Column::Id.eq(id))
        .filter(export::Column::Status.eq(QUEUED))
        .exec(db)
        .await?;
    Ok(())
}
