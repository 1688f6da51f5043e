use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    // The Telegram user id is the key: it is stable and what every update carries.
                    .col(big_integer(Users::Id).primary_key())
                    .col(string_null(Users::Username))
                    .col(string(Users::FirstName))
                    .col(string_null(Users::LanguageCode))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}
