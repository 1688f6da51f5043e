//! Who sent an update: the language to answer in, and the sender as the `users` table keeps
//! them.

use teloxide::types::{Message, User};

use crate::db::users::TelegramUser;
use crate::i18n::Lang;

/// The language to answer a message in.
pub fn lang_of(msg: &Message) -> Lang {
    msg.from.as_ref().map(lang_of_user).unwrap_or(Lang::Ru)
}

/// The language of a Telegram user.
pub fn lang_of_user(user: &User) -> Lang {
    Lang::from_code(user.language_code.as_deref())
}

/// What a Telegram update tells about its sender, as the database keeps it.
pub fn telegram_user(from: &User) -> TelegramUser {
    TelegramUser {
        id: from.id.into(),
        username: from.username.clone(),
        first_name: from.first_name.clone(),
        language_code: from.language_code.clone(),
    }
}
