//! Bot commands: parsing, dispatch to handlers, and registration with `setMyCommands`.

use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope};
use teloxide::utils::command::BotCommands;

use super::{AppState, start};
use crate::i18n::{self, Lang, Msg};

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "snake_case")]
pub enum Command {
    Start,
    Help,
}

impl Command {
    /// The command menu in `lang`, as `setMyCommands` takes it.
    pub fn menu(lang: Lang) -> Vec<BotCommand> {
        [("start", Msg::CmdStart), ("help", Msg::CmdHelp)]
            .into_iter()
            .map(|(name, description)| BotCommand::new(name, i18n::text(lang, description)))
            .collect()
    }
}

pub async fn handle(bot: Bot, msg: Message, cmd: Command, state: AppState) -> anyhow::Result<()> {
    match cmd {
        Command::Start => start::start(bot, msg, state).await,
        Command::Help => start::help(bot, msg).await,
    }
}

/// Registers the command menu for private chats and groups, in Russian (default) and English.
pub async fn register_commands(bot: &Bot) -> Result<(), teloxide::RequestError> {
    for scope in [
        BotCommandScope::AllPrivateChats,
        BotCommandScope::AllGroupChats,
    ] {
        bot.set_my_commands(Command::menu(Lang::Ru))
            .scope(scope.clone())
            .await?;
        bot.set_my_commands(Command::menu(Lang::En))
            .scope(scope)
            .language_code(Lang::En.code())
            .await?;
    }
    Ok(())
}
