//! How many item-grouped statistics pages a profile's "Listings to look at" took the last
//! time they were asked for (both periods together): a scheduled report's warm-up starts that
//! many rate windows ahead of its slot. Empty until the first warm-up of the profile.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::integer_null;

use crate::idents::AvitoProfiles;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AvitoProfiles::Table)
                    .add_column(integer_null(AvitoProfiles::ListingPages))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AvitoProfiles::Table)
                    .drop_column(AvitoProfiles::ListingPages)
                    .to_owned(),
            )
            .await
    }
}
