//! An Excel export request of a profile: its Messenger chats, or its statistics over a period.

use sea_orm::entity::prelude::*;

use crate::domain::{ChatId, ExportId, ProfileId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: ExportId,
    pub profile_id: ProfileId,
    pub chat_id: ChatId,
    /// `queued`, `running`, `done`, `failed`.
    pub status: crate::domain::ExportStatus,
    /// `chats` or `stats`.
    pub kind: crate::domain::ExportKind,
    /// Chats done; for statistics, pages of item statistics done.
    pub chats_done: i32,
    /// Chats known; for statistics, pages of item statistics known.
    pub chats_total: Option<i32>,
    /// Messages written; for statistics, per-item rows written.
    pub messages_done: i64,
    pub progress_message_id: Option<i32>,
    /// Chats: only those updated since this day. Statistics: the period's first day.
    pub since: Option<Date>,
    /// Statistics: the period's last day.
    pub until: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::avito_profile::Entity",
        from = "Column::ProfileId",
        to = "super::avito_profile::Column::Id",
        on_delete = "Cascade"
    )]
    Profile,
}

impl Related<super::avito_profile::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Profile.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
