//! The Telegram side: the handler tree, commands and their handlers.
//!
//! [`schema`] returns the whole handler tree so that tests can drive it; [`AppState`] is what
//! every handler gets injected.

mod commands;
mod start;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;

pub use commands::{Command, register_commands};

use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::i18n::{self, Lang, Msg};

/// What every handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub secrets: SecretBox,
}

/// The handler tree of the bot.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let messages = Update::filter_message()
        .branch(
            dptree::filter(|msg: Message, state: AppState| !is_allowed(&msg, &state))
                .endpoint(refuse),
        )
        .branch(
            dptree::entry()
                .filter_command::<Command>()
                .endpoint(commands::handle),
        )
        .branch(dptree::endpoint(start::unknown_input));
    dptree::entry().branch(messages)
}

fn is_allowed(msg: &Message, state: &AppState) -> bool {
    msg.from
        .as_ref()
        .is_some_and(|user| state.settings.is_allowed(user.id.0 as i64))
}

/// Users outside `ALLOWED_USERS` get one polite line (in private chats only: in a group the
/// bot stays quiet rather than answer every stranger).
async fn refuse(bot: Bot, msg: Message) -> anyhow::Result<()> {
    if msg.chat.is_private() {
        let lang = lang_of(&msg);
        bot.send_message(msg.chat.id, i18n::text(lang, Msg::NotAllowed))
            .await?;
    }
    Ok(())
}

/// The language to answer a message in.
pub fn lang_of(msg: &Message) -> Lang {
    Lang::from_code(msg.from.as_ref().and_then(|u| u.language_code.as_deref()))
}
