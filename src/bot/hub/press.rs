//! A button press and what it needs: who pressed where, and the services as seen from there.

use teloxide::types::{CallbackQuery, Chat, Me, MessageId, User};

use super::plan::PressFacts;
use crate::bot::adapters::{Live, PressedMessage};
use crate::bot::steps::BotDialogue;
use crate::context::AppState;
use crate::domain::UserId;
use crate::i18n::Lang;
use crate::telegram::TgBot;

/// A button press on a message of the bot.
pub struct Press<'a> {
    pub bot: &'a TgBot,
    pub state: &'a AppState,
    pub me: &'a Me,
    pub lang: Lang,
    pub query: &'a CallbackQuery,
    pub chat: &'a Chat,
    pub message_id: MessageId,
    pub dialogue: BotDialogue,
}

impl Press<'_> {
    pub fn sender(&self) -> &User {
        &self.query.from
    }

    pub fn user_id(&self) -> UserId {
        UserId::from(self.query.from.id)
    }

    /// What the press tells without asking anyone.
    pub fn facts(&self) -> PressFacts {
        let chat = self.chat;
        PressFacts {
            user: self.user_id(),
            chat: chat.id.into(),
            private: chat.is_private(),
            channel: chat.is_channel(),
            title: if chat.is_private() {
                self.query.from.first_name.clone()
            } else {
                chat.title().unwrap_or_default().to_owned()
            },
        }
    }

    /// The services as seen from the chat pressed in.
    pub fn live(&self) -> Live<'_> {
        Live {
            bot: self.bot,
            state: self.state,
            me: self.me,
            chat: self.chat.id,
            dialogue: &self.dialogue,
        }
    }

    /// The message pressed on, and the press.
    pub fn message(&self) -> PressedMessage<'_> {
        PressedMessage {
            bot: self.bot,
            chat: self.chat.id,
            message_id: self.message_id,
            query_id: &self.query.id,
        }
    }
}
