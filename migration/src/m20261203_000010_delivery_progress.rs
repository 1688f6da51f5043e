//! A scheduled delivery's progress, so that no message of it is sent twice unmarked: the
//! report's messages as first sent (`chunks`, a JSON array), how many Telegram accepted
//! (`chunks_sent`), and whether a send was under way (`sending`) — a later attempt that finds
//! it true cannot know whether Telegram stored that message, and marks its copy.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer, text_null};

use crate::idents::ReportRuns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds only one at a time.
        for column in [
            text_null(ReportRuns::Chunks),
            integer(ReportRuns::ChunksSent).default(0).to_owned(),
            boolean(ReportRuns::Sending).default(false).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReportRuns::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ReportRuns::Chunks,
            ReportRuns::ChunksSent,
            ReportRuns::Sending,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReportRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
