//! Statistics exports share the `exports` table with chat exports: a `kind` (existing rows
//! are chat exports) and the last day of a statistics export's period (`since` is its first).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date_null, string};

use crate::idents::Exports;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds only one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Exports::Table)
                    .add_column(string(Exports::Kind).default("chats").to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Exports::Table)
                    .add_column(date_null(Exports::Until).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Exports::Until, Exports::Kind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Exports::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
