//! Schema migrations of avito-reports, identical on SQLite and PostgreSQL.
//!
//! One migration per file: sea-orm derives a migration's name from its file, so two in one file
//! would collide.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_users;
mod m20261123_000002_create_avito_profiles;
mod m20261123_000003_create_report_tasks;
mod m20261123_000004_create_report_runs;
mod m20261123_000005_create_dialogues;
mod m20261123_000006_create_exports;
mod m20261123_000007_create_admin_alerts;
mod m20261123_000008_index_tasks_to_plan;
mod m20261203_000009_typed_settings;
mod m20261203_000010_delivery_progress;
mod m20261203_000011_alerts;
mod m20261203_000012_report_charts;
mod m20261204_000013_stats_exports;
mod m20261205_000014_shared_avito;
mod m20261206_000015_rating_snapshots;
mod m20261206_000016_reviews;
mod m20261206_000017_listings_seen;
mod m20261206_000018_listing_pages;
mod m20261207_000019_index_episodes;

pub mod idents;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_users::Migration),
            Box::new(m20261123_000002_create_avito_profiles::Migration),
            Box::new(m20261123_000003_create_report_tasks::Migration),
            Box::new(m20261123_000004_create_report_runs::Migration),
            Box::new(m20261123_000005_create_dialogues::Migration),
            Box::new(m20261123_000006_create_exports::Migration),
            Box::new(m20261123_000007_create_admin_alerts::Migration),
            Box::new(m20261123_000008_index_tasks_to_plan::Migration),
            Box::new(m20261203_000009_typed_settings::Migration),
            Box::new(m20261203_000010_delivery_progress::Migration),
            Box::new(m20261203_000011_alerts::Migration),
            Box::new(m20261203_000012_report_charts::Migration),
            Box::new(m20261204_000013_stats_exports::Migration),
            Box::new(m20261205_000014_shared_avito::Migration),
            Box::new(m20261206_000015_rating_snapshots::Migration),
            Box::new(m20261206_000016_reviews::Migration),
            Box::new(m20261206_000017_listings_seen::Migration),
            Box::new(m20261206_000018_listing_pages::Migration),
            Box::new(m20261207_000019_index_episodes::Migration),
        ]
    }
}
