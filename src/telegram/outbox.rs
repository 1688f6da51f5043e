//! Notices sent apart from the job that decided them. A check that decided a notice (and
//! claimed it in the database) is done at once, and its worker slot goes to the next check,
//! while the notice waits for its Telegram turn here: a storm of notices (a thousand accounts
//! crossing one threshold at once) paced at 30 a second no longer holds every check slot for
//! a minute. What a notice is promised does not change: it was claimed before it came here,
//! and a process that dies while it waits loses it, as it would have lost it waiting inside
//! the check; a process that stops gives the notices waiting a while to go ([`Outbox::drain`]).

use std::sync::Arc;
use std::time::Duration;

use teloxide::types::ChatId;
use tokio::sync::Semaphore;

use super::{TgBot, send_chunks_marked};
use crate::i18n::Lang;

/// Notices in flight at most; past that, a notice is sent by the job itself.
const IN_FLIGHT: u32 = 10_000;

#[derive(Clone)]
pub struct Outbox {
    bot: TgBot,
    in_flight: Arc<Semaphore>,
}

impl Outbox {
    pub fn new(bot: TgBot) -> Self {
        Self {
            bot,
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT as usize)),
        }
    }

    /// Sends `texts` to `chat` (a 🔁 line first when Telegram left an earlier try in doubt),
    /// on its own; a failure is logged. With too many in flight, sends before it returns.
    pub async fn post(&self, chat: ChatId, texts: Vec<String>, lang: Lang) {
        let bot = self.bot.clone();
        let send = async move {
            if let Err(e) = send_chunks_marked(&bot, chat, texts, lang).await {
                tracing::warn!(chat = chat.0, error = %e, "could not send a notice");
            }
        };
        match Arc::clone(&self.in_flight).try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    send.await;
                    drop(permit);
                });
            }
            Err(_) => send.await,
        }
    }

    /// Waits up to `within` for the notices in flight to go; says how many did not.
    pub async fn drain(&self, within: Duration) {
        let all = tokio::time::timeout(within, self.in_flight.acquire_many(IN_FLIGHT)).await;
        if all.is_err() {
            let left = IN_FLIGHT as usize - self.in_flight.available_permits();
            tracing::warn!(left, "stopping with notices not sent");
        }
    }
}
