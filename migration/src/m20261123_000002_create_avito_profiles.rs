use sea_orm_migration::{prelude::*, schema::*};

use crate::idents::{AvitoProfiles, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AvitoProfiles::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AvitoProfiles::Id))
                    .col(big_integer(AvitoProfiles::OwnerId))
                    .col(string(AvitoProfiles::Name))
                    .col(string(AvitoProfiles::ClientId))
                    // Secrets are stored only as AEAD ciphertext (see the app's crypto module).
                    .col(text(AvitoProfiles::ClientSecretEnc))
                    .col(big_integer_null(AvitoProfiles::AvitoUserId))
                    .col(string_null(AvitoProfiles::AvitoAccountName))
                    .col(text_null(AvitoProfiles::AccessTokenEnc))
                    .col(timestamp_with_time_zone_null(AvitoProfiles::TokenExpiresAt))
                    .col(string(AvitoProfiles::Status).default("ok"))
                    .col(text_null(AvitoProfiles::LastError))
                    .col(timestamp_with_time_zone(AvitoProfiles::CreatedAt))
                    .col(timestamp_with_time_zone(AvitoProfiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_avito_profiles_owner")
                            .from(AvitoProfiles::Table, AvitoProfiles::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One user cannot connect the same Avito application twice.
        manager
            .create_index(
                Index::create()
                    .name("ux_avito_profiles_owner_client")
                    .table(AvitoProfiles::Table)
                    .col(AvitoProfiles::OwnerId)
                    .col(AvitoProfiles::ClientId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AvitoProfiles::Table).to_owned())
            .await
    }
}
