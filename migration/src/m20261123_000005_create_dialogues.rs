use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::Dialogues;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Dialogues::Table)
                    .if_not_exists()
                    .col(big_integer(Dialogues::ChatId).primary_key())
                    // Serialised dialogue state (JSON), so a restart does not lose a user's place.
                    .col(text(Dialogues::State))
                    .col(timestamp_with_time_zone(Dialogues::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Dialogues::Table).to_owned())
            .await
    }
}
