//! The emulator's world: users, chats with their messages, uploaded files, the update queue,
//! callback queries, bot commands and call counters. Guarded by one mutex in [`Shared`];
//! never held across an `.await`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use teloxide::types::{BotCommand, InlineKeyboardMarkup, MessageEntity};
use tokio::sync::Notify;

use serde::{Deserialize, Serialize};

use super::config::TelegramConfig;
use super::error::ApiError;
use super::faults::Fault;
use super::limits::{Limiter, Limits};
use crate::sync::lock;

/// The bot's username as `getMe` reports it (`/stats@avito_reports_test_bot` addresses it).
pub const BOT_USERNAME: &str = "avito_reports_test_bot";
/// The bot's display name as `getMe` reports it.
pub const BOT_FIRST_NAME: &str = "Avito Reports (test)";
/// Bot id used before any request told us the token (the digits of [`DEFAULT_TOKEN`]).
pub(crate) const DEFAULT_BOT_ID: i64 = 123_456;
/// The token [`super::TelegramEmulator::bot_token`] hands out.
pub(crate) const DEFAULT_TOKEN: &str = "123456:TEST-TOKEN";

/// State shared by the HTTP server and every handle.
pub(crate) struct Shared {
    pub config: TelegramConfig,
    pub addr: SocketAddr,
    store: Mutex<Store>,
    /// Woken whenever an update is queued, so long polls return at once.
    pub updates_changed: Notify,
    /// Woken whenever any chat's visible content changes, for `wait_for`.
    pub chats_changed: Notify,
    /// Set on shutdown so pending long polls return instead of holding the server open.
    closing: AtomicBool,
    /// Injected failures, per lower-case method name, taken one per call.
    pub faults: Mutex<HashMap<String, VecDeque<Fault>>>,
}

impl Shared {
    pub fn new(config: TelegramConfig, addr: SocketAddr) -> Arc<Self> {
        Arc::new(Self {
            config,
            addr,
            store: Mutex::new(Store::default()),
            updates_changed: Notify::new(),
            chats_changed: Notify::new(),
            closing: AtomicBool::new(false),
            faults: Mutex::default(),
        })
    }

    /// Locks the store.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    pub fn begin_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.updates_changed.notify_waiters();
    }

    pub fn limits(&self) -> Limits {
        Limits {
            per_chat_per_sec: self.config.per_chat_per_sec,
            per_chat_burst: self.config.per_chat_burst,
            group_per_min: self.config.group_per_min,
            global_per_sec: self.config.global_per_sec,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub id: i64,
    pub first_name: String,
    pub language_code: Option<String>,
    pub blocked_bot: bool,
    /// A bot cannot write first: only after the user wrote to it (or pressed a button).
    pub started_bot: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChatKind {
    Private,
    Group,
    Channel,
}

#[derive(Debug)]
pub(crate) struct ChatRec {
    pub id: i64,
    pub kind: ChatKind,
    /// Group/channel title; the user's first name for private chats.
    pub title: String,
    pub bot_kicked: bool,
    pub messages: BTreeMap<i32, StoredMessage>,
    next_message_id: i32,
}

impl ChatRec {
    fn new(id: i64, kind: ChatKind, title: &str) -> Self {
        Self {
            id,
            kind,
            title: title.to_owned(),
            bot_kicked: false,
            messages: BTreeMap::new(),
            next_message_id: 1,
        }
    }

    /// Message ids are per chat and increase, as in Telegram's private chats and groups.
    pub fn allocate_message_id(&mut self) -> i32 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Author {
    Bot,
    User(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ForwardedFrom {
    pub channel_id: i64,
    pub message_id: i32,
    pub date: i64,
}

/// One message as stored. For a document message `text`/`entities` hold the caption.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub message_id: i32,
    pub chat_id: i64,
    pub date: i64,
    pub author: Author,
    pub text: Option<String>,
    pub entities: Vec<MessageEntity>,
    /// The text exactly as the bot sent it (with markup), when a parse mode was used.
    pub raw_text: Option<String>,
    pub parse_mode: Option<String>,
    pub reply_markup: Option<InlineKeyboardMarkup>,
    pub document: Option<String>,
    /// A photo message's picture; `text`/`entities` hold the caption.
    pub photo: Option<StoredPhoto>,
    /// Messages sent together by one `sendMediaGroup` share this id.
    pub media_group_id: Option<String>,
    pub forwarded_from: Option<ForwardedFrom>,
    pub edit_date: Option<i64>,
    pub edit_count: u32,
    /// When it was sent, to the instant (`date` is whole seconds).
    pub sent_at: std::time::Instant,
}

/// A photo as stored: its file and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPhoto {
    pub file_id: String,
    pub width: u32,
    pub height: u32,
}

impl StoredMessage {
    pub fn new(chat_id: i64, author: Author) -> Self {
        Self {
            message_id: 0,
            chat_id,
            date: now_unix(),
            author,
            text: None,
            entities: Vec::new(),
            raw_text: None,
            parse_mode: None,
            reply_markup: None,
            document: None,
            photo: None,
            media_group_id: None,
            forwarded_from: None,
            edit_date: None,
            edit_count: 0,
            sent_at: std::time::Instant::now(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct FileRec {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_name: Option<String>,
    pub mime_type: String,
    pub bytes: Arc<Vec<u8>>,
    pub file_path: String,
}

/// What the bot answered to a button press (`answerCallbackQuery`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAnswer {
    pub text: Option<String>,
    pub show_alert: bool,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CallbackRec {
    pub answered: bool,
    pub answer: Option<CallbackAnswer>,
}

#[derive(Debug)]
pub(crate) struct Store {
    /// Taken from the token of the latest request: any well-formed token is accepted.
    pub bot_id: i64,
    pub users: HashMap<i64, UserRec>,
    pub chats: HashMap<i64, ChatRec>,
    pub updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    pub callbacks: HashMap<String, CallbackRec>,
    next_callback: u64,
    pub files: HashMap<String, FileRec>,
    pub(crate) next_file: u64,
    /// Keyed by [`scope_key`].
    pub commands: BTreeMap<String, Vec<BotCommand>>,
    pub calls: HashMap<String, usize>,
    pub limiter: Limiter,
    pub rate_limited: usize,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            bot_id: DEFAULT_BOT_ID,
            users: HashMap::new(),
            chats: HashMap::new(),
            updates: VecDeque::new(),
            next_update_id: 1,
            callbacks: HashMap::new(),
            next_callback: 1,
            files: HashMap::new(),
            next_file: 1,
            commands: BTreeMap::new(),
            calls: HashMap::new(),
            limiter: Limiter::default(),
            rate_limited: 0,
        }
    }
}

impl Store {
    pub fn add_user(&mut self, id: i64, first_name: &str, language_code: Option<&str>) {
        let user = self.users.entry(id).or_insert_with(|| UserRec {
            id,
            first_name: first_name.to_owned(),
            language_code: None,
            blocked_bot: false,
            started_bot: false,
        });
        user.first_name = first_name.to_owned();
        user.language_code = language_code.map(str::to_owned);
        self.chats
            .entry(id)
            .or_insert_with(|| ChatRec::new(id, ChatKind::Private, first_name))
            .title = first_name.to_owned();
    }

    pub fn add_chat(&mut self, id: i64, kind: ChatKind, title: &str) {
        self.chats
            .entry(id)
            .or_insert_with(|| ChatRec::new(id, kind, title))
            .title = title.to_owned();
    }

    pub fn chat(&self, id: i64) -> Result<&ChatRec, ApiError> {
        self.chats.get(&id).ok_or_else(ApiError::chat_not_found)
    }

    pub fn chat_mut(&mut self, id: i64) -> Result<&mut ChatRec, ApiError> {
        self.chats.get_mut(&id).ok_or_else(ApiError::chat_not_found)
    }

    /// Stores a message under a fresh id and returns that id.
    pub fn push_message(&mut self, mut message: StoredMessage) -> Result<i32, ApiError> {
        let chat = self.chat_mut(message.chat_id)?;
        message.message_id = chat.allocate_message_id();
        let id = message.message_id;
        chat.messages.insert(id, message);
        Ok(id)
    }

    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<&StoredMessage> {
        self.chats.get(&chat_id)?.messages.get(&message_id)
    }

    /// Queues an update such as `("message", {...})` and returns its `update_id`.
    pub fn enqueue_update(&mut self, kind: &str, payload: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut update = serde_json::Map::new();
        update.insert("update_id".into(), id.into());
        update.insert(kind.into(), payload);
        self.updates.push_back((id, Value::Object(update)));
        id
    }

    pub fn new_callback_id(&mut self) -> String {
        let n = self.next_callback;
        self.next_callback += 1;
        // Real ids are long decimal strings; keep the shape.
        let id = format!("{}{:06}", self.bot_id, n);
        self.callbacks.insert(
            id.clone(),
            CallbackRec {
                answered: false,
                answer: None,
            },
        );
        id
    }

    pub fn add_file(&mut self, file_name: Option<String>, bytes: Vec<u8>) -> FileRec {
        let n = self.next_file;
        self.next_file += 1;
        let mime_type = mime_for(file_name.as_deref()).to_owned();
        let extension = file_name
            .as_deref()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, ext)| format!(".{ext}"))
            .unwrap_or_default();
        let file = FileRec {
            file_id: format!("BQACAgIAAxkDAAI{n:08}"),
            file_unique_id: format!("AgAD{n:06}"),
            file_name,
            mime_type,
            bytes: Arc::new(bytes),
            file_path: format!("documents/file_{n}{extension}"),
        };
        self.files.insert(file.file_id.clone(), file.clone());
        file
    }

    pub fn count_call(&mut self, method: &str) {
        *self.calls.entry(method.to_ascii_lowercase()).or_default() += 1;
    }
}

/// A stable string naming a command scope (plus language), e.g. `default`,
/// `all_private_chats`, `chat:-100`, `chat_member:-100:42`, `default/ru`.
pub fn scope_key(scope: &Value, language_code: Option<&str>) -> String {
    let kind = scope
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let id = |key: &str| match scope.get(key) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let mut key = match kind {
        "chat" | "chat_administrators" => format!("{kind}:{}", id("chat_id")),
        "chat_member" => format!("{kind}:{}:{}", id("chat_id"), id("user_id")),
        _ => kind.to_owned(),
    };
    if let Some(lang) = language_code.filter(|l| !l.is_empty()) {
        key = format!("{key}/{lang}");
    }
    key
}

fn mime_for(file_name: Option<&str>) -> &'static str {
    let ext = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("csv") => "text/csv",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
