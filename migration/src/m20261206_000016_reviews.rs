//! Reviews the bot has seen and answers written from Telegram.
//!
//! * `reviews_seen`: one row per (profile, review) the new-review rule has dealt with — told,
//!   or marked seen without a word (older than the rule, or above its star bar). The row is
//!   the notice's claim: inserted once, so the notice goes once whichever process inserts it.
//! * `review_answers`: an answer from its draft to Avito's moderation verdict. Its `state`
//!   moves only by compare-and-swap (draft → sending → sent → published | rejected, or
//!   failed / cancelled), and `sending` is recorded before Avito is called, so a timeout or a
//!   crash leaves a mark that makes the bot read the review before sending anything again.
//! * `review_watch`: what the last review check counted, for the profile card.
//!
//! Times are Unix seconds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, string_len, text, text_null,
};

use crate::idents::{AvitoProfiles, ReviewAnswers, ReviewWatch, ReviewsSeen};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn profile_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(AvitoProfiles::Table, AvitoProfiles::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewsSeen::Table)
                    .if_not_exists()
                    .col(big_integer(ReviewsSeen::ProfileId))
                    .col(big_integer(ReviewsSeen::ReviewId))
                    .col(big_integer(ReviewsSeen::SeenAt))
                    .primary_key(
                        Index::create()
                            .col(ReviewsSeen::ProfileId)
                            .col(ReviewsSeen::ReviewId),
                    )
                    .foreign_key(&mut profile_fk(
                        "fk_reviews_seen_profile",
                        ReviewsSeen::Table,
                        ReviewsSeen::ProfileId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewAnswers::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ReviewAnswers::Id))
                    .col(big_integer(ReviewAnswers::ProfileId))
                    .col(big_integer(ReviewAnswers::ReviewId))
                    .col(big_integer(ReviewAnswers::ChatId))
                    .col(big_integer(ReviewAnswers::UserId))
                    .col(text(ReviewAnswers::Text))
                    .col(string_len(ReviewAnswers::State, 16))
                    .col(big_integer_null(ReviewAnswers::AnswerId))
                    .col(text_null(ReviewAnswers::Detail))
                    .col(big_integer(ReviewAnswers::CreatedAt))
                    .col(big_integer(ReviewAnswers::UpdatedAt))
                    .foreign_key(&mut profile_fk(
                        "fk_review_answers_profile",
                        ReviewAnswers::Table,
                        ReviewAnswers::ProfileId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_review_answers_profile_state")
                    .table(ReviewAnswers::Table)
                    .col(ReviewAnswers::ProfileId)
                    .col(ReviewAnswers::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewWatch::Table)
                    .if_not_exists()
                    .col(big_integer(ReviewWatch::ProfileId).primary_key())
                    .col(big_integer_null(ReviewWatch::Total))
                    .col(big_integer(ReviewWatch::Unanswered))
                    .col(big_integer(ReviewWatch::CheckedAt))
                    .foreign_key(&mut profile_fk(
                        "fk_review_watch_profile",
                        ReviewWatch::Table,
                        ReviewWatch::ProfileId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReviewWatch::Table.into_iden(),
            ReviewAnswers::Table.into_iden(),
            ReviewsSeen::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
