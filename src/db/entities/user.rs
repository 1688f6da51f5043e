//! A Telegram user of the bot.

use sea_orm::entity::prelude::*;

use crate::domain::UserId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// The Telegram user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    pub username: Option<String>,
    pub first_name: String,
    pub language_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::avito_profile::Entity")]
    AvitoProfiles,
}

impl Related<super::avito_profile::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AvitoProfiles.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
