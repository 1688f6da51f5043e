//! The simulated user's hands and eyes: writing, pressing buttons and waiting for the bot,
//! through the Telegram emulator's driver, with everything seen recorded in the transcript.
//!
//! Every wait has a time limit; running out of it is an error naming the step and what did
//! not come, with the last thing the bot said there.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use sandbox::telegram::{CallbackAnswer, SeenMessage, SimChat, SimUser, TelegramEmulator};

use super::scrape::{self, Scraper};
use super::transcript::{MASK, Transcript};
use crate::domain::ChatId;

/// How often the demo looks at the chats while it waits.
const POLL: Duration = Duration::from_millis(50);
/// The least time between two actions of the user in one chat: a person reads the screen
/// before the next tap. (Telegram allows about one message or edit per second in a chat; a
/// faster burst of taps makes the bot's hub edits meet 429 Too Many Requests.)
const READING_TIME: Duration = Duration::from_millis(1100);

/// One user's session with the bot.
pub struct Session {
    emu: TelegramEmulator,
    user: SimUser,
    scraper: Scraper,
    pub transcript: Transcript,
    watched: Vec<ChatId>,
    /// When the user last acted in each chat.
    last_action: HashMap<ChatId, tokio::time::Instant>,
    /// The current step, for errors: `step 4 (a report now)`.
    step: String,
}

impl Session {
    pub fn new(
        emu: TelegramEmulator,
        user: SimUser,
        scraper: Scraper,
        transcript: Transcript,
    ) -> Self {
        let mut session = Self {
            emu,
            user,
            scraper,
            transcript,
            watched: Vec::new(),
            last_action: HashMap::new(),
            step: String::new(),
        };
        let own = session.me();
        session.watched.push(own);
        session.transcript.watch(own, None);
        session
    }

    pub fn emulator(&self) -> &TelegramEmulator {
        &self.emu
    }

    /// The user's private chat with the bot (numbered as the user).
    pub fn me(&self) -> ChatId {
        ChatId(self.user.id())
    }

    /// Starts step `number`: a header in the transcript, and the name errors carry.
    pub fn step(&mut self, number: usize, title: &str) {
        self.sync();
        self.step = format!("step {number} ({title})");
        self.transcript.header(number, title);
        tracing::info!(step = number, title, "demo step");
    }

    /// An error of the current step.
    pub fn error(&self, what: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{}: {what}", self.step)
    }

    /// Watches a group as well (its messages are labelled with its title).
    pub fn watch_group(&mut self, group: &SimChat) {
        let chat = ChatId(group.id());
        self.transcript.watch(chat, Some(group.title()));
        if !self.watched.contains(&chat) {
            self.watched.push(chat);
        }
    }

    /// Records what changed in the watched chats.
    pub fn sync(&mut self) {
        for chat in self.watched.clone() {
            let now = self.emu.chat_messages(chat.0);
            self.transcript.sync(chat, &now);
        }
    }

    /// The chat as it is now.
    pub fn messages(&self, chat: ChatId) -> Vec<SeenMessage> {
        self.emu.chat_messages(chat.0)
    }

    /// The newest bot message id in a chat (0 when none).
    pub fn last_bot_id(&self, chat: ChatId) -> i32 {
        self.messages(chat)
            .iter()
            .filter(|m| m.from_bot)
            .map(|m| m.message_id)
            .max()
            .unwrap_or(0)
    }

    /// Writes `text` in the private chat with the bot.
    pub async fn say(&mut self, text: &str) -> anyhow::Result<i32> {
        let me = self.me();
        self.take_turn(me).await;
        let id = self
            .user
            .try_send_text(text)
            .with_context(|| self.step.clone())?;
        self.transcript.you_wrote(me, id, text);
        Ok(id)
    }

    /// Writes a secret in the private chat: the transcript shows it masked.
    pub async fn say_secret(&mut self, secret: &str) -> anyhow::Result<i32> {
        let me = self.me();
        self.take_turn(me).await;
        let id = self
            .user
            .try_send_text(secret)
            .with_context(|| self.step.clone())?;
        self.transcript.you_wrote(me, id, MASK);
        Ok(id)
    }

    /// Writes `text` in a group.
    pub async fn say_in(&mut self, group: &SimChat, text: &str) -> anyhow::Result<i32> {
        let chat = ChatId(group.id());
        self.take_turn(chat).await;
        let id = self
            .user
            .try_send_text_in(group, text)
            .with_context(|| self.step.clone())?;
        self.transcript.you_wrote(chat, id, text);
        Ok(id)
    }

    /// Waits out the user's reading time in `chat`, then records what they read.
    async fn take_turn(&mut self, chat: ChatId) {
        if let Some(last) = self.last_action.get(&chat) {
            tokio::time::sleep_until(*last + READING_TIME).await;
        }
        self.last_action.insert(chat, tokio::time::Instant::now());
        self.sync();
    }

    /// Waits until `check` finds what it looks for in `chat` (`Some(Ok)`), or fails early
    /// (`Some(Err)`), recording what happens meanwhile.
    pub async fn wait_in<T>(
        &mut self,
        chat: ChatId,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&[SeenMessage]) -> Option<anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            self.sync();
            let now = self.messages(chat);
            if let Some(found) = check(&now) {
                return found.with_context(|| format!("{}: {what}", self.step));
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "{}: {what} did not come within {}s; the bot's last message there: {}",
                    self.step,
                    timeout.as_secs(),
                    last_bot_text(&now)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the first bot message in `chat` newer than `after` that satisfies `pred`.
    pub async fn reply(
        &mut self,
        chat: ChatId,
        after: i32,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&SeenMessage) -> bool,
    ) -> anyhow::Result<SeenMessage> {
        self.wait_in(chat, what, timeout, |messages| {
            messages
                .iter()
                .find(|m| m.from_bot && m.message_id > after && pred(m))
                .cloned()
                .map(Ok)
        })
        .await
    }

    /// Presses the button with callback data `data` on message `message_id` in `chat`, and
    /// waits for the bot to answer the press (its toast or alert is recorded). An alert is
    /// an error: the journey presses only buttons that should work.
    pub async fn press(
        &mut self,
        chat: ChatId,
        message_id: i32,
        data: &str,
        timeout: Duration,
    ) -> anyhow::Result<CallbackAnswer> {
        self.take_turn(chat).await;
        let label = self
            .messages(chat)
            .iter()
            .find(|m| m.message_id == message_id)
            .and_then(|m| {
                m.all_buttons()
                    .find(|b| b.callback_data.as_deref() == Some(data))
                    .map(|b| b.text.clone())
            })
            .with_context(|| {
                format!(
                    "{}: message {message_id} has no button {data:?} to press",
                    self.step
                )
            })?;
        self.transcript.you_pressed(chat, &label);
        let query = self
            .user
            .try_press_button(chat.0, message_id, data)
            .with_context(|| format!("{}: pressing “{label}”", self.step))?;
        let deadline = tokio::time::Instant::now() + timeout;
        let answer = loop {
            if let Some(answer) = self.user.callback_answer(&query) {
                break answer;
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "{}: the bot did not answer the press of “{label}” within {}s",
                    self.step,
                    timeout.as_secs()
                );
            }
            self.sync();
            // Looked for often: a toast that came before the bot's next message is shown
            // before it.
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        // The screen is edited before the press is answered: show the edit, then the toast.
        self.sync();
        self.transcript.bot_answered(&answer);
        if answer.show_alert {
            anyhow::bail!(
                "{}: the bot refused the press of “{label}”: {}",
                self.step,
                answer.text.as_deref().unwrap_or("(no text)")
            );
        }
        Ok(answer)
    }

    /// The worker's metrics now.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        self.scraper
            .scrape()
            .await
            .with_context(|| format!("{}: scraping the worker's /metrics", self.step))
    }

    /// Waits until the worker counts a report of `kind` as sent (after `sent_before`), or
    /// fails as soon as it counts one as failed (after `failed_before`).
    pub async fn report_counted(
        &mut self,
        kind: &str,
        (sent_before, failed_before): (f64, f64),
        chat: ChatId,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            self.sync();
            let (sent, failed) = report_counters(&self.metrics().await?, kind);
            if sent > sent_before {
                return Ok(());
            }
            if failed > failed_before {
                anyhow::bail!(
                    "{}: the worker could not deliver the report; the bot's last message: {}",
                    self.step,
                    last_bot_text(&self.messages(chat))
                );
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "{}: the report was not delivered within {}s; the bot's last message: {}",
                    self.step,
                    timeout.as_secs(),
                    last_bot_text(&self.messages(chat))
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `(sent, failed)` reports of `kind` in a metrics exposition.
pub fn report_counters(metrics: &str, kind: &str) -> (f64, f64) {
    (
        scrape::sample(
            metrics,
            &format!("avito_reports_reports_sent_total{{kind=\"{kind}\"}}"),
        ),
        scrape::sample(
            metrics,
            &format!("avito_reports_reports_failed_total{{kind=\"{kind}\"}}"),
        ),
    )
}

/// The callback data of the first button on `m` whose data starts with `prefix`.
pub fn button_data(m: &SeenMessage, prefix: &str) -> Option<String> {
    m.all_buttons()
        .filter_map(|b| b.callback_data.as_deref())
        .find(|d| d.starts_with(prefix))
        .map(str::to_owned)
}

fn last_bot_text(messages: &[SeenMessage]) -> String {
    messages
        .iter()
        .rev()
        .find(|m| m.from_bot)
        .map(|m| format!("“{}”", m.text_or_caption().replace('\n', " ")))
        .unwrap_or_else(|| "none".to_owned())
}
