//! Typed ids: a profile id cannot be passed where a task id is expected, from the database row
//! to the callback button.
//!
//! Each is a bare `i64` underneath: the same column type in the database, the same number in
//! JSON (`serde(transparent)`, so job payloads and dialogue states stored by earlier versions
//! read as before) and in text (`Display` is the number).

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

/// Declares id newtypes over `i64` with their database, JSON, text and parsing forms.
macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sea_orm::DeriveValueType,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )+};
}

ids! {
    /// A connected Avito account of a user (`avito_profiles.id`).
    ProfileId;
    /// A Telegram user (`users.id`, a profile's owner).
    UserId;
    /// A Telegram chat: a report's destination, a dialogue's chat, the operator's chat.
    /// Converted to and from teloxide's `ChatId` where the bot talks to Telegram.
    ChatId;
    /// A profile's report settings (`report_tasks.id`).
    TaskId;
    /// One report delivery (`report_runs.id`).
    RunId;
    /// An Excel export request (`exports.id`).
    ExportId;
    /// One time an alert's condition held (`alert_episodes.id`).
    EpisodeId;
    /// One alert rule of a profile (`alert_rules.id`).
    AlertRuleId;
    /// Avito's own id of an account (`avito_profiles.avito_user_id`): what Avito's
    /// per-account operations take in their paths.
    AccountId;
    /// Avito's id of a review of the seller (`/ratings/v1/reviews`).
    ReviewId;
    /// An answer to a review written in Telegram (`review_answers.id`), from its draft on.
    AnswerDraftId;
}

impl UserId {
    /// The user's private chat with the bot, which Telegram numbers as the user.
    pub fn private_chat(self) -> ChatId {
        ChatId(self.0)
    }
}

impl ChatId {
    /// The user whose private chat this is. A group's or channel's id (negative) names no
    /// user: looking it up finds nobody.
    pub fn private_user(self) -> UserId {
        UserId(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bare_numbers_in_json_and_text() {
        assert_eq!(
            serde_json::to_string(&ProfileId(7)).ok().as_deref(),
            Some("7")
        );
        assert_eq!(serde_json::from_str::<RunId>("42").ok(), Some(RunId(42)));
        assert_eq!(ChatId(-100123).to_string(), "-100123");
        assert_eq!("15".parse::<TaskId>(), Ok(TaskId(15)));
        assert!("x".parse::<TaskId>().is_err());
        assert_eq!(UserId(9).private_chat(), ChatId(9));
        assert_eq!(ChatId(9).private_user(), UserId(9));
    }
}
