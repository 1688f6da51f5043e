//! Sending to Telegram, shared by the bot, the jobs and the operator alerts: the process' one
//! paced bot, sending report chunks, what a refusal means, and the callback-data codec of
//! every inline button.

pub mod callback;
pub mod outbox;
pub mod pace;
mod token;

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::ParseMode;
use teloxide::{ApiError, RequestError};

pub use self::token::{BadToken, BotToken};
use crate::metrics;

/// The bot every handler and job sends through. A message goes out only when Telegram's
/// limits allow it ([`pace`]): for the bot and per chat, across every process on PostgreSQL.
/// Calls that send nothing new (edits, callback answers, chat actions, lookups) go straight.
#[derive(Clone)]
pub struct TgBot {
    bot: Bot,
    pace: Arc<pace::Pace>,
}

impl TgBot {
    /// `messages_per_sec` is the bot's rate in all when `shared` is the deployment's budget
    /// store, this process' share when it paces alone.
    pub fn new(
        bot: Bot,
        messages_per_sec: u32,
        shared: Option<Arc<dyn crate::budget::BudgetStore>>,
    ) -> Self {
        Self {
            bot,
            pace: Arc::new(pace::Pace::new(messages_per_sec, shared)),
        }
    }

    /// The bot, once a message to `chat` fits Telegram's limits (it is booked: send it).
    pub async fn paced(&self, chat: impl Into<ChatId>) -> &Bot {
        self.pace.turn(chat.into().0).await;
        &self.bot
    }

    /// The bot for calls that send no message.
    pub fn unpaced(&self) -> &Bot {
        &self.bot
    }
}

// Our ids and teloxide's are the same numbers; they are converted where the bot talks to
// Telegram.
impl From<crate::domain::ChatId> for ChatId {
    fn from(id: crate::domain::ChatId) -> Self {
        ChatId(id.0)
    }
}

/// So that our chat ids can be sent to as they are.
impl From<crate::domain::ChatId> for teloxide::types::Recipient {
    fn from(id: crate::domain::ChatId) -> Self {
        teloxide::types::Recipient::Id(id.into())
    }
}

impl From<ChatId> for crate::domain::ChatId {
    fn from(id: ChatId) -> Self {
        crate::domain::ChatId(id.0)
    }
}

/// Telegram's user ids fit in 52 bits (its Bot API says so), so the cast loses nothing.
impl From<UserId> for crate::domain::UserId {
    fn from(id: UserId) -> Self {
        crate::domain::UserId(id.0 as i64)
    }
}

impl From<crate::domain::UserId> for UserId {
    fn from(id: crate::domain::UserId) -> Self {
        UserId(id.0 as u64)
    }
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

/// Most pictures sent with one report.
pub const PICTURES_MAX: usize = 10;

/// Sends pictures (file name, PNG bytes) one photo message each, in order. Not as an album:
/// Telegram counts an album of N photos as N messages against its limits while the throttle
/// counts one request, and albums in a burst of reports drew 429s (93 in 1,000 reports).
/// Only 429s are retried: a repeat of a picture whose outcome is unknown would show twice, and
/// a lost picture costs the text nothing. The caller sends the text after it, whatever this
/// returns. Not counted in `telegram_messages_sent_total`, which counts the report's text
/// messages.
pub async fn send_pictures(
    bot: &TgBot,
    chat: ChatId,
    pictures: &[(String, Vec<u8>)],
) -> Result<(), RequestError> {
    use teloxide::types::InputFile;
    for (name, bytes) in pictures.iter().take(PICTURES_MAX) {
        patiently(Retry::RateLimitOnly, || {
            let file = InputFile::memory(bytes.clone()).file_name(name.clone());
            async move { bot.paced(chat).await.send_photo(chat, file).await }
        })
        .await?;
    }
    Ok(())
}

/// Where a send of several messages records how far it got, so that a later attempt sends
/// only the rest (scheduled deliveries keep it in their run; on-demand reports do not).
#[async_trait::async_trait]
pub trait Progress: Send {
    type Error: Send;
    /// Message `index` is about to be sent: until [`Self::accepted`], its outcome is unknown.
    async fn sending(&mut self, index: usize) -> Result<(), Self::Error>;
    /// Telegram accepted the first `count` messages.
    async fn accepted(&mut self, count: usize) -> Result<(), Self::Error>;
    /// Telegram refused message `index` outright: it does not exist.
    async fn refused(&mut self, index: usize) -> Result<(), Self::Error>;
}

/// A send that keeps no record.
pub struct Unrecorded;

#[async_trait::async_trait]
impl Progress for Unrecorded {
    type Error = std::convert::Infallible;
    async fn sending(&mut self, _: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn accepted(&mut self, _: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn refused(&mut self, _: usize) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Sends HTML `chunks` in order from `start`, with progress recorded in `progress`. A chunk
/// whose outcome is unknown — found `uncertain` (an earlier attempt died sending it), or
/// answered now with a 5xx or a network failure — is sent again after one line in `lang`
/// saying it may repeat an earlier message, at most twice here. An accepted chunk is never
/// sent again. The outer error is the record's; the inner one Telegram's.
pub async fn send_marked<P: Progress>(
    bot: &TgBot,
    chat: ChatId,
    chunks: &[String],
    at: (usize, bool),
    lang: crate::i18n::Lang,
    progress: &mut P,
) -> Result<Result<(), RequestError>, P::Error> {
    send_marked_with(
        bot,
        chat,
        Marked {
            chunks,
            buttons: None,
        },
        at,
        lang,
        progress,
    )
    .await
}

/// Chunks to send marked, and the buttons the last one carries.
pub struct Marked<'a> {
    pub chunks: &'a [String],
    pub buttons: Option<&'a teloxide::types::InlineKeyboardMarkup>,
}

/// [`send_marked`] with buttons under the last chunk.
pub async fn send_marked_with<P: Progress>(
    bot: &TgBot,
    chat: ChatId,
    marked_chunks: Marked<'_>,
    (start, uncertain): (usize, bool),
    lang: crate::i18n::Lang,
    progress: &mut P,
) -> Result<Result<(), RequestError>, P::Error> {
    let Marked { chunks, buttons } = marked_chunks;
    let last = chunks.len().saturating_sub(1);
    const RESENDS: u32 = 2;
    let marker = crate::i18n::text(lang, crate::i18n::Msg::MayRepeat);
    for (i, chunk) in chunks.iter().enumerate().skip(start) {
        let mut marked = uncertain && i == start;
        let mut resends = 0;
        loop {
            if marked {
                let said = patiently(Retry::Transient, || async move {
                    bot.paced(chat)
                        .await
                        .send_message(chat, marker.to_owned())
                        .await
                })
                .await;
                if let Err(e) = said {
                    return Ok(Err(e));
                }
            }
            progress.sending(i).await?;
            let keyboard = buttons.filter(|_| i == last);
            let sent = patiently(Retry::RateLimitOnly, || async move {
                let request = bot
                    .paced(chat)
                    .await
                    .send_message(chat, chunk.clone())
                    .parse_mode(ParseMode::Html);
                match keyboard {
                    Some(k) => request.reply_markup(k.clone()).await,
                    None => request.await,
                }
            })
            .await;
            match sent {
                Ok(_) => {
                    progress.accepted(i + 1).await?;
                    metrics::telegram_sent();
                    break;
                }
                Err(e) if transient(&e) && resends < RESENDS => {
                    tracing::warn!(chunk = i, error = %e, "Telegram's answer to a report message is unknown; sending it again, marked");
                    resends += 1;
                    marked = true;
                }
                // Still unknown: the record says so, and the next attempt marks its copy.
                Err(e) if transient(&e) => return Ok(Err(e)),
                Err(e) => {
                    progress.refused(i).await?;
                    return Ok(Err(e));
                }
            }
        }
    }
    Ok(Ok(()))
}

/// [`send_marked`] of a whole report with no record kept (on-demand reports, `/stats`,
/// alert notices).
pub async fn send_chunks_marked(
    bot: &TgBot,
    chat: ChatId,
    chunks: Vec<String>,
    lang: crate::i18n::Lang,
) -> Result<(), RequestError> {
    send_buttons_marked(bot, chat, chunks, None, lang).await
}

/// [`send_chunks_marked`] with buttons under the last chunk (a notice's "✍️ Answer").
pub async fn send_buttons_marked(
    bot: &TgBot,
    chat: ChatId,
    chunks: Vec<String>,
    buttons: Option<&teloxide::types::InlineKeyboardMarkup>,
    lang: crate::i18n::Lang,
) -> Result<(), RequestError> {
    let marked = Marked {
        chunks: &chunks,
        buttons,
    };
    match send_marked_with(bot, chat, marked, (0, false), lang, &mut Unrecorded).await {
        Ok(sent) => sent,
        Err(never) => match never {},
    }
}

/// What a Telegram call may be retried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Only 429s (`retry_after` waited out): for sends a repeat could show twice.
    RateLimitOnly,
    /// 429s, 5xx and network failures: for edits and callback answers (a repeat changes
    /// nothing) and screens (a repeat shows a screen twice rather than nothing).
    Transient,
}

/// Longest `retry_after` waited out; a longer one is Telegram saying "not now" to a person
/// who is waiting, and is reported instead.
const LONGEST_RATE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// 429 waits per call.
const RATE_WAITS: u32 = 3;
/// Attempts for 5xx and network failures (the one retry policy), short enough that a press
/// is answered within Telegram's callback window even when every attempt fails.
const TRANSIENT: crate::retry::Backoff = crate::retry::Backoff::new(
    3,
    std::time::Duration::from_millis(200),
    std::time::Duration::from_secs(1),
);
/// One attempt of a retried call. teloxide sleeps 10 s after any 5xx before it returns the
/// error; an edit or an answer that takes this long has failed either way.
const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs one Telegram call, honouring every 429 `retry_after` (each counted in
/// `telegram_rate_limited_total`) and, where `retry` allows, retrying 5xx and network
/// failures with backoff. Bounded both ways: the last error is returned.
pub async fn patiently<T, F, Fut>(retry: Retry, mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let (mut waits, mut failures) = (0, 0);
    loop {
        let attempt = call();
        let outcome = if retry == Retry::Transient {
            match tokio::time::timeout(ATTEMPT_TIMEOUT, attempt).await {
                Ok(outcome) => outcome,
                Err(_) => Err(RequestError::Io(std::sync::Arc::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer from Telegram within {ATTEMPT_TIMEOUT:?}"),
                )))),
            }
        } else {
            attempt.await
        };
        match outcome {
            Ok(value) => return Ok(value),
            Err(RequestError::RetryAfter(after)) => {
                metrics::telegram_rate_limited();
                waits += 1;
                if waits > RATE_WAITS || after.duration() > LONGEST_RATE_WAIT {
                    return Err(RequestError::RetryAfter(after));
                }
                tracing::debug!(wait = ?after.duration(), "Telegram asked to slow down");
                tokio::time::sleep(after.duration()).await;
            }
            Err(e) if retry == Retry::Transient && transient(&e) => {
                failures += 1;
                if !TRANSIENT.allows_another(failures) {
                    return Err(e);
                }
                let delay = TRANSIENT.delay(failures);
                tracing::warn!(error = %e, retry_in = ?delay, "Telegram call failed, retrying");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A failure on Telegram's side or on the way there, which a later attempt may not meet.
pub fn transient(e: &RequestError) -> bool {
    match e {
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(text)) => [
            "Internal Server Error",
            "Bad Gateway",
            "Service Unavailable",
            "Gateway Timeout",
        ]
        .iter()
        .any(|t| text.starts_with(t)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_limited_total() -> f64 {
        crate::metrics::encode()
            .lines()
            .find(|l| l.starts_with("avito_reports_telegram_rate_limited_total "))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    fn bad_gateway() -> RequestError {
        RequestError::Api(ApiError::Unknown("Bad Gateway".into()))
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limits_are_waited_out_and_counted_and_5xx_retried() {
        let before = rate_limited_total();
        let mut answers = vec![
            Err(RequestError::RetryAfter(
                teloxide::types::Seconds::from_seconds(1),
            )),
            Err(bad_gateway()),
            Ok(7),
        ]
        .into_iter();
        let got = patiently(Retry::Transient, || {
            let next = answers.next().expect("no more answers");
            async move { next }
        })
        .await;
        assert_eq!(got.ok(), Some(7));
        assert!(rate_limited_total() >= before + 1.0, "the 429 is counted");
    }

    #[tokio::test(start_paused = true)]
    async fn sends_are_not_repeated_after_a_5xx_and_retries_are_bounded() {
        let mut calls = 0;
        let got: Result<(), _> = patiently(Retry::RateLimitOnly, || {
            calls += 1;
            async { Err(bad_gateway()) }
        })
        .await;
        assert!(got.is_err());
        assert_eq!(
            calls, 1,
            "a 5xx may have stored the message: not sent again"
        );
        let mut calls = 0;
        let got: Result<(), _> = patiently(Retry::Transient, || {
            calls += 1;
            async { Err(bad_gateway()) }
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls, 3, "the one retry policy's attempts");
        let got: Result<(), _> = patiently(Retry::Transient, || async {
            Err(RequestError::RetryAfter(
                teloxide::types::Seconds::from_seconds(120),
            ))
        })
        .await;
        assert!(
            got.is_err(),
            "a long retry_after is reported, not slept through"
        );
    }
}
