use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::AdminAlerts;

/// One row per alert cause: when it was last sent, so that processes sharing the database
/// send each cause at most once per hour between them.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminAlerts::Table)
                    .if_not_exists()
                    .col(string(AdminAlerts::Cause).primary_key())
                    // Unix seconds: compares the same on both engines (SQLite keeps timestamps
                    // as text, whose order depends on its formatting).
                    .col(big_integer(AdminAlerts::LastSentAt))
                    .col(integer(AdminAlerts::Suppressed).default(0))
                    .col(integer(AdminAlerts::ReportedSuppressed).default(0))
                    .col(timestamp_with_time_zone(AdminAlerts::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminAlerts::Table).to_owned())
            .await
    }
}
