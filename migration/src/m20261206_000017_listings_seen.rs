//! Listings the blocked-or-rejected rule has seen in that state: one row per (profile,
//! listing) with the status it was seen in. A row inserted, or moved to a new status, is the
//! notice's claim, so each listing and status change is told once whichever process sees it;
//! a listing no longer blocked or rejected loses its row, so a new block is told again.
//! Times are Unix seconds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len};

use crate::idents::{AvitoProfiles, ListingsSeen};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ListingsSeen::Table)
                    .if_not_exists()
                    .col(big_integer(ListingsSeen::ProfileId))
                    .col(big_integer(ListingsSeen::ItemId))
                    .col(string_len(ListingsSeen::Status, 16))
                    .col(big_integer(ListingsSeen::SeenAt))
                    .primary_key(
                        Index::create()
                            .col(ListingsSeen::ProfileId)
                            .col(ListingsSeen::ItemId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_listings_seen_profile")
                            .from(ListingsSeen::Table, ListingsSeen::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ListingsSeen::Table).to_owned())
            .await
    }
}
