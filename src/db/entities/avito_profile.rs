//! An Avito business account a user connected (an API client id + secret).

use sea_orm::entity::prelude::*;

use crate::domain::{AccountId, ProfileId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "avito_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: ProfileId,
    pub owner_id: UserId,
    pub name: String,
    pub client_id: String,
    /// Ciphertext from `crypto::SecretBox`; never the plain secret.
    #[sea_orm(column_type = "Text")]
    pub client_secret_enc: String,
    pub avito_user_id: Option<AccountId>,
    pub avito_account_name: Option<String>,
    /// Ciphertext from `crypto::SecretBox`.
    #[sea_orm(column_type = "Text", nullable)]
    pub access_token_enc: Option<String>,
    pub token_expires_at: Option<DateTimeUtc>,
    /// `ok`, `auth_failed`, `error`.
    pub status: crate::domain::ProfileStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Quiet hours of the profile's alerts, minutes of the day in its zone: `None` is the
    /// default (`domain::alerts::QuietHours::DEFAULT`), equal ends are none.
    pub alert_quiet_from: Option<i32>,
    pub alert_quiet_to: Option<i32>,
    /// Item-grouped statistics pages "Listings to look at" took last time (both periods):
    /// how many rate windows ahead of a slot they are asked for (`listings::lead`).
    pub listing_pages: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
    #[sea_orm(has_one = "super::report_task::Entity")]
    ReportTask,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::report_task::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReportTask.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
