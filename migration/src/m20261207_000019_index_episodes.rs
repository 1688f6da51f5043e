//! Every alert check reads its (profile, rule)'s live episodes: the open one and closed ones
//! holding a recovery. The only index was the open episodes' partial one, so the read scanned
//! the whole table, which keeps every closed episode (in the agency bench: a tenth of
//! PostgreSQL's time). Indexed by (profile, rule), it reads one rule's few rows.

use sea_orm_migration::prelude::*;

use crate::idents::AlertEpisodes;

const NAME: &str = "ix_alert_episodes_profile_rule";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(AlertEpisodes::Table)
                    .col(AlertEpisodes::ProfileId)
                    .col(AlertEpisodes::Rule)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(AlertEpisodes::Table)
                    .to_owned(),
            )
            .await
    }
}
