//! A profile's report settings: destination, schedule, period and metrics, each read once
//! into its type ([`Stored`]: a damaged value is kept as found and reported, never defaulted).

use sea_orm::entity::prelude::*;

use crate::domain::{
    ChatId, Frequency, MetricSet, PeriodKind, ProfileId, ScheduleTime, Stored, TaskId, Zone,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: TaskId,
    pub profile_id: ProfileId,
    pub chat_id: Option<ChatId>,
    pub chat_title: Option<String>,
    /// `daily`, `interval`, `weekly`, `monthly`.
    pub frequency: Stored<Frequency>,
    pub interval_days: i32,
    /// Weekday mask, bit 0 = Monday.
    pub weekdays: i32,
    pub month_day: i32,
    /// `HH:MM` in `time_zone`.
    pub time_of_day: Stored<ScheduleTime>,
    /// IANA time zone name.
    pub time_zone: Stored<Zone>,
    pub period: Stored<PeriodKind>,
    /// JSON array of metric slugs.
    #[sea_orm(column_type = "Text")]
    pub metrics: Stored<MetricSet>,
    pub is_active: bool,
    /// Send the report's charts (pictures) before its text.
    pub charts: bool,
    pub schedule_version: i64,
    pub next_run_at: Option<DateTimeUtc>,
    pub last_run_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
