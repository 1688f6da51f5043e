//! The seller's rating as the worker saw it, one row per profile and day: Avito gives only the
//! current score, so a report's "since the period began" compares with these. The day is
//! Avito's (Moscow's) date, as its statistics count days; the row keeps the day's first
//! reading (the one closest to the day's start). Times are Unix seconds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, date, double};

use crate::idents::{AvitoProfiles, RatingSnapshots};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RatingSnapshots::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RatingSnapshots::Id))
                    .col(big_integer(RatingSnapshots::ProfileId))
                    .col(date(RatingSnapshots::Day))
                    .col(double(RatingSnapshots::Score))
                    .col(big_integer_null(RatingSnapshots::ReviewsCount))
                    .col(big_integer_null(RatingSnapshots::ReviewsWithScoreCount))
                    .col(big_integer(RatingSnapshots::TakenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rating_snapshots_profile")
                            .from(RatingSnapshots::Table, RatingSnapshots::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_rating_snapshots_profile_day")
                    .table(RatingSnapshots::Table)
                    .col(RatingSnapshots::ProfileId)
                    .col(RatingSnapshots::Day)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RatingSnapshots::Table).to_owned())
            .await
    }
}
