//! One time an alert rule's condition held: opened, reminded, closed. At most one open per
//! (profile, rule) (a partial unique index).

use sea_orm::entity::prelude::*;

use crate::domain::alerts::{AlertRule, NoticeKind};
use crate::domain::{EpisodeId, ProfileId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_episodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: EpisodeId,
    pub profile_id: ProfileId,
    pub rule: AlertRule,
    /// Unix seconds.
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    /// When the owner last heard of it; `None` while its first notice is held.
    pub last_sent_at: Option<i64>,
    pub reminders: i32,
    /// The latest finding, JSON of `domain::alerts::Finding`.
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    /// A notice held by quiet hours.
    pub held: Option<NoticeKind>,
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
