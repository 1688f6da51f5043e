//! teloxide dialogue [`Storage`] on the `dialogues` table, so a user half-way through a
//! dialogue keeps their place across a worker restart. States are stored as JSON.
//!
//! (teloxide's own SQL storages pull a second sqlx; this one uses the process' sea-orm pool.)

use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId as TgChatId;

use super::entities::dialogue;
use crate::domain::{ChatId, clock};

/// What teloxide's `Storage` methods return (`futures::future::BoxFuture`, spelled out so the
/// crate needs no direct `futures` dependency).
type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

#[derive(Debug, thiserror::Error)]
pub enum DialogueStorageError {
    #[error("dialogue storage query failed: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("cannot serialise the dialogue state: {0}")]
    Serialise(#[from] serde_json::Error),
}

/// Dialogue states of type `D`, one row per chat.
pub struct DbDialogueStorage<D> {
    db: DatabaseConnection,
    _state: PhantomData<fn() -> D>,
}

impl<D> DbDialogueStorage<D> {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        Arc::new(Self {
            db,
            _state: PhantomData,
        })
    }
}

impl<D> Storage<D> for DbDialogueStorage<D>
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = DialogueStorageError;

    /// Idempotent: removing a dialogue that is not there is not an error (a /cancel outside
    /// any dialogue must not fail).
    fn remove_dialogue(self: Arc<Self>, chat_id: TgChatId) -> BoxFuture<Result<(), Self::Error>> {
        Box::pin(async move {
            dialogue::Entity::delete_by_id(ChatId::from(chat_id))
                .exec(&self.db)
                .await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: TgChatId,
        state: D,
    ) -> BoxFuture<Result<(), Self::Error>> {
        Box::pin(async move {
            let json = serde_json::to_string(&state)?;
            let row = dialogue::ActiveModel {
                chat_id: Set(chat_id.into()),
                state: Set(json),
                updated_at: Set(clock::now()),
            };
            dialogue::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(dialogue::Column::ChatId)
                        .update_columns([dialogue::Column::State, dialogue::Column::UpdatedAt])
                        .to_owned(),
                )
                .exec(&self.db)
                .await?;
            Ok(())
        })
    }

    /// A stored state this version cannot read (e.g. written by an older release) counts as
    /// no dialogue: the user starts over instead of being stuck.
    fn get_dialogue(
        self: Arc<Self>,
        chat_id: TgChatId,
    ) -> BoxFuture<Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            let Some(row) = dialogue::Entity::find_by_id(ChatId::from(chat_id))
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            match serde_json::from_str(&row.state) {
                Ok(state) => Ok(Some(state)),
                Err(e) => {
                    tracing::warn!(chat_id = chat_id.0, error = %e, "unreadable dialogue state; starting over");
                    Ok(None)
                }
            }
        })
    }
}
