//! One typed message in a dialogue step, and what every step does with it first.

use teloxide::prelude::*;
use teloxide::types::Me;

use crate::bot::access::Owned;
use crate::bot::adapters::Live;
use crate::bot::ports::{DialogueStore, SettingsStore};
use crate::bot::steps::BotDialogue;
use crate::bot::texts::{T, t};
use crate::bot::ui;
use crate::context::AppState;
use crate::db::users::TelegramUser;
use crate::domain::{ProfileId, UserId};
use crate::i18n::Lang;
use crate::telegram::TgBot;

/// One typed message in a dialogue step.
pub struct Input<'a> {
    pub bot: &'a TgBot,
    pub msg: &'a Message,
    pub state: &'a AppState,
    pub dialogue: &'a BotDialogue,
    pub me: &'a Me,
    pub lang: Lang,
    /// The sender, as the `users` table keeps them.
    pub user: TelegramUser,
    pub text: &'a str,
}

impl Input<'_> {
    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// The services as seen from this chat.
    pub fn live(&self) -> Live<'_> {
        Live {
            bot: self.bot,
            state: self.state,
            me: self.me,
            chat: self.msg.chat.id,
            dialogue: self.dialogue,
        }
    }

    pub async fn reply(&self, text: String) -> anyhow::Result<()> {
        ui::send_html(self.bot, self.msg.chat.id, text).await?;
        Ok(())
    }

    /// The profile of the dialogue, or `None` (after telling the user and leaving the
    /// dialogue) when it was deleted meanwhile.
    pub async fn profile(&self, profile_id: ProfileId) -> anyhow::Result<Option<Owned>> {
        let live = self.live();
        match live.owned(profile_id, self.user_id()).await? {
            Ok(o) => Ok(Some(o)),
            // Gone or someone else's: one answer, as for buttons.
            Err(_) => {
                live.exit().await?;
                self.reply(t(self.lang, T::AlertStale)).await?;
                Ok(None)
            }
        }
    }
}
