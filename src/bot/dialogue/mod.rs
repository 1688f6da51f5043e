//! Dialogues: the steps where the bot waits for typed input. The state lives in the
//! `dialogues` table (see `db::dialogue_storage`), so a restart does not lose a user's place.
//!
//! Dialogues run in private chats only: in groups the bot (privacy mode) never sees plain
//! text, so the hub refuses text-input buttons there with a hint.

pub mod add_profile;
pub mod historical;
pub mod inputs;
pub mod keys;

use crate::bot::TgBot;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use teloxide::dispatching::dialogue::Dialogue;
use teloxide::prelude::*;
use teloxide::types::Me;

use super::texts::{T, t};
use super::{AppState, lang_of};
use crate::db::dialogue_storage::DbDialogueStorage;
use crate::domain::{ProfileId, UserId};
use historical::Purpose;

/// Where a chat is in a dialogue. Serialised as JSON in `dialogues.state`: renaming a variant
/// or field makes old rows unreadable (they then count as "no dialogue").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum State {
    #[default]
    Idle,
    AddName,
    AddClientId {
        name: String,
    },
    AddSecret {
        name: String,
        client_id: String,
    },
    /// Avito was unavailable: everything is kept (the secret encrypted) for "try again".
    AddRetry {
        name: String,
        client_id: String,
        secret_enc: String,
    },
    Time {
        profile_id: ProfileId,
    },
    TimeZone {
        profile_id: ProfileId,
    },
    Interval {
        profile_id: ProfileId,
    },
    MonthDay {
        profile_id: ProfileId,
    },
    ForwardChat {
        profile_id: ProfileId,
    },
    Rename {
        profile_id: ProfileId,
    },
    /// New keys for a profile: its client id.
    KeysClientId {
        profile_id: ProfileId,
    },
    KeysSecret {
        profile_id: ProfileId,
        client_id: String,
    },
    /// Avito was unavailable: the new keys are kept (the secret encrypted) for "try again".
    KeysRetry {
        profile_id: ProfileId,
        client_id: String,
        secret_enc: String,
    },
    HistoricalStart {
        profile_id: ProfileId,
    },
    HistoricalEnd {
        profile_id: ProfileId,
        start: NaiveDate,
    },
    /// Statistics to Excel: the period's first day.
    StatsStart {
        profile_id: ProfileId,
    },
    StatsEnd {
        profile_id: ProfileId,
        start: NaiveDate,
    },
}

pub type Storage = DbDialogueStorage<State>;
pub type BotDialogue = Dialogue<State, Storage>;

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
    let Some(user_id) = msg.from.as_ref().map(|u| UserId::from(u.id)) else {
        return Ok(());
    };
    if current != State::Idle
        && msg.text().is_none()
        && !matches!(current, State::ForwardChat { .. })
    {
        bot.send_message(msg.chat.id, t(lang, T::SendTextPlease))
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
        user_id,
        text,
    };
    match current {
        State::Idle => super::start::unknown_input(bot.clone(), msg.clone()).await,
        State::AddName => add_profile::on_name(&ctx).await,
        State::AddClientId { name } => add_profile::on_client_id(&ctx, name).await,
        State::AddSecret { name, client_id } => add_profile::on_secret(&ctx, name, client_id).await,
        // Waiting for the button; typed text gets the same choice again.
        State::AddRetry { .. } => add_profile::remind_retry(&ctx).await,
        State::Time { profile_id } => inputs::on_time(&ctx, profile_id).await,
        State::TimeZone { profile_id } => inputs::on_time_zone(&ctx, profile_id).await,
        State::Interval { profile_id } => inputs::on_interval(&ctx, profile_id).await,
        State::MonthDay { profile_id } => inputs::on_month_day(&ctx, profile_id).await,
        State::ForwardChat { profile_id } => inputs::on_forward(&ctx, profile_id).await,
        State::Rename { profile_id } => inputs::on_rename(&ctx, profile_id).await,
        State::KeysClientId { profile_id } => keys::on_client_id(&ctx, profile_id).await,
        State::KeysSecret {
            profile_id,
            client_id,
        } => keys::on_secret(&ctx, profile_id, client_id).await,
        State::KeysRetry { .. } => add_profile::remind_retry(&ctx).await,
        State::HistoricalStart { profile_id } => {
            historical::on_start(&ctx, profile_id, Purpose::Report).await
        }
        State::HistoricalEnd { profile_id, start } => {
            historical::on_end(&ctx, profile_id, start, Purpose::Report).await
        }
        State::StatsStart { profile_id } => {
            historical::on_start(&ctx, profile_id, Purpose::StatsExport).await
        }
        State::StatsEnd { profile_id, start } => {
            historical::on_end(&ctx, profile_id, start, Purpose::StatsExport).await
        }
    }
}

/// One typed message in a dialogue step.
pub struct Input<'a> {
    pub bot: &'a TgBot,
    pub msg: &'a Message,
    pub state: &'a AppState,
    pub dialogue: &'a BotDialogue,
    pub me: &'a Me,
    pub lang: crate::i18n::Lang,
    pub user_id: UserId,
    pub text: &'a str,
}

impl Input<'_> {
    pub async fn reply(&self, text: String) -> anyhow::Result<()> {
        super::ui::send_html(self.bot, self.msg.chat.id, text).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// States as earlier versions stored them in `dialogues.state` (profile ids as bare
    /// numbers) still read as the same step, and are written the same way.
    #[test]
    fn stored_states_stay_readable() {
        let id = ProfileId(42);
        let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        for (stored, state) in [
            (r#"{"step":"idle"}"#, State::Idle),
            (
                r#"{"step":"add_client_id","name":"Shop"}"#,
                State::AddClientId {
                    name: "Shop".into(),
                },
            ),
            (
                r#"{"step":"time","profile_id":42}"#,
                State::Time { profile_id: id },
            ),
            (
                r#"{"step":"time_zone","profile_id":42}"#,
                State::TimeZone { profile_id: id },
            ),
            (
                r#"{"step":"interval","profile_id":42}"#,
                State::Interval { profile_id: id },
            ),
            (
                r#"{"step":"month_day","profile_id":42}"#,
                State::MonthDay { profile_id: id },
            ),
            (
                r#"{"step":"forward_chat","profile_id":42}"#,
                State::ForwardChat { profile_id: id },
            ),
            (
                r#"{"step":"rename","profile_id":42}"#,
                State::Rename { profile_id: id },
            ),
            (
                r#"{"step":"keys_client_id","profile_id":42}"#,
                State::KeysClientId { profile_id: id },
            ),
            (
                r#"{"step":"keys_secret","profile_id":42,"client_id":"abc"}"#,
                State::KeysSecret {
                    profile_id: id,
                    client_id: "abc".into(),
                },
            ),
            (
                r#"{"step":"keys_retry","profile_id":42,"client_id":"abc","secret_enc":"v1.x"}"#,
                State::KeysRetry {
                    profile_id: id,
                    client_id: "abc".into(),
                    secret_enc: "v1.x".into(),
                },
            ),
            (
                r#"{"step":"historical_start","profile_id":42}"#,
                State::HistoricalStart { profile_id: id },
            ),
            (
                r#"{"step":"historical_end","profile_id":42,"start":"2026-03-01"}"#,
                State::HistoricalEnd {
                    profile_id: id,
                    start,
                },
            ),
            (
                r#"{"step":"stats_start","profile_id":42}"#,
                State::StatsStart { profile_id: id },
            ),
            (
                r#"{"step":"stats_end","profile_id":42,"start":"2026-03-01"}"#,
                State::StatsEnd {
                    profile_id: id,
                    start,
                },
            ),
        ] {
            let read: State = serde_json::from_str(stored).expect(stored);
            assert_eq!(read, state, "{stored}");
            assert_eq!(serde_json::to_string(&state).ok().as_deref(), Some(stored));
        }
    }
}
