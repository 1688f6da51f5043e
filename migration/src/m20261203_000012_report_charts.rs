//! A per-task switch for the report's charts (pictures sent with the text): on for every
//! task, existing ones included, since a report without them loses nothing but the pictures.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::boolean;

use crate::idents::ReportTasks;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReportTasks::Table)
                    .add_column(boolean(ReportTasks::Charts).default(true).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReportTasks::Table)
                    .drop_column(ReportTasks::Charts)
                    .to_owned(),
            )
            .await
    }
}
