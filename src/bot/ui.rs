//! Sending and editing screens, and answering button presses, with Telegram's quirks handled
//! in one place.

use crate::telegram::{Retry, TgBot, patiently};
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode,
};

use crate::telegram::callback::Callback;

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
    let screen = &screen;
    patiently(Retry::Transient, || async move {
        bot.paced(chat)
            .await
            .send_message(chat, screen.text.clone())
            .parse_mode(ParseMode::Html)
            .reply_markup(screen.keyboard.clone())
            .await
    })
    .await
}

/// Edits the hub message in place. "Message is not modified" (the user pressed a button
/// that leads to the screen already shown) is success. Edits are not paced (Telegram counts
/// them apart from sends): 429s are waited out, 5xx retried.
pub async fn edit_screen(
    bot: &TgBot,
    chat: ChatId,
    message_id: MessageId,
    screen: Screen,
) -> Result<(), RequestError> {
    let edited = patiently(Retry::Transient, || {
        bot.unpaced()
            .edit_message_text(chat, message_id, screen.text.clone())
            .parse_mode(ParseMode::Html)
            .reply_markup(screen.keyboard.clone())
            .into_future()
    })
    .await;
    match edited {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn send_html(bot: &TgBot, chat: ChatId, text: String) -> Result<Message, RequestError> {
    let text = &text;
    patiently(Retry::Transient, || async move {
        bot.paced(chat)
            .await
            .send_message(chat, text.clone())
            .parse_mode(ParseMode::Html)
            .await
    })
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
    let call = || {
        let request = bot.unpaced().answer_callback_query(query_id.clone());
        match &answer {
            Answer::Done | Answer::Silent => request,
            Answer::Toast(text) => request.text(text.clone()),
            Answer::Alert(text) => request.text(text.clone()).show_alert(true),
        }
        .into_future()
    };
    if answer == Answer::Done {
        return Ok(());
    }
    patiently(Retry::Transient, call).await.map(drop)
}
