//! Alerts that watch an account. `alert_rules`: one row per (profile, rule) with its switch and
//! parameter; `alert_episodes`: one row per time a rule's condition held, at most one open per
//! (profile, rule) — a partial unique index, so processes racing to open one open one. The
//! profile's quiet hours (minutes of the day in its zone) hold notices until they end.
//! Times are Unix seconds: they compare the same on both engines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, date_null, integer, integer_null, string,
    string_null, text,
};

use crate::idents::{AlertEpisodes, AlertRules, AvitoProfiles};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertRules::Id))
                    .col(big_integer(AlertRules::ProfileId))
                    .col(string(AlertRules::Rule))
                    .col(boolean(AlertRules::Enabled).default(false))
                    .col(big_integer(AlertRules::Param))
                    .col(integer(AlertRules::RemindMinutes).default(1440))
                    .col(integer(AlertRules::WorkFrom).default(540))
                    .col(integer(AlertRules::WorkTo).default(1260))
                    .col(date_null(AlertRules::SeenDay))
                    .col(big_integer(AlertRules::SeenCount).default(0))
                    .col(big_integer(AlertRules::WatchingSince))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_rules_profile")
                            .from(AlertRules::Table, AlertRules::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_alert_rules_profile_rule")
                    .table(AlertRules::Table)
                    .col(AlertRules::ProfileId)
                    .col(AlertRules::Rule)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertEpisodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertEpisodes::Id))
                    .col(big_integer(AlertEpisodes::ProfileId))
                    .col(string(AlertEpisodes::Rule))
                    .col(big_integer(AlertEpisodes::OpenedAt))
                    .col(big_integer_null(AlertEpisodes::ClosedAt))
                    .col(big_integer_null(AlertEpisodes::LastSentAt))
                    .col(integer(AlertEpisodes::Reminders).default(0))
                    .col(text(AlertEpisodes::Detail))
                    .col(string_null(AlertEpisodes::Held))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_episodes_profile")
                            .from(AlertEpisodes::Table, AlertEpisodes::ProfileId)
                            .to(AvitoProfiles::Table, AvitoProfiles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // At most one open episode per (profile, rule). Partial unique indexes read the same on
        // SQLite and PostgreSQL; sea-query has no builder for the WHERE.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_alert_episodes_open ON alert_episodes \
                 (profile_id, rule) WHERE closed_at IS NULL",
            )
            .await?;
        for column in [
            integer_null(AvitoProfiles::AlertQuietFrom),
            integer_null(AvitoProfiles::AlertQuietTo),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AvitoProfiles::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AvitoProfiles::AlertQuietFrom, AvitoProfiles::AlertQuietTo] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AvitoProfiles::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AlertEpisodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AlertRules::Table).to_owned())
            .await
    }
}
