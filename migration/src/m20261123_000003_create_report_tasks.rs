use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::{AvitoProfiles, ReportTasks};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportTasks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ReportTasks::Id))
                    .col(big_integer(ReportTasks::ProfileId))
                    // Destination chat; NULL until the user picks one.
                    .col(big_integer_null(ReportTasks::ChatId))
                    .col(string_null(ReportTasks::ChatTitle))
                    // The schedule lives here only (the Python bot duplicated it on profiles).
                    .col(string(ReportTasks::Frequency).default("daily"))
                    .col(integer(ReportTasks::IntervalDays).default(1))
                    // Weekday mask, bit 0 = Monday.
                    .col(integer(ReportTasks::Weekdays).default(0))
                    .col(integer(ReportTasks::MonthDay).default(1))
                    .col(string(ReportTasks::TimeOfDay).default("09:00"))
                    .col(string(ReportTasks::TimeZone).default("Europe/Moscow"))
                    .col(string(ReportTasks::Period).default("since_last_slot"))
                    // JSON array of metric slugs.
                    .col(text(ReportTasks::Metrics))
                    .col(boolean(ReportTasks::IsActive).default(false))
                    // Bumped on every schedule change so that jobs planned earlier become no-ops.
                    .col(big_integer(ReportTasks::ScheduleVersion).default(0))
                    .col(timestamp_with_time_zone_null(ReportTasks::NextRunAt))
                    .col(timestamp_with_time_zone_null(ReportTasks::LastRunAt))
                    .col(timestamp_with_time_zone(ReportTasks::CreatedAt))
                    .col(timestamp_with_time_zone(ReportTasks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_tasks_profile")
                            .from(ReportTasks::Table, ReportTasks::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The UI shows one task per profile.
        manager
            .create_index(
                Index::create()
                    .name("ux_report_tasks_profile")
                    .table(ReportTasks::Table)
                    .col(ReportTasks::ProfileId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // /stats looks tasks up by destination chat.
        manager
            .create_index(
                Index::create()
                    .name("ix_report_tasks_chat")
                    .table(ReportTasks::Table)
                    .col(ReportTasks::ChatId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportTasks::Table).to_owned())
            .await
    }
}
