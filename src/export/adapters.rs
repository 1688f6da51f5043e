//! The export's ports over the database and Telegram, and the profile's Avito account.

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
};
use teloxide::{ApiError, RequestError};

use super::plan::{self, Button, Failure};
use super::ports::{Document, ExportChat, ExportStore};
use crate::avito::{Account, AvitoClient, Credentials};
use crate::crypto::SecretBox;
use crate::db::entities::avito_profile;
use crate::db::exports::{self as store, Counters};
use crate::domain::{AccountId, ExportId};
use crate::i18n::Lang;
use crate::telegram::TgBot;

/// The `exports` table.
pub struct DbStore(pub DatabaseConnection);

#[async_trait]
impl ExportStore for DbStore {
    async fn set_progress_message(&self, id: ExportId, message: i32) -> anyhow::Result<()> {
        Ok(store::set_progress_message(&self.0, id, message).await?)
    }

    async fn abandon(&self, id: ExportId, error: &str) -> anyhow::Result<()> {
        Ok(store::abandon(&self.0, id, error).await?)
    }

    async fn progress(&self, id: ExportId, counters: Counters) -> anyhow::Result<()> {
        Ok(store::progress(&self.0, id, counters).await?)
    }

    async fn finish(
        &self,
        id: ExportId,
        counters: Counters,
        error: Option<String>,
    ) -> anyhow::Result<()> {
        Ok(store::finish(&self.0, id, counters, error).await?)
    }
}

/// Telegram, through the process' bot.
pub struct TgChat(pub TgBot);

#[async_trait]
impl ExportChat for TgChat {
    async fn post(&self, chat: crate::domain::ChatId, text: String) -> anyhow::Result<i32> {
        let sent = self
            .0
            .paced(chat)
            .await
            .send_message(ChatId::from(chat), text)
            .parse_mode(ParseMode::Html)
            .await?;
        Ok(sent.id.0)
    }

    async fn edit(
        &self,
        chat: crate::domain::ChatId,
        message: i32,
        text: String,
        button: Option<Button>,
    ) -> anyhow::Result<()> {
        let mut edit = self
            .0
            .unpaced()
            .edit_message_text(ChatId::from(chat), MessageId(message), text)
            .parse_mode(ParseMode::Html);
        if let Some(b) = button {
            edit = edit.reply_markup(InlineKeyboardMarkup::new(vec![vec![
                InlineKeyboardButton::callback(b.label, b.data),
            ]]));
        }
        match edit.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn send(&self, chat: crate::domain::ChatId, doc: &Document) -> anyhow::Result<()> {
        let file = InputFile::file(doc.path.clone()).file_name(doc.file_name.clone());
        self.0
            .paced(chat)
            .await
            .send_document(ChatId::from(chat), file)
            .caption(doc.caption.clone())
            .await?;
        Ok(())
    }
}

/// What the exports need of Avito: the profile's account.
#[derive(Clone)]
pub struct AvitoAccess {
    pub secrets: SecretBox,
    pub avito: AvitoClient,
}

impl AvitoAccess {
    /// The profile's Avito account and its id (asked of Avito when not stored), or the
    /// failure the owner is told.
    pub async fn account(
        &self,
        profile: &avito_profile::Model,
        lang: Lang,
    ) -> Result<(Account, AccountId), Failure> {
        let secret = self
            .secrets
            .decrypt(&profile.client_secret_enc)
            .map_err(|e| plan::internal(lang, format!("the stored secret cannot be read: {e}")))?;
        let creds = Credentials::new(&profile.client_id, &secret)
            .map_err(|e| plan::internal(lang, e.to_string()))?;
        let account = self.avito.account(creds);
        let user_id = match profile.avito_user_id {
            Some(id) => id,
            None => account
                .account_id()
                .await
                .map_err(|e| plan::avito_failure(lang, "the account", &e))?,
        };
        Ok((account, user_id))
    }
}
