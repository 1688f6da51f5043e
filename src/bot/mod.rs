//! The Telegram side: the handler tree, commands, the /profiles hub, dialogues and on-demand
//! reports.
//!
//! [`schema`] returns the whole handler tree and [`dependencies`] what it needs injected.
//! Inside, the arrows point one way: `commands`, `hub` (button presses) and `dialogue` (typed
//! input) decide what to do as pure plans and carry them out through the narrow traits of
//! `ports`, which `adapters` implement over the database, Telegram and the queue; `views`
//! render screens and words for all of them and import none of them.

mod access;
mod adapters;
mod answer;
mod chat_check;
mod commands;
pub(crate) mod delivery;
pub mod dialogue;
pub(crate) mod hub;
mod ports;
mod start;
mod stats;
pub mod steps;
pub mod texts;
mod ui;
mod views;
mod who;

use std::sync::Arc;

use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::Me;

pub use commands::{Command, register_commands};

use crate::i18n::{self, Msg};
use steps::{BotDialogue, Storage};

pub use crate::context::AppState;
pub use crate::telegram::{TgBot, callback};

/// What the endpoints return. The futures are boxed where they are made: dptree's generic
/// `Send` check of an `async fn` future that holds references across awaits trips a rustc
/// limitation ("implementation of `Send` is not general enough"); a concrete `dyn Future +
/// Send` is checked at the definition instead.
type Handled = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// Everything [`schema`] needs injected.
pub fn dependencies(state: AppState, me: Me, bot: TgBot) -> DependencyMap {
    let storage = Storage::new(state.db.clone());
    dptree::deps![state, me, storage, bot]
}

/// The handler tree of the bot.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let messages = Update::filter_message()
        .branch(
            dptree::filter(|msg: Message, state: AppState| !is_allowed(&msg, &state))
                .endpoint(refuse),
        )
        .map(|msg: Message, storage: Arc<Storage>| BotDialogue::new(storage, msg.chat.id))
        .branch(dptree::entry().filter_command::<Command>().endpoint(
            |bot, msg, cmd, state, dialogue, me, update| -> Handled {
                Box::pin(commands::handle(bot, msg, cmd, state, dialogue, me, update))
            },
        ))
        .branch(dptree::endpoint(
            |bot, msg, state, dialogue, me, update| -> Handled {
                Box::pin(dialogue::on_message(bot, msg, state, dialogue, me, update))
            },
        ));
    let channel_posts = Update::filter_channel_post()
        .filter_command::<Command>()
        .endpoint(|bot, msg, cmd, state, update| -> Handled {
            Box::pin(commands::handle_channel(bot, msg, cmd, state, update))
        });
    let callbacks =
        Update::filter_callback_query().endpoint(|bot, q, state, storage, me, update| -> Handled {
            Box::pin(hub::on_callback(bot, q, state, storage, me, update))
        });
    dptree::entry()
        .branch(messages)
        .branch(channel_posts)
        .branch(callbacks)
}

fn is_allowed(msg: &Message, state: &AppState) -> bool {
    msg.from
        .as_ref()
        .is_some_and(|user| state.settings.is_allowed(user.id.into()))
}

/// Users outside `ALLOWED_USERS` get one polite line (in private chats only: in a group the
/// bot stays quiet rather than answer every stranger).
async fn refuse(bot: TgBot, msg: Message) -> anyhow::Result<()> {
    if msg.chat.is_private() {
        let lang = who::lang_of(&msg);
        bot.paced(msg.chat.id)
            .await
            .send_message(msg.chat.id, i18n::text(lang, Msg::NotAllowed))
            .await?;
    }
    Ok(())
}
