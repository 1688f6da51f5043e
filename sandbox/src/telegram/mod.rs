//! Telegram Bot API emulator: an HTTP server on 127.0.0.1 speaking the Bot API wire format,
//! plus a driver that plays users.
//!
//! # Bot side
//! Point teloxide at it with `Bot::new(emu.bot_token()).set_api_url(emu.base_url().parse()?)`.
//! Requests arrive at `/bot<TOKEN>/<method>` (method names are case-insensitive; JSON,
//! form-urlencoded, multipart and query parameters all work). Any well-formed
//! `<digits>:<secret>` token is accepted and the digits are the bot's id; a malformed one gets
//! 401. Emulated: `getMe`, `getUpdates` (offset, limit, long-poll `timeout`,
//! `allowed_updates`), `deleteWebhook`, `getWebhookInfo`, `sendMessage`, `editMessageText`,
//! `editMessageReplyMarkup`, `answerCallbackQuery`, `deleteMessage`, `sendDocument`,
//! `sendPhoto` and `sendMediaGroup` (PNG photos only, Telegram's size limits; a group of 2–10
//! photos shares a `media_group_id` and is one send for the flood limits),
//! `sendChatAction`, `setMyCommands`/`getMyCommands`/`deleteMyCommands`, `getChat`,
//! `getChatMember`, `getFile` and downloads at `/file/bot<TOKEN>/<file_path>`. Other methods
//! get 404 "Not Found: method not found".
//!
//! Telegram's rules are enforced with Telegram's error texts: 4096-character texts (counted
//! after HTML parsing), 1024-character captions, HTML validation (`parse_mode=HTML`; Markdown
//! is accepted but not parsed), 1–64-byte callback data, "message is not modified", 403 for a
//! user who blocked the bot or never wrote to it and for a group the bot was kicked from,
//! 50 MB uploads, and flood control with 429 and `retry_after` (see [`TelegramConfig`]).
//! As in Telegram, `editMessageText` without `reply_markup` removes the inline keyboard, and
//! in groups the bot (privacy mode on) only receives commands and mentions of
//! `@avito_reports_test_bot`.
//!
//! # Driver from Rust
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use sandbox::telegram::{TelegramConfig, TelegramEmulator};
//! let emu = TelegramEmulator::start(TelegramConfig::default()).await?;
//! let alice = emu.user(42, "Alice", Some("ru"));
//! alice.send_text("/start");
//! let reply = emu
//!     .wait_for(42, std::time::Duration::from_secs(5), |m| m.from_bot)
//!     .await?;
//! alice.press_button(42, reply.message_id, "menu:stats");
//! # Ok(()) }
//! ```
//!
//! # Driver over HTTP (`/_driver/...`, plain JSON)
//! ```text
//! curl -XPOST $URL/_driver/users -d '{"id":42,"first_name":"Alice","language_code":"ru"}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/groups -d '{"id":-1001,"title":"Team"}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/channels -d '{"id":-1002003004,"title":"Shop"}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/users/42/send -d '{"text":"/start"}' -H 'content-type: application/json'           # private chat
//! curl -XPOST $URL/_driver/users/42/send -d '{"text":"/stats@avito_reports_test_bot","chat_id":-1001}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/users/42/press -d '{"chat_id":42,"message_id":2,"callback_data":"menu:stats"}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/users/42/forward -d '{"channel_id":-1002003004,"text":"post"}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/users/42/block -d '{"blocked":true}' -H 'content-type: application/json'
//! curl -XPOST $URL/_driver/chats/-1001/kick -d '{"kicked":true}' -H 'content-type: application/json'
//! curl $URL/_driver/chats/42/messages      # SeenMessage list; documents have a download_url
//! curl $URL/_driver/files/<file_id>        # a document's bytes
//! curl $URL/_driver/callbacks/<query_id>   # the bot's answerCallbackQuery, or null
//! curl $URL/_driver/stats                  # method call counts, 429s, pending updates
//! ```

mod config;
mod driver;
mod error;
mod faults;
pub mod html;
mod limits;
pub use limits::Refused;
mod methods;
mod params;
mod seen;
mod server;
mod state;
mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::TelegramConfig;
pub use driver::{DriverError, SimChat, SimUser};
pub use error::ApiError;
pub use faults::Fault;
pub use seen::{SeenButton, SeenDocument, SeenMessage, SeenPhoto};
pub use state::{BOT_FIRST_NAME, BOT_USERNAME, CallbackAnswer};

use crate::sync::lock;
use state::{ChatKind, DEFAULT_TOKEN, Shared};

struct Server {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A running emulator. Cheap to clone; all clones share one server and state.
#[derive(Clone)]
pub struct TelegramEmulator {
    shared: Arc<Shared>,
    server: Arc<Server>,
}

impl std::fmt::Debug for TelegramEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramEmulator")
            .field("addr", &self.shared.addr)
            .finish()
    }
}

impl TelegramEmulator {
    /// Queues `faults` for the next calls of `method` (e.g. `editMessageText`), one per call.
    pub fn inject(&self, method: &str, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults)
            .entry(method.to_ascii_lowercase())
            .or_default()
            .extend(faults);
    }

    /// Faults still queued for `method`.
    pub fn pending_faults(&self, method: &str) -> usize {
        lock(&self.shared.faults)
            .get(&method.to_ascii_lowercase())
            .map_or(0, std::collections::VecDeque::len)
    }

    /// Binds 127.0.0.1:`config.port` and serves until [`Self::shutdown`] (or runtime exit).
    pub async fn start(config: TelegramConfig) -> anyhow::Result<TelegramEmulator> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(config, addr);
        let app = server::router(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "telegram emulator server failed");
            }
        });
        tracing::debug!(%addr, "telegram emulator listening");
        Ok(TelegramEmulator {
            shared,
            server: Arc::new(Server {
                stop: Mutex::new(Some(stop_tx)),
                task: Mutex::new(Some(task)),
            }),
        })
    }

    /// `http://127.0.0.1:PORT`, for teloxide's `Bot::set_api_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// A token the emulator accepts (any `<digits>:<secret>` is accepted).
    pub fn bot_token(&self) -> String {
        DEFAULT_TOKEN.to_owned()
    }

    /// Registers (or renames) a user and its private chat with the bot (chat id = user id).
    pub fn user(&self, id: i64, first_name: &str, language_code: Option<&str>) -> SimUser {
        self.shared.store().add_user(id, first_name, language_code);
        SimUser {
            shared: self.shared.clone(),
            id,
        }
    }

    /// Registers a group (negative id) with the bot as a member.
    pub fn group(&self, id: i64, title: &str) -> SimChat {
        self.shared.store().add_chat(id, ChatKind::Group, title);
        SimChat {
            id,
            title: title.to_owned(),
        }
    }

    /// Registers a channel (id like `-100…`) with the bot as an administrator.
    pub fn channel(&self, id: i64, title: &str) -> SimChat {
        self.shared.store().add_chat(id, ChatKind::Channel, title);
        SimChat {
            id,
            title: title.to_owned(),
        }
    }

    /// The chat as a user sees it now, oldest first. Empty for unknown chats.
    pub fn chat_messages(&self, chat_id: i64) -> Vec<SeenMessage> {
        let store = self.shared.store();
        store
            .chats
            .get(&chat_id)
            .map(|chat| {
                chat.messages
                    .values()
                    .map(|m| seen::seen(&store, m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until a message in the chat satisfies `pred` (checking existing ones first).
    /// On timeout the error lists what the chat held.
    pub async fn wait_for(
        &self,
        chat_id: i64,
        timeout: Duration,
        pred: impl Fn(&SeenMessage) -> bool,
    ) -> anyhow::Result<SeenMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut changed = std::pin::pin!(self.shared.chats_changed.notified());
            changed.as_mut().enable();
            let messages = self.chat_messages(chat_id);
            if let Some(found) = messages.iter().find(|m| pred(m)) {
                return Ok(found.clone());
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let held: Vec<String> = messages.iter().map(describe).collect();
                anyhow::bail!(
                    "no matching message in chat {chat_id} within {timeout:?}; it held {} message(s):\n{}",
                    held.len(),
                    held.join("\n")
                );
            }
        }
    }

    /// How many Bot API calls of `method` (any case) were made.
    pub fn method_calls(&self, method: &str) -> usize {
        let store = self.shared.store();
        store
            .calls
            .get(&method.to_ascii_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// How many requests were refused with 429.
    pub fn rate_limited_count(&self) -> usize {
        self.shared.store().rate_limited
    }

    /// The messages flood control refused, by the limit they met (faults set by a test
    /// aside).
    pub fn refused_by_limit(&self) -> Refused {
        self.shared.store().limiter.refused
    }

    /// When each message flood control admitted arrived, in order of admission.
    pub fn admitted_at(&self) -> Vec<std::time::Instant> {
        self.shared.store().limiter.admitted.clone()
    }

    /// Bot commands set for a scope: `default`, `all_private_chats`, `all_group_chats`,
    /// `all_chat_administrators`, `chat:<id>`, `chat_administrators:<id>`,
    /// `chat_member:<chat>:<user>`; append `/<lang>` for a language, e.g. `default/ru`.
    pub fn commands(&self, scope: &str) -> Vec<(String, String)> {
        self.shared
            .store()
            .commands
            .get(scope)
            .map(|cmds| {
                cmds.iter()
                    .map(|c| (c.command.clone(), c.description.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Removes the bot from (or returns it to) a group or channel: sends then get 403.
    pub fn set_bot_kicked(&self, chat_id: i64, kicked: bool) {
        if let Some(chat) = self.shared.store().chats.get_mut(&chat_id) {
            chat.bot_kicked = kicked;
        }
    }

    /// Updates queued for `getUpdates` and not yet confirmed.
    pub fn pending_updates(&self) -> usize {
        self.shared.store().updates.len()
    }

    /// Stops the server: pending long polls return, then the listener closes.
    pub async fn shutdown(self) {
        self.shared.begin_closing();
        let stop = lock(&self.server.stop).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = lock(&self.server.task).take();
        if let Some(mut task) = task {
            // Keep-alive connections of a client that is still around must not hold us up.
            if tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

fn describe(m: &SeenMessage) -> String {
    let who = if m.from_bot { "bot" } else { "user" };
    let buttons: Vec<&str> = m.all_buttons().map(|b| b.text.as_str()).collect();
    format!(
        "  #{} {who}: {:?}{}{}{}",
        m.message_id,
        m.text_or_caption(),
        m.document
            .as_ref()
            .map(|d| format!(" [document {:?}]", d.file_name))
            .unwrap_or_default(),
        m.photo
            .as_ref()
            .map(|p| format!(" [photo {}×{}]", p.width, p.height))
            .unwrap_or_default(),
        if buttons.is_empty() {
            String::new()
        } else {
            format!(" buttons {buttons:?}")
        }
    )
}
