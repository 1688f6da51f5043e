//! The driver: simulated users acting in chats, from Rust ([`SimUser`]) or over HTTP
//! (`/_driver/...`). Every action stores what the user sees and queues the update the bot
//! would receive.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use teloxide::types::{InlineKeyboardButtonKind, MessageEntity, MessageEntityKind};

use super::seen::seen;
use super::state::{
    Author, BOT_USERNAME, CallbackAnswer, ChatKind, ForwardedFrom, Shared, StoredMessage, now_unix,
};
use super::wire;

/// Why a simulated user could not do what the test asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    #[error("unknown user {0}: register it with TelegramEmulator::user first")]
    UnknownUser(i64),
    #[error("unknown chat {0}: register it with TelegramEmulator::group/channel first")]
    UnknownChat(i64),
    #[error("chat {0} is not a channel")]
    NotAChannel(i64),
    #[error("user {user} cannot write in chat {chat}")]
    NotInChat { user: i64, chat: i64 },
    #[error("message {message_id} not found in chat {chat_id}")]
    MessageNotFound { chat_id: i64, message_id: i32 },
    #[error("message {message_id} in chat {chat_id} has no button with callback_data {data:?}")]
    NoSuchButton {
        chat_id: i64,
        message_id: i32,
        data: String,
    },
}

/// A group or channel registered with the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimChat {
    pub(crate) id: i64,
    pub(crate) title: String,
}

impl SimChat {
    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn title(&self) -> &str {
        &self.title
    }
}

/// A simulated Telegram user. Its private chat with the bot has the user's id as chat id.
///
/// The methods panic (with a message saying why) when asked to do something impossible,
/// such as pressing a button that is not there: that is a bug in the test. The `try_`
/// variants return the [`DriverError`] instead.
#[derive(Clone)]
pub struct SimUser {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: i64,
}

impl std::fmt::Debug for SimUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimUser").field("id", &self.id).finish()
    }
}

impl SimUser {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Writes `text` in the private chat with the bot; returns the message id.
    /// Writing to the bot also un-blocks it, like the "Restart" button.
    pub fn send_text(&self, text: &str) -> i32 {
        expect(self.try_send_text(text))
    }

    /// [`Self::send_text`] that says what went wrong instead of panicking (for callers that
    /// are not tests, such as the demo).
    pub fn try_send_text(&self, text: &str) -> Result<i32, DriverError> {
        send_text(&self.shared, self.id, self.id, text)
    }

    /// Writes `text` in a group. With privacy mode on (as `getMe` says), the bot receives
    /// it only if it is a command or mentions the bot.
    pub fn send_text_in(&self, chat: &SimChat, text: &str) -> i32 {
        expect(self.try_send_text_in(chat, text))
    }

    /// [`Self::send_text_in`] without the panic.
    pub fn try_send_text_in(&self, chat: &SimChat, text: &str) -> Result<i32, DriverError> {
        send_text(&self.shared, self.id, chat.id, text)
    }

    /// Taps the inline button with `callback_data` on a message; returns the callback query id.
    pub fn press_button(&self, chat_id: i64, message_id: i32, callback_data: &str) -> String {
        expect(self.try_press_button(chat_id, message_id, callback_data))
    }

    /// [`Self::press_button`] without the panic.
    pub fn try_press_button(
        &self,
        chat_id: i64,
        message_id: i32,
        callback_data: &str,
    ) -> Result<String, DriverError> {
        press_button(&self.shared, self.id, chat_id, message_id, callback_data)
    }

    /// Forwards a post of `channel` with `text` into the private chat with the bot.
    pub fn forward_from_channel(&self, channel: &SimChat, text: &str) -> i32 {
        expect(forward_from_channel(
            &self.shared,
            self.id,
            channel.id,
            text,
        ))
    }

    /// Blocks (or unblocks) the bot: then the bot's messages to this user fail with 403.
    pub fn block_bot(&self, blocked: bool) {
        expect(block_bot(&self.shared, self.id, blocked));
    }

    /// What the bot answered to a button press, once it has.
    pub fn callback_answer(&self, callback_query_id: &str) -> Option<CallbackAnswer> {
        callback_answer(&self.shared, callback_query_id)
    }
}

#[track_caller]
fn expect<T>(result: Result<T, DriverError>) -> T {
    result.unwrap_or_else(|e| panic!("telegram emulator driver: {e}"))
}

/// Entities Telegram adds to a user's text: a leading `/command` is a `bot_command`.
fn user_entities(text: &str) -> Vec<MessageEntity> {
    if !text.starts_with('/') {
        return Vec::new();
    }
    let command = text.split_whitespace().next().unwrap_or("");
    vec![MessageEntity {
        kind: MessageEntityKind::BotCommand,
        offset: 0,
        length: command.encode_utf16().count(),
    }]
}

/// Privacy mode: in groups a bot only gets commands meant for it and mentions of it.
fn group_message_reaches_bot(text: &str) -> bool {
    let mention = format!("@{BOT_USERNAME}").to_ascii_lowercase();
    let lower = text.to_ascii_lowercase();
    let command_for_bot = lower.starts_with('/')
        && match lower
            .split_whitespace()
            .next()
            .and_then(|c| c.split_once('@'))
        {
            Some((_, bot)) => bot == BOT_USERNAME,
            None => true,
        };
    command_for_bot || lower.contains(&mention)
}

pub(crate) fn send_text(
    shared: &Shared,
    user_id: i64,
    chat_id: i64,
    text: &str,
) -> Result<i32, DriverError> {
    let mut store = shared.store();
    if !store.users.contains_key(&user_id) {
        return Err(DriverError::UnknownUser(user_id));
    }
    let chat_kind = store
        .chats
        .get(&chat_id)
        .map(|c| (c.kind, c.bot_kicked))
        .ok_or(DriverError::UnknownChat(chat_id))?;
    let delivered = match chat_kind {
        (ChatKind::Private, _) if chat_id == user_id => {
            if let Some(user) = store.users.get_mut(&user_id) {
                user.blocked_bot = false;
                user.started_bot = true;
            }
            true
        }
        (ChatKind::Group, kicked) => !kicked && group_message_reaches_bot(text),
        _ => {
            return Err(DriverError::NotInChat {
                user: user_id,
                chat: chat_id,
            });
        }
    };
    let mut message = StoredMessage::new(chat_id, Author::User(user_id));
    message.text = Some(text.to_owned());
    message.entities = user_entities(text);
    let id = store
        .push_message(message)
        .map_err(|_| DriverError::UnknownChat(chat_id))?;
    if delivered && let Some(stored) = store.message(chat_id, id) {
        let payload = wire::message(&store, stored);
        store.enqueue_update("message", payload);
    }
    drop(store);
    notify(shared);
    Ok(id)
}

pub(crate) fn press_button(
    shared: &Shared,
    user_id: i64,
    chat_id: i64,
    message_id: i32,
    data: &str,
) -> Result<String, DriverError> {
    let mut store = shared.store();
    if !store.users.contains_key(&user_id) {
        return Err(DriverError::UnknownUser(user_id));
    }
    let chat = store
        .chats
        .get(&chat_id)
        .ok_or(DriverError::UnknownChat(chat_id))?;
    let delivered = !chat.bot_kicked;
    let message = chat
        .messages
        .get(&message_id)
        .ok_or(DriverError::MessageNotFound {
            chat_id,
            message_id,
        })?
        .clone();
    let has_button = message
        .reply_markup
        .iter()
        .flat_map(|m| m.inline_keyboard.iter().flatten())
        .any(|b| matches!(&b.kind, InlineKeyboardButtonKind::CallbackData(d) if d == data));
    if !has_button {
        return Err(DriverError::NoSuchButton {
            chat_id,
            message_id,
            data: data.to_owned(),
        });
    }
    let query_id = store.new_callback_id();
    if let Some(user) = store.users.get_mut(&user_id) {
        user.started_bot = true;
    }
    if delivered && let Some(user) = store.users.get(&user_id) {
        let payload = wire::callback_query(&store, &query_id, user, &message, data);
        store.enqueue_update("callback_query", payload);
    }
    drop(store);
    notify(shared);
    Ok(query_id)
}

pub(crate) fn forward_from_channel(
    shared: &Shared,
    user_id: i64,
    channel_id: i64,
    text: &str,
) -> Result<i32, DriverError> {
    let mut store = shared.store();
    if !store.users.contains_key(&user_id) {
        return Err(DriverError::UnknownUser(user_id));
    }
    let channel = store
        .chats
        .get_mut(&channel_id)
        .ok_or(DriverError::UnknownChat(channel_id))?;
    if channel.kind != ChatKind::Channel {
        return Err(DriverError::NotAChannel(channel_id));
    }
    // The original post gets a real id in the channel; only the copy is stored.
    let original = ForwardedFrom {
        channel_id,
        message_id: channel.allocate_message_id(),
        date: now_unix() - 60,
    };
    if let Some(user) = store.users.get_mut(&user_id) {
        user.blocked_bot = false;
        user.started_bot = true;
    }
    let mut message = StoredMessage::new(user_id, Author::User(user_id));
    message.text = Some(text.to_owned());
    message.forwarded_from = Some(original);
    let id = store
        .push_message(message)
        .map_err(|_| DriverError::UnknownChat(user_id))?;
    if let Some(stored) = store.message(user_id, id) {
        let payload = wire::message(&store, stored);
        store.enqueue_update("message", payload);
    }
    drop(store);
    notify(shared);
    Ok(id)
}

pub(crate) fn block_bot(shared: &Shared, user_id: i64, blocked: bool) -> Result<(), DriverError> {
    let mut store = shared.store();
    let user = store
        .users
        .get_mut(&user_id)
        .ok_or(DriverError::UnknownUser(user_id))?;
    user.blocked_bot = blocked;
    Ok(())
}

pub(crate) fn callback_answer(shared: &Shared, query_id: &str) -> Option<CallbackAnswer> {
    shared.store().callbacks.get(query_id)?.answer.clone()
}

fn notify(shared: &Shared) {
    shared.updates_changed.notify_waiters();
    shared.chats_changed.notify_waiters();
}

// ---- HTTP ----

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/users", post(create_user))
        .route("/groups", post(create_group))
        .route("/channels", post(create_channel))
        .route("/users/{id}/send", post(http_send))
        .route("/users/{id}/press", post(http_press))
        .route("/users/{id}/forward", post(http_forward))
        .route("/users/{id}/block", post(http_block))
        .route("/chats/{chat_id}/messages", get(http_messages))
        .route("/chats/{chat_id}/kick", post(http_kick))
        .route("/callbacks/{id}", get(http_callback))
        .route("/files/{file_id}", get(http_file))
        .route("/stats", get(http_stats))
}

impl IntoResponse for DriverError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::UnknownUser(_) | Self::UnknownChat(_) | Self::MessageNotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            _ => StatusCode::BAD_REQUEST,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

type HttpResult = Result<Json<Value>, DriverError>;

#[derive(Deserialize)]
struct NewUser {
    id: i64,
    first_name: String,
    language_code: Option<String>,
}

async fn create_user(State(shared): State<Arc<Shared>>, Json(body): Json<NewUser>) -> HttpResult {
    shared
        .store()
        .add_user(body.id, &body.first_name, body.language_code.as_deref());
    Ok(Json(json!({ "id": body.id })))
}

#[derive(Deserialize)]
struct NewChat {
    id: i64,
    title: String,
}

async fn create_group(State(shared): State<Arc<Shared>>, Json(body): Json<NewChat>) -> HttpResult {
    shared
        .store()
        .add_chat(body.id, ChatKind::Group, &body.title);
    Ok(Json(json!({ "id": body.id })))
}

async fn create_channel(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<NewChat>,
) -> HttpResult {
    shared
        .store()
        .add_chat(body.id, ChatKind::Channel, &body.title);
    Ok(Json(json!({ "id": body.id })))
}

#[derive(Deserialize)]
struct SendBody {
    text: String,
    /// Defaults to the private chat with the bot.
    chat_id: Option<i64>,
}

async fn http_send(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<i64>,
    Json(body): Json<SendBody>,
) -> HttpResult {
    let chat_id = body.chat_id.unwrap_or(user_id);
    let message_id = send_text(&shared, user_id, chat_id, &body.text)?;
    Ok(Json(json!({ "message_id": message_id })))
}

#[derive(Deserialize)]
struct PressBody {
    chat_id: Option<i64>,
    message_id: i32,
    callback_data: String,
}

async fn http_press(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<i64>,
    Json(body): Json<PressBody>,
) -> HttpResult {
    let chat_id = body.chat_id.unwrap_or(user_id);
    let id = press_button(
        &shared,
        user_id,
        chat_id,
        body.message_id,
        &body.callback_data,
    )?;
    Ok(Json(json!({ "callback_query_id": id })))
}

#[derive(Deserialize)]
struct ForwardBody {
    channel_id: i64,
    text: String,
}

async fn http_forward(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<i64>,
    Json(body): Json<ForwardBody>,
) -> HttpResult {
    let id = forward_from_channel(&shared, user_id, body.channel_id, &body.text)?;
    Ok(Json(json!({ "message_id": id })))
}

#[derive(Deserialize)]
struct BlockBody {
    blocked: bool,
}

async fn http_block(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<i64>,
    Json(body): Json<BlockBody>,
) -> HttpResult {
    block_bot(&shared, user_id, body.blocked)?;
    Ok(Json(json!({ "blocked": body.blocked })))
}

#[derive(Deserialize)]
struct KickBody {
    kicked: bool,
}

async fn http_kick(
    State(shared): State<Arc<Shared>>,
    Path(chat_id): Path<i64>,
    Json(body): Json<KickBody>,
) -> HttpResult {
    let mut store = shared.store();
    let chat = store
        .chats
        .get_mut(&chat_id)
        .ok_or(DriverError::UnknownChat(chat_id))?;
    chat.bot_kicked = body.kicked;
    Ok(Json(json!({ "kicked": body.kicked })))
}

/// The chat as the user sees it; documents and photos carry a `download_url` instead of
/// their bytes.
async fn http_messages(State(shared): State<Arc<Shared>>, Path(chat_id): Path<i64>) -> HttpResult {
    let store = shared.store();
    let chat = store
        .chats
        .get(&chat_id)
        .ok_or(DriverError::UnknownChat(chat_id))?;
    let messages: Vec<Value> = chat
        .messages
        .values()
        .map(|m| {
            let seen = seen(&store, m);
            let mut value = wire::to_value(&seen);
            if let Some(doc) = &seen.document {
                value["document"]["download_url"] = json!(format!(
                    "http://{}/_driver/files/{}",
                    shared.addr, doc.file_id
                ));
            }
            if let Some(photo) = &seen.photo {
                value["photo"]["download_url"] = json!(format!(
                    "http://{}/_driver/files/{}",
                    shared.addr, photo.file_id
                ));
            }
            value
        })
        .collect();
    Ok(Json(Value::Array(messages)))
}

async fn http_callback(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Json<Value> {
    Json(wire::to_value(&callback_answer(&shared, &id)))
}

async fn http_file(State(shared): State<Arc<Shared>>, Path(file_id): Path<String>) -> Response {
    let store = shared.store();
    match store.files.get(&file_id) {
        Some(file) => (
            [(header::CONTENT_TYPE, file.mime_type.clone())],
            Body::from(file.bytes.to_vec()),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no file {file_id}") })),
        )
            .into_response(),
    }
}

async fn http_stats(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let store = shared.store();
    Json(json!({
        "rate_limited": store.rate_limited,
        "method_calls": store.calls,
        "pending_updates": store.updates.len(),
    }))
}
