//! Sending to Telegram, shared by the bot, the jobs and the operator alerts: the process' one
//! throttled bot, sending report chunks, what a refusal means, and the callback-data codec of
//! every inline button.

pub mod callback;

use teloxide::prelude::*;
use teloxide::types::ParseMode;
use teloxide::{ApiError, RequestError};

use crate::metrics;

/// The bot every handler and job sends through: Telegram's flood limits (overall, per chat,
/// per group) are paced in one place per process, and 429 `retry_after` is waited out.
pub type TgBot = teloxide::adaptors::Throttle<Bot>;

/// Wraps the raw bot in the process-wide limiter: per chat 1 message/s, 20/min per group, and this
/// process' share of the overall 30/s (`TELEGRAM_MESSAGES_PER_SEC`).
pub fn throttled(bot: Bot, jobs: &crate::config::JobSettings) -> TgBot {
    let limits = teloxide::adaptors::throttle::Limits {
        messages_per_sec_chat: 1,
        // Telegram limits groups (20/min), not private chats; 1/s already bounds those.
        messages_per_min_chat: 60,
        messages_per_min_channel_or_supergroup: 20,
        messages_per_sec_overall: jobs.telegram_messages_per_sec,
    };
    teloxide::adaptors::Throttle::new_spawn(bot, limits)
}

/// Telegram will not take messages to this chat until someone acts (bot blocked, removed,
/// chat gone, no right to post).
pub fn destination_lost(e: &RequestError) -> bool {
    match e {
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::NotEnoughRightsToPostMessages
            | ApiError::GroupDeactivated,
        ) => true,
        RequestError::Api(ApiError::Unknown(text)) => text.starts_with("Forbidden"),
        _ => false,
    }
}

/// Sends HTML chunks in order.
pub async fn send_chunks(
    bot: &TgBot,
    chat: ChatId,
    chunks: Vec<String>,
) -> Result<(), RequestError> {
    for chunk in chunks {
        match bot
            .send_message(chat, chunk)
            .parse_mode(ParseMode::Html)
            .await
        {
            Ok(_) => metrics::telegram_sent(),
            Err(e) => {
                if matches!(e, RequestError::RetryAfter(_)) {
                    metrics::telegram_rate_limited();
                }
                return Err(e);
            }
        }
    }
    Ok(())
}
