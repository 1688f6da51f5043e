//! One alert rule of a profile: its switch and parameter (see `domain::alerts`).

use sea_orm::entity::prelude::*;

use crate::domain::alerts::AlertRule;
use crate::domain::{AlertRuleId, ProfileId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: AlertRuleId,
    pub profile_id: ProfileId,
    pub rule: AlertRule,
    pub enabled: bool,
    /// The rule's one number: a threshold in kopecks, a percentage, minutes, or the missed-call
    /// mode (`AlertRule::param_meaning`).
    pub param: i64,
    /// Reminders while an alert lasts, at most this often.
    pub remind_minutes: i32,
    /// Working hours of the unanswered-chats rule, minutes of the day in the profile's zone.
    pub work_from: i32,
    pub work_to: i32,
    /// Missed calls: the Moscow day and the count already told for it.
    pub seen_day: Option<chrono::NaiveDate>,
    pub seen_count: i64,
    /// Unix seconds: when the rule was created or last switched on. What happened before
    /// (a chat left unanswered for months) is not alerted.
    pub watching_since: i64,
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
