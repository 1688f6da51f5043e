//! Bot commands: parsing, dispatch to handlers, and registration with `setMyCommands`.

use crate::telegram::TgBot;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Me};
use teloxide::utils::command::BotCommands;

use super::adapters::Live;
use super::dialogue::add_profile;
use super::ports::{Chat, SettingsStore};
use super::steps::{BotDialogue, State};
use super::texts::{self, T};
use super::views::list;
use super::who::{lang_of, telegram_user};
use super::{start, stats, ui};
use crate::context::AppState;
use crate::db::users;
use crate::i18n::{self, Lang, Msg};

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "snake_case")]
pub enum Command {
    Start,
    Help,
    AddProfile,
    Profiles,
    Stats,
    Settings,
    Cancel,
}

impl Command {
    /// The command menu in `lang`, as `setMyCommands` takes it.
    pub fn menu(lang: Lang) -> Vec<BotCommand> {
        let core = [("start", Msg::CmdStart), ("help", Msg::CmdHelp)]
            .into_iter()
            .map(|(name, description)| BotCommand::new(name, i18n::text(lang, description)));
        let hub = [
            ("add_profile", T::CmdAddProfile),
            ("profiles", T::CmdProfiles),
            ("stats", T::CmdStats),
            ("settings", T::CmdSettings),
            ("cancel", T::CmdCancel),
        ]
        .into_iter()
        .map(|(name, description)| BotCommand::new(name, texts::t(lang, description)));
        core.chain(hub).collect()
    }
}

#[tracing::instrument(name = "command", skip_all, fields(update_id = update.id.0, chat_id = %msg.chat.id, user_id = msg.from.as_ref().map(|u| u.id.0), command = ?cmd))]
pub async fn handle(
    bot: TgBot,
    msg: Message,
    cmd: Command,
    state: AppState,
    dialogue: BotDialogue,
    me: Me,
    update: Update,
) -> anyhow::Result<()> {
    let lang = lang_of(&msg);
    let chat = msg.chat.id;
    let Some(from) = msg.from.clone() else {
        return Ok(());
    };
    // A new command means the user moved on: a half-done dialogue is dropped (/cancel says
    // so itself; /help is harmless mid-dialogue and keeps the step).
    let previous = dialogue.get().await?.unwrap_or_default();
    if !matches!(cmd, Command::Help | Command::Cancel) && previous != State::Idle {
        dialogue.exit().await?;
    }
    match cmd {
        Command::Start => start::start(bot, msg, state).await,
        Command::Help => start::help(bot, msg).await,
        Command::Settings => {
            ui::send_html(&bot, chat, texts::t(lang, T::SettingsHint)).await?;
            Ok(())
        }
        Command::Cancel => {
            let key = if previous == State::Idle {
                T::NothingToCancel
            } else {
                dialogue.exit().await?;
                T::Cancelled
            };
            ui::send_html(&bot, chat, texts::t(lang, key)).await?;
            Ok(())
        }
        Command::AddProfile => {
            if !msg.chat.is_private() {
                ui::send_html(&bot, chat, texts::t(lang, T::PrivateOnly)).await?;
                return Ok(());
            }
            register(&state, &from).await?;
            add_profile::start(&live(&bot, &state, &me, chat, &dialogue), lang).await
        }
        Command::Profiles => {
            register(&state, &from).await?;
            // The list as a new hub message.
            let live = live(&bot, &state, &me, chat, &dialogue);
            let owner: crate::domain::UserId = from.id.into();
            let page = live.profiles_page(owner, 0).await?;
            live.send(list::screen(lang, owner, &page)).await
        }
        Command::Stats => stats::handle(&bot, &msg, &state, lang).await,
    }
}

/// `/stats` posted in a channel (channel posts have no sender; the command only reports the
/// profiles their owners bound to this channel).
#[tracing::instrument(name = "channel_command", skip_all, fields(update_id = update.id.0, chat_id = %msg.chat.id))]
pub async fn handle_channel(
    bot: TgBot,
    msg: Message,
    cmd: Command,
    state: AppState,
    update: Update,
) -> anyhow::Result<()> {
    match cmd {
        Command::Stats => stats::handle(&bot, &msg, &state, Lang::Ru).await,
        _ => Ok(()),
    }
}

async fn register(state: &AppState, from: &teloxide::types::User) -> anyhow::Result<()> {
    users::upsert(&state.db, &telegram_user(from)).await?;
    Ok(())
}

fn live<'a>(
    bot: &'a TgBot,
    state: &'a AppState,
    me: &'a Me,
    chat: ChatId,
    dialogue: &'a BotDialogue,
) -> Live<'a> {
    Live {
        bot,
        state,
        me,
        chat,
        dialogue,
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
