//! What the processes of one deployment share about Avito: each account's request budget per
//! limited operation (the instants of its last calls), and the once-a-window answers for their
//! reuse window. Used on PostgreSQL; SQLite has one process, which keeps both in memory.

use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::{AvitoAnswers, AvitoBudgets};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AvitoBudgets::Table)
                    .if_not_exists()
                    // "client id|operationId".
                    .col(string(AvitoBudgets::BudgetKey).primary_key())
                    // A JSON array of microseconds since the Unix epoch on the database's clock.
                    .col(text(AvitoBudgets::Slots))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AvitoAnswers::Table)
                    .if_not_exists()
                    // md5 of the request key: a key with a long body would not fit an index.
                    .col(string(AvitoAnswers::KeyHash).primary_key())
                    .col(text(AvitoAnswers::RequestKey))
                    .col(text(AvitoAnswers::Body))
                    // Microseconds since the Unix epoch, on the database's clock.
                    .col(big_integer(AvitoAnswers::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AvitoAnswers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AvitoBudgets::Table).to_owned())
            .await
    }
}
