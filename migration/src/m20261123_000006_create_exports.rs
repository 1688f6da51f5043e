use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::{AvitoProfiles, Exports};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Exports::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Exports::Id))
                    .col(big_integer(Exports::ProfileId))
                    .col(big_integer(Exports::ChatId))
                    .col(string(Exports::Status).default("queued"))
                    .col(integer(Exports::ChatsDone).default(0))
                    .col(integer_null(Exports::ChatsTotal))
                    .col(big_integer(Exports::MessagesDone).default(0))
                    .col(integer_null(Exports::ProgressMessageId))
                    .col(date_null(Exports::Since))
                    .col(text_null(Exports::Error))
                    .col(timestamp_with_time_zone_null(Exports::StartedAt))
                    .col(timestamp_with_time_zone_null(Exports::FinishedAt))
                    .col(timestamp_with_time_zone(Exports::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_exports_profile")
                            .from(Exports::Table, Exports::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_exports_profile_status")
                    .table(Exports::Table)
                    .col(Exports::ProfileId)
                    .col(Exports::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Exports::Table).to_owned())
            .await
    }
}
