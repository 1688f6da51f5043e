//! `/start`, `/help`, and the hint for input the bot does not understand.

use crate::telegram::TgBot;
use teloxide::prelude::*;
use teloxide::types::ParseMode;
use teloxide::utils::html;

use super::who::{lang_of, telegram_user};
use crate::context::AppState;
use crate::db::users;
use crate::i18n::{self, Msg};

/// Registers (or refreshes) the user and greets them in their language.
#[tracing::instrument(name = "cmd_start", skip_all, fields(chat_id = %msg.chat.id))]
pub async fn start(bot: TgBot, msg: Message, state: AppState) -> anyhow::Result<()> {
    let lang = lang_of(&msg);
    let name = match &msg.from {
        Some(from) => {
            let user = users::upsert(&state.db, &telegram_user(from)).await?;
            tracing::info!(user_id = user.id.0, "user registered");
            user.first_name
        }
        None => String::new(),
    };
    let text = i18n::format(lang, Msg::Greeting, &[("name", &html::escape(&name))]);
    bot.paced(msg.chat.id)
        .await
        .send_message(msg.chat.id, text)
        .parse_mode(ParseMode::Html)
        .await?;
    Ok(())
}

pub async fn help(bot: TgBot, msg: Message) -> anyhow::Result<()> {
    bot.paced(msg.chat.id)
        .await
        .send_message(msg.chat.id, i18n::text(lang_of(&msg), Msg::Help))
        .parse_mode(ParseMode::Html)
        .await?;
    Ok(())
}

/// Text outside any dialogue gets a short hint rather than silence (private chats only: in
/// a group, ordinary conversation is none of the bot's business).
pub async fn unknown_input(bot: TgBot, msg: Message) -> anyhow::Result<()> {
    if msg.chat.is_private() && msg.text().is_some() {
        bot.paced(msg.chat.id)
            .await
            .send_message(msg.chat.id, i18n::text(lang_of(&msg), Msg::UnknownInput))
            .await?;
    }
    Ok(())
}
