//! The Bot API methods: validation with Telegram's error texts, effects on the store, and the
//! `result` JSON. Method names arrive lowercased.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use teloxide::types::{BotCommand, InlineKeyboardButtonKind, InlineKeyboardMarkup, MessageEntity};

use super::error::ApiError;
use super::html;
use super::params::{InputFile, MAX_UPLOAD_BYTES, Params};
use super::state::{
    Author, CallbackAnswer, ChatKind, Shared, Store, StoredMessage, StoredPhoto, now_unix,
    scope_key,
};
use super::wire;

const MAX_TEXT_CHARS: usize = 4096;
const MAX_CAPTION_CHARS: usize = 1024;
const MAX_CALLBACK_DATA_BYTES: usize = 64;
const MAX_CALLBACK_ANSWER_CHARS: usize = 200;
const MAX_LONG_POLL_SECS: i64 = 50;

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup \
                            of the message";

const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

/// Runs one Bot API call made with the token of bot `bot_id`.
pub(crate) async fn call(
    shared: &Arc<Shared>,
    bot_id: i64,
    method: &str,
    mut params: Params,
) -> Result<Value, ApiError> {
    {
        let mut store = shared.store();
        store.bot_id = bot_id;
        store.count_call(method);
    }
    if method == "getupdates" {
        return get_updates(shared, &params).await;
    }
    let mut store = shared.store();
    let result = match method {
        "getme" => Ok(wire::me(bot_id)),
        "deletewebhook" | "logout" | "close" => Ok(json!(true)),
        "getwebhookinfo" => Ok(json!({
            "url": "",
            "has_custom_certificate": false,
            "pending_update_count": store.updates.len(),
        })),
        "sendmessage" => send_message(shared, &mut store, &params),
        "editmessagetext" => edit_message_text(shared, &mut store, &params),
        "editmessagereplymarkup" => edit_message_reply_markup(&mut store, &params),
        "answercallbackquery" => answer_callback_query(&mut store, &params),
        "deletemessage" => delete_message(&mut store, &params),
        "senddocument" => send_document(shared, &mut store, &mut params),
        "sendphoto" => send_photo(shared, &mut store, &mut params),
        "sendmediagroup" => send_media_group(shared, &mut store, &mut params),
        "sendchataction" => send_chat_action(&store, &params),
        "setmycommands" => set_my_commands(&mut store, &params),
        "getmycommands" => get_my_commands(&store, &params),
        "deletemycommands" => delete_my_commands(&mut store, &params),
        "getchat" => get_chat(&store, &params),
        "getchatmember" => get_chat_member(&store, &params),
        "getfile" => get_file(&store, &params),
        _ => Err(ApiError::NotFound("method not found".into())),
    };
    drop(store);
    if result.is_ok() {
        shared.chats_changed.notify_waiters();
    }
    result
}

/// Long poll: returns queued updates at once, or waits up to `timeout` seconds for one.
async fn get_updates(shared: &Arc<Shared>, params: &Params) -> Result<Value, ApiError> {
    let offset = params.i64("offset")?.unwrap_or(0);
    let limit = params.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = params
        .i64("timeout")?
        .unwrap_or(0)
        .clamp(0, MAX_LONG_POLL_SECS);
    let allowed: Vec<String> = params.json("allowed_updates")?.unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(timeout.unsigned_abs());

    let mut first = true;
    loop {
        // Registered before looking, so an update queued in between still wakes us.
        let mut notified = pin!(shared.updates_changed.notified());
        notified.as_mut().enable();
        {
            let mut store = shared.store();
            if first {
                confirm(&mut store, offset);
                first = false;
            }
            let batch: Vec<Value> = store
                .updates
                .iter()
                .filter(|(_, u)| is_allowed(u, &allowed))
                .take(limit)
                .map(|(_, u)| u.clone())
                .collect();
            if !batch.is_empty() || Instant::now() >= deadline || shared.is_closing() {
                return Ok(Value::Array(batch));
            }
        }
        let _ = tokio::time::timeout_at(deadline.into(), notified).await;
    }
}

/// `offset` confirms (forgets) every update before it; a negative one keeps only the last
/// `-offset` updates.
fn confirm(store: &mut Store, offset: i64) {
    if offset > 0 {
        store.updates.retain(|(id, _)| *id >= offset);
    } else if offset < 0 {
        let keep = offset.unsigned_abs() as usize;
        let excess = store.updates.len().saturating_sub(keep);
        store.updates.drain(..excess);
    }
}

fn is_allowed(update: &Value, allowed: &[String]) -> bool {
    allowed.is_empty() || allowed.iter().any(|kind| update.get(kind).is_some())
}

/// Text after applying the parse mode, ready to store.
struct Formatted {
    text: String,
    entities: Vec<MessageEntity>,
    raw: Option<String>,
    parse_mode: Option<String>,
}

fn format(params: &Params, text_key: &str, max_chars: usize) -> Result<Formatted, ApiError> {
    let raw = params.str(text_key).unwrap_or_default();
    let parse_mode = params.str("parse_mode").filter(|p| !p.is_empty());
    let entities = || {
        params
            .json(entities_key(text_key))
            .map(Option::unwrap_or_default)
    };
    format_text(raw, parse_mode, entities, text_key, max_chars)
}

/// [`format`] of a text given as values (a media group item's caption).
fn format_text(
    raw: String,
    parse_mode: Option<String>,
    entities: impl FnOnce() -> Result<Vec<MessageEntity>, ApiError>,
    text_key: &str,
    max_chars: usize,
) -> Result<Formatted, ApiError> {
    let (text, entities) = match parse_mode
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => (raw.clone(), entities()?),
        Some("html") => {
            let parsed = html::parse(&raw)
                .map_err(|e| ApiError::bad(format!("can't parse entities: {e}")))?;
            (parsed.text, parsed.entities)
        }
        // Markdown is accepted but not parsed: the text is stored as sent.
        Some("markdown" | "markdownv2") => (raw.clone(), Vec::new()),
        Some(_) => return Err(ApiError::bad("unsupported parse_mode")),
    };
    if text.chars().count() > max_chars {
        return Err(ApiError::bad(if text_key == "caption" {
            "message caption is too long"
        } else {
            "message is too long"
        }));
    }
    Ok(Formatted {
        text,
        entities,
        raw: parse_mode.is_some().then_some(raw),
        parse_mode,
    })
}

fn entities_key(text_key: &str) -> &'static str {
    if text_key == "caption" {
        "caption_entities"
    } else {
        "entities"
    }
}

/// The inline keyboard of `reply_markup`. Other keyboards (reply, force reply, remove) are
/// accepted but not shown, since users in the emulator only press inline buttons.
fn inline_keyboard(params: &Params) -> Result<Option<InlineKeyboardMarkup>, ApiError> {
    let Some(value) = params.json_value("reply_markup")? else {
        return Ok(None);
    };
    if value.get("inline_keyboard").is_none() {
        return Ok(None);
    }
    let markup: InlineKeyboardMarkup = serde_json::from_value(value).map_err(|_| {
        ApiError::bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        )
    })?;
    for button in markup.inline_keyboard.iter().flatten() {
        if let InlineKeyboardButtonKind::CallbackData(data) = &button.kind
            && (data.is_empty() || data.len() > MAX_CALLBACK_DATA_BYTES)
        {
            return Err(ApiError::bad("BUTTON_DATA_INVALID"));
        }
        if button.text.trim().is_empty() {
            return Err(ApiError::bad("BUTTON_TEXT_EMPTY"));
        }
    }
    Ok(Some(markup))
}

/// Whether the bot may write to the chat now.
fn check_can_send(store: &Store, chat_id: i64) -> Result<ChatKind, ApiError> {
    let chat = store.chat(chat_id)?;
    match chat.kind {
        ChatKind::Private => {
            let user = store
                .users
                .get(&chat_id)
                .ok_or_else(ApiError::chat_not_found)?;
            if user.blocked_bot {
                return Err(ApiError::forbidden("bot was blocked by the user"));
            }
            if !user.started_bot {
                return Err(ApiError::forbidden(
                    "bot can't initiate conversation with a user",
                ));
            }
        }
        ChatKind::Group if chat.bot_kicked => {
            return Err(ApiError::forbidden("bot was kicked from the group chat"));
        }
        ChatKind::Channel if chat.bot_kicked => {
            return Err(ApiError::forbidden("bot was kicked from the channel chat"));
        }
        ChatKind::Group | ChatKind::Channel => {}
    }
    Ok(chat.kind)
}

tokio::task_local! {
    /// When the request being handled arrived: flood control counts a message then, not after
    /// its body (a photo upload, say) has been read and parsed, which a busy emulator can
    /// bunch up into bursts the client never sent.
    pub(crate) static ARRIVED: Instant;
}

/// Flood control for one outgoing message or edit.
fn admit(shared: &Shared, store: &mut Store, chat_id: i64, kind: ChatKind) -> Result<(), ApiError> {
    if !shared.config.enforce_limits {
        return Ok(());
    }
    let limits = shared.limits();
    let is_group = kind != ChatKind::Private;
    store
        .limiter
        .admit(
            &limits,
            chat_id,
            is_group,
            ARRIVED.try_with(|t| *t).unwrap_or_else(|_| Instant::now()),
        )
        .map_err(|retry_after| {
            store.rate_limited += 1;
            ApiError::TooManyRequests(retry_after)
        })
}

fn send_message(shared: &Shared, store: &mut Store, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let formatted = format(params, "text", MAX_TEXT_CHARS)?;
    if formatted.text.trim().is_empty() {
        return Err(ApiError::bad("message text is empty"));
    }
    let markup = inline_keyboard(params)?;
    let kind = check_can_send(store, chat_id)?;
    admit(shared, store, chat_id, kind)?;
    let mut message = StoredMessage::new(chat_id, Author::Bot);
    message.text = Some(formatted.text);
    message.entities = formatted.entities;
    message.raw_text = formatted.raw;
    message.parse_mode = formatted.parse_mode;
    message.reply_markup = markup;
    push_and_render(store, message)
}

fn push_and_render(store: &mut Store, message: StoredMessage) -> Result<Value, ApiError> {
    let chat_id = message.chat_id;
    let id = store.push_message(message)?;
    store
        .message(chat_id, id)
        .map(|m| wire::message(store, m))
        .ok_or_else(|| ApiError::bad("message to send not found"))
}

fn target_message(params: &Params) -> Result<(i64, i32), ApiError> {
    if params.str("inline_message_id").is_some() {
        return Err(ApiError::bad("inline messages are not emulated"));
    }
    let chat_id = params.chat_id()?;
    let message_id = params.required_i64("message_id")?;
    let message_id =
        i32::try_from(message_id).map_err(|_| ApiError::bad("message to edit not found"))?;
    Ok((chat_id, message_id))
}

fn edit_message_text(
    shared: &Shared,
    store: &mut Store,
    params: &Params,
) -> Result<Value, ApiError> {
    let (chat_id, message_id) = target_message(params)?;
    let formatted = format(params, "text", MAX_TEXT_CHARS)?;
    if formatted.text.trim().is_empty() {
        return Err(ApiError::bad("message text is empty"));
    }
    // Like Telegram, an edit without reply_markup removes the keyboard.
    let markup = inline_keyboard(params)?;
    let kind = check_can_send(store, chat_id)?;
    let current = editable(store, chat_id, message_id)?;
    if current.document.is_some() {
        return Err(ApiError::bad("there is no text in the message to edit"));
    }
    if current.text.as_deref() == Some(formatted.text.as_str())
        && current.entities == formatted.entities
        && current.reply_markup == markup
    {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    admit(shared, store, chat_id, kind)?;
    let message = editable_mut(store, chat_id, message_id)?;
    message.text = Some(formatted.text);
    message.entities = formatted.entities;
    message.raw_text = formatted.raw;
    message.parse_mode = formatted.parse_mode;
    message.reply_markup = markup;
    message.edit_date = Some(now_unix());
    message.edit_count += 1;
    let message = message.clone();
    Ok(wire::message(store, &message))
}

fn edit_message_reply_markup(store: &mut Store, params: &Params) -> Result<Value, ApiError> {
    let (chat_id, message_id) = target_message(params)?;
    let markup = inline_keyboard(params)?;
    check_can_send(store, chat_id)?;
    if editable(store, chat_id, message_id)?.reply_markup == markup {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    let message = editable_mut(store, chat_id, message_id)?;
    message.reply_markup = markup;
    let message = message.clone();
    Ok(wire::message(store, &message))
}

fn editable(store: &Store, chat_id: i64, message_id: i32) -> Result<&StoredMessage, ApiError> {
    store.chat(chat_id)?;
    let message = store
        .message(chat_id, message_id)
        .ok_or_else(|| ApiError::bad("message to edit not found"))?;
    if message.author != Author::Bot {
        return Err(ApiError::bad("message can't be edited"));
    }
    Ok(message)
}

fn editable_mut(
    store: &mut Store,
    chat_id: i64,
    message_id: i32,
) -> Result<&mut StoredMessage, ApiError> {
    store
        .chat_mut(chat_id)?
        .messages
        .get_mut(&message_id)
        .ok_or_else(|| ApiError::bad("message to edit not found"))
}

fn answer_callback_query(store: &mut Store, params: &Params) -> Result<Value, ApiError> {
    let id = params.str("callback_query_id").unwrap_or_default();
    let text = params.str("text").filter(|t| !t.is_empty());
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_CALLBACK_ANSWER_CHARS)
    {
        return Err(ApiError::bad("MESSAGE_TOO_LONG"));
    }
    let show_alert = params.bool("show_alert")?;
    let url = params.str("url").filter(|u| !u.is_empty());
    let record = store
        .callbacks
        .get_mut(&id)
        .filter(|r| !r.answered)
        .ok_or_else(|| {
            ApiError::bad("query is too old and response timeout expired or query ID is invalid")
        })?;
    record.answered = true;
    record.answer = Some(CallbackAnswer {
        text,
        show_alert,
        url,
    });
    Ok(json!(true))
}

fn delete_message(store: &mut Store, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let message_id = params.required_i64("message_id")?;
    let chat = store.chat_mut(chat_id)?;
    i32::try_from(message_id)
        .ok()
        .and_then(|id| chat.messages.remove(&id))
        .map(|_| json!(true))
        .ok_or_else(|| ApiError::bad("message to delete not found"))
}

fn send_document(
    shared: &Shared,
    store: &mut Store,
    params: &mut Params,
) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let formatted = format(params, "caption", MAX_CAPTION_CHARS)?;
    let markup = inline_keyboard(params)?;
    let input = params.input_file("document")?;
    let kind = check_can_send(store, chat_id)?;
    let file_id = match input {
        InputFile::Upload(upload) => {
            if upload.bytes.len() > MAX_UPLOAD_BYTES {
                return Err(ApiError::TooLarge);
            }
            if upload.bytes.is_empty() {
                return Err(ApiError::bad("file must be non-empty"));
            }
            admit(shared, store, chat_id, kind)?;
            store.add_file(upload.file_name, upload.bytes).file_id
        }
        InputFile::FileId(file_id) => {
            if !store.files.contains_key(&file_id) {
                return Err(ApiError::bad("wrong file identifier/HTTP URL specified"));
            }
            admit(shared, store, chat_id, kind)?;
            file_id
        }
    };
    let mut message = StoredMessage::new(chat_id, Author::Bot);
    message.document = Some(file_id);
    message.text = Some(formatted.text).filter(|t| !t.is_empty());
    message.entities = formatted.entities;
    message.raw_text = formatted.raw;
    message.parse_mode = formatted.parse_mode;
    message.reply_markup = markup;
    push_and_render(store, message)
}

/// Telegram's limits for a photo: 10 MB, width + height at most 10000, sides within 1:20.
const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
const MAX_PHOTO_SIDES: u32 = 10_000;
const MAX_PHOTO_RATIO: u32 = 20;
/// Items of one media group.
const MEDIA_GROUP_ITEMS: std::ops::RangeInclusive<usize> = 2..=10;

/// A photo checked and ready to store (nothing is stored before the send is admitted).
enum Picture {
    New {
        file_name: Option<String>,
        bytes: Vec<u8>,
        width: u32,
        height: u32,
    },
    Known(StoredPhoto),
}

/// Width and height from a PNG's header. The emulator reads PNG only (what the bot sends);
/// anything else is "IMAGE_PROCESS_FAILED", as Telegram answers a file it cannot read.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((be(16), be(20)))
}

fn check_photo(store: &Store, input: InputFile) -> Result<Picture, ApiError> {
    match input {
        InputFile::Upload(upload) => {
            if upload.bytes.len() > MAX_PHOTO_BYTES {
                return Err(ApiError::TooLarge);
            }
            let (width, height) =
                png_size(&upload.bytes).ok_or_else(|| ApiError::bad("IMAGE_PROCESS_FAILED"))?;
            let (long, short) = (width.max(height), width.min(height).max(1));
            if width == 0
                || height == 0
                || width + height > MAX_PHOTO_SIDES
                || long / short > MAX_PHOTO_RATIO
            {
                return Err(ApiError::bad("PHOTO_INVALID_DIMENSIONS"));
            }
            Ok(Picture::New {
                file_name: upload.file_name,
                bytes: upload.bytes,
                width,
                height,
            })
        }
        InputFile::FileId(file_id) => {
            let size = store.files.get(&file_id).and_then(|f| png_size(&f.bytes));
            match size {
                Some((width, height)) => Ok(Picture::Known(StoredPhoto {
                    file_id,
                    width,
                    height,
                })),
                None => Err(ApiError::bad("wrong file identifier/HTTP URL specified")),
            }
        }
    }
}

fn store_photo(store: &mut Store, picture: Picture) -> StoredPhoto {
    match picture {
        Picture::New {
            file_name,
            bytes,
            width,
            height,
        } => StoredPhoto {
            file_id: store
                .add_file(file_name.or_else(|| Some("photo.png".into())), bytes)
                .file_id,
            width,
            height,
        },
        Picture::Known(photo) => photo,
    }
}

fn send_photo(shared: &Shared, store: &mut Store, params: &mut Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let formatted = format(params, "caption", MAX_CAPTION_CHARS)?;
    let markup = inline_keyboard(params)?;
    let input = params.input_file("photo")?;
    let kind = check_can_send(store, chat_id)?;
    let picture = check_photo(store, input)?;
    admit(shared, store, chat_id, kind)?;
    let mut message = StoredMessage::new(chat_id, Author::Bot);
    message.photo = Some(store_photo(store, picture));
    message.text = Some(formatted.text).filter(|t| !t.is_empty());
    message.entities = formatted.entities;
    message.raw_text = formatted.raw;
    message.parse_mode = formatted.parse_mode;
    message.reply_markup = markup;
    push_and_render(store, message)
}

/// One item of `sendMediaGroup`'s `media`.
#[derive(serde::Deserialize)]
struct InputMediaItem {
    #[serde(rename = "type")]
    kind: String,
    media: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    parse_mode: Option<String>,
    #[serde(default)]
    caption_entities: Option<Vec<MessageEntity>>,
}

/// Photos only (what the bot sends). The group is admitted by the flood limits as one send:
/// its messages arrive together.
fn send_media_group(
    shared: &Shared,
    store: &mut Store,
    params: &mut Params,
) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let items: Vec<InputMediaItem> = params
        .json("media")?
        .ok_or_else(|| ApiError::bad("parameter \"media\" is required"))?;
    if !MEDIA_GROUP_ITEMS.contains(&items.len()) {
        return Err(ApiError::bad(
            "wrong number of media items: 2 to 10 are allowed",
        ));
    }
    let kind = check_can_send(store, chat_id)?;
    let mut checked = Vec::with_capacity(items.len());
    for item in items {
        if item.kind != "photo" {
            return Err(ApiError::bad(format!(
                "media type {:?} is not supported by the emulator",
                item.kind
            )));
        }
        let input = match item.media.strip_prefix("attach://") {
            Some(part) => params
                .take_file(part)
                .map(InputFile::Upload)
                .ok_or_else(|| ApiError::bad("there is no photo in the request"))?,
            None => InputFile::FileId(item.media),
        };
        let entities = item.caption_entities.unwrap_or_default();
        let caption = format_text(
            item.caption.unwrap_or_default(),
            item.parse_mode.filter(|p| !p.is_empty()),
            || Ok(entities),
            "caption",
            MAX_CAPTION_CHARS,
        )?;
        checked.push((check_photo(store, input)?, caption));
    }
    admit(shared, store, chat_id, kind)?;
    let group_id = format!("{}{:08}", now_unix(), store.next_file);
    let mut sent = Vec::with_capacity(checked.len());
    for (picture, caption) in checked {
        let mut message = StoredMessage::new(chat_id, Author::Bot);
        message.photo = Some(store_photo(store, picture));
        message.media_group_id = Some(group_id.clone());
        message.text = Some(caption.text).filter(|t| !t.is_empty());
        message.entities = caption.entities;
        message.raw_text = caption.raw;
        message.parse_mode = caption.parse_mode;
        sent.push(push_and_render(store, message)?);
    }
    Ok(Value::Array(sent))
}

fn send_chat_action(store: &Store, params: &Params) -> Result<Value, ApiError> {
    let chat_id = params.chat_id()?;
    let action = params.str("action").unwrap_or_default();
    if !CHAT_ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::bad("wrong parameter action in request"));
    }
    check_can_send(store, chat_id)?;
    Ok(json!(true))
}

fn command_scope(params: &Params) -> Result<String, ApiError> {
    let scope = params
        .json_value("scope")?
        .unwrap_or_else(|| json!({ "type": "default" }));
    Ok(scope_key(&scope, params.str("language_code").as_deref()))
}

fn set_my_commands(store: &mut Store, params: &Params) -> Result<Value, ApiError> {
    let commands: Vec<BotCommand> = params
        .json("commands")?
        .ok_or_else(|| ApiError::bad("parameter \"commands\" is required"))?;
    let mut cleaned = Vec::with_capacity(commands.len());
    for BotCommand {
        command,
        description,
    } in commands
    {
        // Telegram tolerates a leading slash and stores the bare name.
        let command = command.strip_prefix('/').unwrap_or(&command).to_owned();
        let valid_name = (1..=32).contains(&command.len())
            && command
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_name {
            return Err(ApiError::bad("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiError::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        cleaned.push(BotCommand {
            command,
            description,
        });
    }
    let key = command_scope(params)?;
    store.commands.insert(key, cleaned);
    Ok(json!(true))
}

fn get_my_commands(store: &Store, params: &Params) -> Result<Value, ApiError> {
    let key = command_scope(params)?;
    let commands = store.commands.get(&key).cloned().unwrap_or_default();
    Ok(wire::to_value(&commands))
}

fn delete_my_commands(store: &mut Store, params: &Params) -> Result<Value, ApiError> {
    let key = command_scope(params)?;
    store.commands.remove(&key);
    Ok(json!(true))
}

fn get_chat(store: &Store, params: &Params) -> Result<Value, ApiError> {
    let chat = store.chat(params.chat_id()?)?;
    if chat.bot_kicked && chat.kind == ChatKind::Group {
        return Err(ApiError::forbidden("bot was kicked from the group chat"));
    }
    Ok(wire::chat_full_info(chat))
}

fn get_chat_member(store: &Store, params: &Params) -> Result<Value, ApiError> {
    let chat = store.chat(params.chat_id()?)?;
    let user_id = params.required_i64("user_id")?;
    if user_id == store.bot_id {
        return Ok(wire::bot_chat_member(store.bot_id, chat));
    }
    let is_member = chat.kind != ChatKind::Private || chat.id == user_id;
    store
        .users
        .get(&user_id)
        .filter(|_| is_member)
        .map(wire::user_chat_member)
        .ok_or_else(|| ApiError::bad("user not found"))
}

fn get_file(store: &Store, params: &Params) -> Result<Value, ApiError> {
    let file_id = params.str("file_id").unwrap_or_default();
    store
        .files
        .get(&file_id)
        .map(wire::file)
        .ok_or_else(|| ApiError::bad("invalid file_id"))
}
