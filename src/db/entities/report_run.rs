//! One report delivery, scheduled or on demand.

use sea_orm::entity::prelude::*;

use crate::domain::{ChatId, ProfileId, RunId, TaskId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: RunId,
    pub task_id: Option<TaskId>,
    pub profile_id: Option<ProfileId>,
    /// `scheduled`, `now`, `historical`, `stats`.
    pub kind: crate::domain::RunKind,
    /// The due slot of a scheduled run; unique together with `task_id`.
    pub slot: Option<DateTimeUtc>,
    pub chat_id: ChatId,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    /// `pending`, `sent`, `failed`, `skipped`.
    pub status: crate::domain::RunStatus,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// A scheduled report's messages as first sent (JSON array of HTML texts): a later
    /// attempt sends the rest of these, not a report built anew.
    #[sea_orm(column_type = "Text", nullable)]
    pub chunks: Option<String>,
    /// How many of `chunks` Telegram accepted.
    pub chunks_sent: i32,
    /// A send of chunk `chunks_sent` was under way: its outcome is unknown.
    pub sending: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::report_task::Entity",
        from = "Column::TaskId",
        to = "super::report_task::Column::Id",
        on_delete = "SetNull"
    )]
    Task,
}

impl Related<super::report_task::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Task.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
