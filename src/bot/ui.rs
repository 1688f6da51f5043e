//! Sending and editing screens, and answering button presses, with Telegram's quirks handled
//! in one place.

use crate::bot::TgBot;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode,
};

use super::callback::Callback;

/// A message with its inline keyboard: what every hub screen renders to.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// HTML.
    pub text: String,
    pub keyboard: InlineKeyboardMarkup,
}

impl Screen {
    pub fn new(text: String, rows: Vec<Vec<InlineKeyboardButton>>) -> Self {
        Self {
            text,
            keyboard: InlineKeyboardMarkup::new(rows),
        }
    }

    /// The same screen with a line on top (e.g. "✅ Saved") after a typed change.
    pub fn with_notice(mut self, notice: &str) -> Self {
        self.text = format!("{notice}\n\n{}", self.text);
        self
    }
}

/// An inline button carrying a typed callback.
pub fn button(label: impl Into<String>, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, cb.encode())
}

pub async fn send_screen(
    bot: &TgBot,
    chat: ChatId,
    screen: Screen,
) -> Result<Message, RequestError> {
    bot.send_message(chat, screen.text)
        .parse_mode(ParseMode::Html)
        .reply_markup(screen.keyboard)
        .await
}

/// Edits the hub message in place. "Message is not modified" (the user pressed a button
/// that leads to the screen already shown) is success. Edits are not paced by the throttle
/// (Telegram counts them apart from sends), so a quick run of presses can meet a 429: its
/// `retry_after` is waited out when short, rather than showing the user an error.
pub async fn edit_screen(
    bot: &TgBot,
    chat: ChatId,
    message_id: MessageId,
    screen: Screen,
) -> Result<(), RequestError> {
    const RETRIES: u32 = 2;
    const LONGEST_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
    let mut retries = 0;
    loop {
        let sent = bot
            .edit_message_text(chat, message_id, screen.text.clone())
            .parse_mode(ParseMode::Html)
            .reply_markup(screen.keyboard.clone())
            .await;
        match sent {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
            Err(RequestError::RetryAfter(wait))
                if retries < RETRIES && wait.duration() <= LONGEST_WAIT =>
            {
                retries += 1;
                tracing::debug!(wait = ?wait.duration(), "Telegram asked to slow down an edit");
                tokio::time::sleep(wait.duration()).await;
            }
            Err(e) => return Err(e),
        }
    }
}

pub async fn send_html(bot: &TgBot, chat: ChatId, text: String) -> Result<Message, RequestError> {
    bot.send_message(chat, text)
        .parse_mode(ParseMode::Html)
        .await
}

/// How a button press is answered (every press is answered exactly once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Just stop the button's spinner.
    Silent,
    /// A short notice at the top of the chat.
    Toast(String),
    /// A dialog the user must dismiss: refusals and warnings.
    Alert(String),
    /// The handler already answered (before a long operation).
    Done,
}

pub async fn answer(
    bot: &TgBot,
    query_id: &CallbackQueryId,
    answer: Answer,
) -> Result<(), RequestError> {
    let query_id = query_id.clone();
    match answer {
        Answer::Done => Ok(()),
        Answer::Silent => bot.answer_callback_query(query_id).await.map(drop),
        Answer::Toast(text) => bot
            .answer_callback_query(query_id)
            .text(text)
            .await
            .map(drop),
        Answer::Alert(text) => bot
            .answer_callback_query(query_id)
            .text(text)
            .show_alert(true)
            .await
            .map(drop),
    }
}
