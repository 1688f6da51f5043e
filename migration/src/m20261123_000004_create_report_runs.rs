use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::{AvitoProfiles, ReportRuns, ReportTasks};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportRuns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ReportRuns::Id))
                    // NULL for on-demand reports that belong to no task.
                    .col(big_integer_null(ReportRuns::TaskId))
                    .col(big_integer_null(ReportRuns::ProfileId))
                    .col(string(ReportRuns::Kind))
                    // The due slot of a scheduled run; NULL for on-demand runs.
                    .col(timestamp_with_time_zone_null(ReportRuns::Slot))
                    .col(big_integer(ReportRuns::ChatId))
                    .col(date_null(ReportRuns::PeriodStart))
                    .col(date_null(ReportRuns::PeriodEnd))
                    .col(string(ReportRuns::Status).default("pending"))
                    .col(integer(ReportRuns::Attempts).default(0))
                    .col(text_null(ReportRuns::Error))
                    .col(timestamp_with_time_zone_null(ReportRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(ReportRuns::FinishedAt))
                    .col(timestamp_with_time_zone(ReportRuns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_runs_task")
                            .from(ReportRuns::Table, ReportRuns::TaskId)
                            .to(ReportTasks::Table, ReportTasks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_runs_profile")
                            .from(ReportRuns::Table, ReportRuns::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A scheduled slot is deliverable once: a retried or duplicated job finds the row.
        // NULL slots (on-demand runs) never collide, on SQLite and PostgreSQL alike.
        manager
            .create_index(
                Index::create()
                    .name("ux_report_runs_task_slot")
                    .table(ReportRuns::Table)
                    .col(ReportRuns::TaskId)
                    .col(ReportRuns::Slot)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportRuns::Table).to_owned())
            .await
    }
}
