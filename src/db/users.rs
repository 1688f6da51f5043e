//! Queries about Telegram users.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::DbError;
use super::entities::user;
use crate::domain::{UserId, clock};

/// What a Telegram update tells about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramUser {
    pub id: UserId,
    pub username: Option<String>,
    pub first_name: String,
    pub language_code: Option<String>,
}

/// Creates the user, or refreshes their name and language; `created_at` is kept.
pub async fn upsert(db: &DatabaseConnection, tg: &TelegramUser) -> Result<user::Model, DbError> {
    let now = clock::now();
    let row = user::ActiveModel {
        id: Set(tg.id),
        username: Set(tg.username.clone()),
        first_name: Set(tg.first_name.clone()),
        language_code: Set(tg.language_code.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    user::Entity::insert(row)
        .on_conflict(
            OnConflict::column(user::Column::Id)
                .update_columns([
                    user::Column::Username,
                    user::Column::FirstName,
                    user::Column::LanguageCode,
                    user::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    find(db, tg.id)
        .await?
        .ok_or_else(|| DbError::Query(sea_orm::DbErr::RecordNotFound(format!("user {}", tg.id))))
}

pub async fn find(db: &DatabaseConnection, id: UserId) -> Result<Option<user::Model>, DbError> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// A Telegram user's language as the bot knows it; the default (Russian) for a stranger, and
/// when the database cannot say (a notice in the default language beats none).
pub async fn lang_of(db: &DatabaseConnection, id: UserId) -> crate::i18n::Lang {
    match find(db, id).await {
        Ok(user) => crate::i18n::Lang::from_code(user.and_then(|u| u.language_code).as_deref()),
        Err(e) => {
            tracing::warn!(user_id = id.0, error = %e, "cannot read the user's language");
            crate::i18n::Lang::Ru
        }
    }
}
