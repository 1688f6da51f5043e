//! Alerts to the operator's chat (`ADMIN_CHAT_ID`), at most one per cause per hour across
//! every process sharing the database.
//!
//! A raise first claims its cause in `admin_alerts` with one atomic upsert that succeeds only
//! when the cause was last sent longer ago than the window; only the claimant sends. Raises in
//! between are counted and the next alert of that cause says how many were suppressed.

use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};

use crate::db::admin_alerts;
use teloxide::prelude::*;
use teloxide::types::ParseMode;

use crate::domain::{ChatId, ProfileId, TaskId, clock};
use crate::metrics;
use crate::telegram::TgBot;

/// One alert per cause per this long.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Telegram takes 4096 characters; the header and the suppressed note need a little room.
const MAX_TEXT_CHARS: usize = 3500;

/// Why the operator is alerted. The cause decides what counts as a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AlertCause {
    /// Avito rejects a profile's client id / secret.
    InvalidCredentials { profile_id: ProfileId },
    /// Jobs gave up after their last attempt (one alert for all of them).
    DeadJobs,
    /// A report task's deliveries keep failing.
    DeliveryFailures { task_id: TaskId },
    /// A profile's alert checks cannot reach Avito.
    AlertChecks { profile_id: ProfileId },
    /// Anything else, keyed by a short stable name.
    Other(String),
}

impl AlertCause {
    /// The de-duplication key stored in `admin_alerts.cause`.
    pub fn key(&self) -> String {
        match self {
            AlertCause::InvalidCredentials { profile_id } => {
                format!("invalid_credentials:{profile_id}")
            }
            AlertCause::DeadJobs => "dead_jobs".to_owned(),
            AlertCause::DeliveryFailures { task_id } => format!("delivery_failures:{task_id}"),
            AlertCause::AlertChecks { profile_id } => format!("alert_checks:{profile_id}"),
            AlertCause::Other(name) => format!("other:{name}"),
        }
    }
}

/// What became of one raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcome {
    Sent,
    /// The cause was sent within the window (by this or another process).
    Suppressed,
    /// `ADMIN_CHAT_ID` is not set: the alert is only logged.
    Disabled,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("cannot record the admin alert: {0}")]
    Db(#[from] DbErr),
    #[error("Telegram refused the admin alert: {0}")]
    Telegram(#[from] teloxide::RequestError),
}

/// Sends de-duplicated alerts to the admin chat. Cheap to clone.
#[derive(Clone)]
pub struct AdminAlerts {
    db: DatabaseConnection,
    bot: TgBot,
    chat: Option<teloxide::types::ChatId>,
    window: Duration,
}

impl AdminAlerts {
    /// `chat` is `ADMIN_CHAT_ID` (`Settings::admin_chat_id`); without it alerts are logged only.
    pub fn new(db: DatabaseConnection, bot: TgBot, chat: Option<ChatId>) -> Self {
        Self {
            db,
            bot,
            chat: chat.map(Into::into),
            window: DEFAULT_WINDOW,
        }
    }

    /// Sends `text` (Telegram HTML, escaped by the caller, in the admin's language) to the admin
    /// chat unless `cause` was sent within the last hour. Returns whether it was sent; failures
    /// are logged, as an alert must never fail its caller.
    ///
    /// `text` must not carry secrets; the bot token is masked in any case.
    pub async fn raise(&self, cause: AlertCause, text: impl AsRef<str>) -> bool {
        match self.try_raise(&cause, text.as_ref()).await {
            Ok(AlertOutcome::Sent) => true,
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(cause = %cause.key(), error = %e, "admin alert not sent");
                false
            }
        }
    }

    /// [`Self::raise`] with the outcome and the error.
    pub async fn try_raise(
        &self,
        cause: &AlertCause,
        text: &str,
    ) -> Result<AlertOutcome, AlertError> {
        let key = cause.key();
        let text = self.mask_secrets(text);
        let Some(chat) = self.chat else {
            tracing::warn!(cause = %key, alert = %text, "admin alert (ADMIN_CHAT_ID is not set)");
            metrics::admin_alert("disabled");
            return Ok(AlertOutcome::Disabled);
        };
        let now = clock::now().timestamp();
        let Some(suppressed) = admin_alerts::claim(&self.db, &key, now, self.window).await? else {
            admin_alerts::count_suppressed(&self.db, &key).await?;
            tracing::debug!(cause = %key, "admin alert suppressed: sent within the window");
            metrics::admin_alert("suppressed");
            return Ok(AlertOutcome::Suppressed);
        };
        let (message, html) = compose(&text, suppressed);
        let request = self.bot.paced(chat).await.send_message(chat, message);
        let sent = if html {
            request.parse_mode(ParseMode::Html).await
        } else {
            request.await
        };
        match sent {
            Ok(_) => {
                tracing::info!(cause = %key, chat_id = chat.0, "admin alert sent");
                metrics::admin_alert("sent");
                Ok(AlertOutcome::Sent)
            }
            Err(e) => {
                metrics::admin_alert("failed");
                // Give the claim back so that the next raise tries again.
                if let Err(release) = admin_alerts::release(&self.db, &key, now, suppressed).await {
                    tracing::warn!(cause = %key, error = %release, "cannot release the admin alert's claim");
                }
                Err(AlertError::Telegram(e))
            }
        }
    }

    /// The bot token must never reach a chat, even inside an error text a caller passed on.
    fn mask_secrets(&self, text: &str) -> String {
        let token = self.bot.unpaced().token();
        if token.is_empty() {
            text.to_owned()
        } else {
            text.replace(token, "***")
        }
    }
}

impl std::fmt::Debug for AdminAlerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAlerts")
            .field("chat", &self.chat)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The message and whether it is sent as HTML: a text cut to Telegram's length may have lost
/// a closing tag, which Telegram would refuse, so a cut text goes as plain text.
fn compose(text: &str, suppressed: i32) -> (String, bool) {
    let (mut message, html) = match truncate(text, MAX_TEXT_CHARS) {
        Some(cut) => (cut, false),
        None => (text.to_owned(), true),
    };
    if suppressed > 0 {
        message.push_str(&format!(
            "\n\n({suppressed} more alert(s) of this kind were held back since the last one.)"
        ));
    }
    (message, html)
}

/// `text` cut to `max_chars` characters, or `None` when it is short enough.
fn truncate(text: &str, max_chars: usize) -> Option<String> {
    text.char_indices()
        .nth(max_chars)
        .map(|(cut, _)| format!("{}…", &text[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_keys_separate_profiles_and_tasks() {
        assert_eq!(
            AlertCause::InvalidCredentials {
                profile_id: ProfileId(7)
            }
            .key(),
            "invalid_credentials:7"
        );
        assert_ne!(
            AlertCause::InvalidCredentials {
                profile_id: ProfileId(7)
            }
            .key(),
            AlertCause::InvalidCredentials {
                profile_id: ProfileId(8)
            }
            .key()
        );
        assert_eq!(
            AlertCause::DeliveryFailures { task_id: TaskId(3) }.key(),
            "delivery_failures:3"
        );
        assert_eq!(AlertCause::DeadJobs.key(), "dead_jobs");
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let text = "я".repeat(10);
        assert_eq!(truncate(&text, 4).as_deref(), Some("яяяя…"));
        assert_eq!(truncate("short", 10), None);
    }

    #[test]
    fn the_suppressed_count_is_told_only_when_there_were_some() {
        assert_eq!(compose("<b>x</b>", 0), ("<b>x</b>".to_owned(), true));
        assert!(compose("x", 3).0.contains("3 more alert(s)"));
    }

    #[test]
    fn a_cut_text_goes_as_plain_text() {
        let long = format!("<b>{}</b>", "x".repeat(MAX_TEXT_CHARS));
        let (message, html) = compose(&long, 0);
        assert!(!html);
        assert_eq!(message.chars().count(), MAX_TEXT_CHARS + 1);
    }
}
