//! Whether the bot can post in a chat chosen as a report destination (asked with
//! `getChatMember` for the bot itself), so a wrong choice is refused with the reason at once
//! instead of failing silently at report time.

use crate::telegram::TgBot;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{ChatMemberKind, UserId};

use super::texts::{T, t};
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannotPost {
    NotMember,
    NoRights,
    /// Telegram did not answer usefully (network trouble); the user may retry.
    Unknown,
}

impl CannotPost {
    pub fn reason(self, lang: Lang) -> String {
        t(
            lang,
            match self {
                CannotPost::NotMember => T::ReasonNotMember,
                CannotPost::NoRights => T::ReasonNoRights,
                CannotPost::Unknown => T::ReasonUnknown,
            },
        )
    }
}

/// Checks that the bot (`bot_id`) may post in `chat`; `is_channel` selects the channel rule
/// (only administrators with `can_post_messages` post in channels).
pub async fn can_post(
    bot: &TgBot,
    bot_id: UserId,
    chat: ChatId,
    is_channel: bool,
) -> Result<(), CannotPost> {
    let member = match bot.unpaced().get_chat_member(chat, bot_id).await {
        Ok(member) => member,
        Err(RequestError::Api(e)) => {
            tracing::info!(chat_id = chat.0, error = %e, "the bot is not in the chosen chat");
            return Err(CannotPost::NotMember);
        }
        Err(e) => {
            tracing::warn!(chat_id = chat.0, error = %e, "cannot check the bot's rights in a chat");
            return Err(CannotPost::Unknown);
        }
    };
    let kind = &member.kind;
    match kind {
        ChatMemberKind::Left | ChatMemberKind::Banned(_) => Err(CannotPost::NotMember),
        ChatMemberKind::Restricted(r) if !r.is_member => Err(CannotPost::NotMember),
        ChatMemberKind::Restricted(r) if !r.can_send_messages => Err(CannotPost::NoRights),
        _ if is_channel && !kind.can_post_messages() => Err(CannotPost::NoRights),
        _ => Ok(()),
    }
}
