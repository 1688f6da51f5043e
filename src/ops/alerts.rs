//! Alerts to the operator's chat (`ADMIN_CHAT_ID`), at most one per cause per hour across
//! every process sharing the database.
//!
//! A raise first claims its cause in `admin_alerts` with one atomic upsert that succeeds only
//! when the cause was last sent longer ago than the window; only the claimant sends. Raises in
//! between are counted and the next alert of that cause says how many were suppressed.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};
use teloxide::prelude::*;
use teloxide::types::ChatId;

use super::metrics;
use crate::bot::TgBot;

/// One alert per cause per this long.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Telegram takes 4096 characters; the header and the suppressed note need a little room.
const MAX_TEXT_CHARS: usize = 3500;

/// Why the operator is alerted. The cause decides what counts as a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AlertCause {
    /// Avito rejects a profile's client id / secret.
    InvalidCredentials { profile_id: i64 },
    /// Jobs gave up after their last attempt (one alert for all of them).
    DeadJobs,
    /// A report task's deliveries keep failing.
    DeliveryFailures { task_id: i64 },
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
            AlertCause::Other(name) => format!("other:{name}"),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AlertCause::InvalidCredentials { .. } => "Invalid Avito credentials",
            AlertCause::DeadJobs => "Jobs gave up",
            AlertCause::DeliveryFailures { .. } => "Repeated delivery failures",
            AlertCause::Other(_) => "Alert",
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
    chat: Option<ChatId>,
    window: Duration,
}

impl AdminAlerts {
    /// `chat` is `ADMIN_CHAT_ID` (`Settings::admin_chat_id`); without it alerts are logged only.
    pub fn new(db: DatabaseConnection, bot: TgBot, chat: Option<i64>) -> Self {
        Self {
            db,
            bot,
            chat: chat.map(ChatId),
            window: DEFAULT_WINDOW,
        }
    }

    /// Sends `text` to the admin chat unless `cause` was sent within the last hour. Returns
    /// whether it was sent; failures are logged, as an alert must never fail its caller.
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
        let now = Utc::now().timestamp();
        let Some(suppressed) = self.claim(&key, now).await? else {
            self.count_suppressed(&key).await?;
            tracing::debug!(cause = %key, "admin alert suppressed: sent within the window");
            metrics::admin_alert("suppressed");
            return Ok(AlertOutcome::Suppressed);
        };
        let message = compose(cause, &text, suppressed);
        match self.bot.send_message(chat, message).await {
            Ok(_) => {
                tracing::info!(cause = %key, chat_id = chat.0, "admin alert sent");
                metrics::admin_alert("sent");
                Ok(AlertOutcome::Sent)
            }
            Err(e) => {
                metrics::admin_alert("failed");
                // Give the claim back so that the next raise tries again.
                if let Err(release) = self.release(&key, now, suppressed).await {
                    tracing::warn!(cause = %key, error = %release, "cannot release the admin alert's claim");
                }
                Err(AlertError::Telegram(e))
            }
        }
    }

    /// Claims `key` for sending at `now`; `Some(suppressed since the last send)` when claimed.
    async fn claim(&self, key: &str, now: i64) -> Result<Option<i32>, DbErr> {
        let window = i64::try_from(self.window.as_secs()).unwrap_or(i64::MAX);
        let cutoff = now.saturating_sub(window);
        // One statement, so two processes cannot both claim: the conflicting insert becomes an
        // update only if the last send is old enough, and RETURNING yields no row otherwise.
        // Placeholders `$n` are understood by both engines' drivers.
        let sql = "INSERT INTO admin_alerts \
                       (cause, last_sent_at, suppressed, reported_suppressed, updated_at) \
                   VALUES ($1, $2, 0, 0, $3) \
                   ON CONFLICT (cause) DO UPDATE SET \
                       last_sent_at = excluded.last_sent_at, \
                       reported_suppressed = admin_alerts.suppressed, \
                       suppressed = 0, \
                       updated_at = excluded.updated_at \
                   WHERE admin_alerts.last_sent_at <= $4 \
                   RETURNING reported_suppressed";
        let row = self
            .db
            .query_one_raw(self.statement(
                sql,
                [key.into(), now.into(), Utc::now().into(), cutoff.into()],
            ))
            .await?;
        row.map(|r| r.try_get::<i32>("", "reported_suppressed"))
            .transpose()
    }

    async fn count_suppressed(&self, key: &str) -> Result<(), DbErr> {
        let sql = "UPDATE admin_alerts SET suppressed = suppressed + 1 WHERE cause = $1";
        self.db
            .execute_raw(self.statement(sql, [key.into()]))
            .await?;
        Ok(())
    }

    /// Undoes a claim made at `claimed_at` whose send failed (unless another process has
    /// claimed since); the next alert counts the held-back ones and this undelivered one.
    async fn release(&self, key: &str, claimed_at: i64, suppressed: i32) -> Result<(), DbErr> {
        let sql = "UPDATE admin_alerts SET last_sent_at = 0, suppressed = suppressed + $1 + 1 \
                   WHERE cause = $2 AND last_sent_at = $3";
        self.db
            .execute_raw(self.statement(sql, [suppressed.into(), key.into(), claimed_at.into()]))
            .await?;
        Ok(())
    }

    fn statement<const N: usize>(&self, sql: &str, values: [Value; N]) -> Statement {
        Statement::from_sql_and_values(self.db.get_database_backend(), sql, values)
    }

    /// The bot token must never reach a chat, even inside an error text a caller passed on.
    fn mask_secrets(&self, text: &str) -> String {
        let token = self.bot.inner().token();
        let masked = if token.is_empty() {
            text.to_owned()
        } else {
            text.replace(token, "***")
        };
        truncate(&masked, MAX_TEXT_CHARS)
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

fn compose(cause: &AlertCause, text: &str, suppressed: i32) -> String {
    let mut message = format!("⚠️ {}\n\n{text}", cause.title());
    if suppressed > 0 {
        message.push_str(&format!(
            "\n\n({suppressed} more alert(s) of this kind were held back since the last one.)"
        ));
    }
    message
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_keys_separate_profiles_and_tasks() {
        assert_eq!(
            AlertCause::InvalidCredentials { profile_id: 7 }.key(),
            "invalid_credentials:7"
        );
        assert_ne!(
            AlertCause::InvalidCredentials { profile_id: 7 }.key(),
            AlertCause::InvalidCredentials { profile_id: 8 }.key()
        );
        assert_eq!(
            AlertCause::DeliveryFailures { task_id: 3 }.key(),
            "delivery_failures:3"
        );
        assert_eq!(AlertCause::DeadJobs.key(), "dead_jobs");
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let text = "я".repeat(10);
        assert_eq!(truncate(&text, 4), "яяяя…");
        assert_eq!(truncate("short", 10), "short");
    }

    #[test]
    fn the_suppressed_count_is_told_only_when_there_were_some() {
        let cause = AlertCause::DeadJobs;
        assert!(!compose(&cause, "x", 0).contains("held back"));
        assert!(compose(&cause, "x", 3).contains("3 more alert(s)"));
    }
}
