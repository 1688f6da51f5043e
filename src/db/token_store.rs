//! Avito access tokens persisted on the profiles that use them, encrypted.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::entities::avito_profile;
use crate::avito::{AccessToken, TokenStore};
use crate::crypto::SecretBox;
use crate::domain::clock;

/// Keeps each client id's token on every profile with that client id (tokens belong to the
/// credentials, not to one profile), so a restart reuses it instead of asking Avito again.
pub struct DbTokenStore {
    db: DatabaseConnection,
    secrets: SecretBox,
}

impl DbTokenStore {
    pub fn new(db: DatabaseConnection, secrets: SecretBox) -> Self {
        Self { db, secrets }
    }
}

#[async_trait::async_trait]
impl TokenStore for DbTokenStore {
    async fn load(&self, client_id: &str) -> Option<AccessToken> {
        let row = avito_profile::Entity::find()
            .filter(avito_profile::Column::ClientId.eq(client_id))
            .filter(avito_profile::Column::AccessTokenEnc.is_not_null())
            .order_by_desc(avito_profile::Column::TokenExpiresAt)
            .one(&self.db)
            .await;
        let row = match row {
            Ok(row) => row?,
            Err(e) => {
                tracing::warn!(error = %e, "cannot load a stored Avito token");
                return None;
            }
        };
        let sealed = row.access_token_enc?;
        let expires_at = row.token_expires_at?;
        match self.secrets.decrypt(&sealed) {
            Ok(token) => Some(AccessToken { token, expires_at }),
            Err(e) => {
                tracing::warn!(profile_id = row.id.0, error = %e, "stored Avito token is unreadable; fetching a new one");
                None
            }
        }
    }

    async fn save(&self, client_id: &str, token: &AccessToken) {
        let sealed = match self.secrets.encrypt(&token.token) {
            Ok(sealed) => sealed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot encrypt an Avito token; not storing it");
                return;
            }
        };
        let result = avito_profile::Entity::update_many()
            .col_expr(avito_profile::Column::AccessTokenEnc, Expr::value(sealed))
            .col_expr(
                avito_profile::Column::TokenExpiresAt,
                Expr::value(token.expires_at),
            )
            .col_expr(avito_profile::Column::UpdatedAt, Expr::value(clock::now()))
            .filter(avito_profile::Column::ClientId.eq(client_id))
            .exec(&self.db)
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot store an Avito token");
        }
    }
}
