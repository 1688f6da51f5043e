//! Dialogues: the steps where the bot waits for typed input. The state lives in the
//! `dialogues` table (see `db::dialogue_storage`), so a restart does not lose a user's place.
//!
//! Dialogues run in private chats only: in groups the bot (privacy mode) never sees plain
//! text, so the hub refuses text-input buttons there with a hint.
//!
//! This file only routes a message to its step's handler. The step itself is
//! [`crate::bot::steps::State`] (the hub starts dialogues too), the message [`input`];
//! [`inputs`] parses typed values, [`verdict`] decides on Avito's word on entered keys and
//! [`check`] carries it out; [`prompts`] are the questions asked.

pub mod add_profile;
pub mod answer;
pub mod check;
pub mod historical;
pub mod input;
pub mod inputs;
pub mod keys;
pub mod prompts;
pub mod settings;
pub mod verdict;

use teloxide::prelude::*;
use teloxide::types::Me;

use crate::bot::steps::{BotDialogue, Purpose, State};
use crate::bot::texts::{T, t};
use crate::bot::who::{lang_of, telegram_user};
use crate::context::AppState;
use crate::telegram::TgBot;
use input::Input;

/// A message that is not a command, in a chat's current dialogue step.
#[tracing::instrument(name = "message", skip_all, fields(update_id = update.id.0, chat_id = %msg.chat.id, user_id = msg.from.as_ref().map(|u| u.id.0)))]
pub async fn on_message(
    bot: TgBot,
    msg: Message,
    state: AppState,
    dialogue: BotDialogue,
    me: Me,
    update: Update,
) -> anyhow::Result<()> {
    let current = dialogue.get().await?.unwrap_or_default();
    let lang = lang_of(&msg);
    let Some(user) = msg.from.as_ref().map(telegram_user) else {
        return Ok(());
    };
    if current != State::Idle
        && msg.text().is_none()
        && !matches!(current, State::ForwardChat { .. })
    {
        bot.paced(msg.chat.id)
            .await
            .send_message(msg.chat.id, t(lang, T::SendTextPlease))
            .await?;
        return Ok(());
    }
    let text = msg.text().unwrap_or_default();
    let ctx = Input {
        bot: &bot,
        msg: &msg,
        state: &state,
        dialogue: &dialogue,
        me: &me,
        lang,
        user,
        text,
    };
    route(&ctx, current).await
}

async fn route(ctx: &Input<'_>, current: State) -> anyhow::Result<()> {
    match current {
        State::Idle => crate::bot::start::unknown_input(ctx.bot.clone(), ctx.msg.clone()).await,
        State::AddName => add_profile::on_name(ctx).await,
        State::AddClientId { name } => add_profile::on_client_id(ctx, name).await,
        State::AddSecret { name, client_id } => add_profile::on_secret(ctx, name, client_id).await,
        // Waiting for the button; typed text gets the same choice again.
        State::AddRetry { .. } | State::KeysRetry { .. } => add_profile::remind_retry(ctx).await,
        State::Time { profile_id } => settings::on_time(ctx, profile_id).await,
        State::TimeZone { profile_id } => settings::on_time_zone(ctx, profile_id).await,
        State::Interval { profile_id } => settings::on_interval(ctx, profile_id).await,
        State::MonthDay { profile_id } => settings::on_month_day(ctx, profile_id).await,
        State::ForwardChat { profile_id } => settings::on_forward(ctx, profile_id).await,
        State::Rename { profile_id } => settings::on_rename(ctx, profile_id).await,
        State::KeysClientId { profile_id } => keys::on_client_id(ctx, profile_id).await,
        State::KeysSecret {
            profile_id,
            client_id,
        } => keys::on_secret(ctx, profile_id, client_id).await,
        State::HistoricalStart { profile_id } => {
            historical::on_start(ctx, profile_id, Purpose::Report).await
        }
        State::HistoricalEnd { profile_id, start } => {
            historical::on_end(ctx, profile_id, start, Purpose::Report).await
        }
        State::StatsStart { profile_id } => {
            historical::on_start(ctx, profile_id, Purpose::StatsExport).await
        }
        State::StatsEnd { profile_id, start } => {
            historical::on_end(ctx, profile_id, start, Purpose::StatsExport).await
        }
        State::ReviewAnswer {
            profile_id,
            review_id,
            draft,
        } => answer::on_text(ctx, profile_id, review_id, draft).await,
    }
}
