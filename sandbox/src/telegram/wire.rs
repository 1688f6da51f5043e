//! Bot API JSON shapes (Message, User, Chat, CallbackQuery, ChatFullInfo, ChatMember, File).
//!
//! Where teloxide's type serialises to exactly Telegram's shape (User, Me, entities, inline
//! keyboards) it is used directly; the rest is built by hand and checked by deserialising into
//! teloxide's types in `tests/telegram_emulator.rs`.

use serde::Serialize;
use serde_json::{Map, Value, json};
use teloxide::types::{Me, User, UserId};

use super::state::{
    Author, BOT_FIRST_NAME, BOT_USERNAME, ChatKind, ChatRec, FileRec, Store, StoredMessage, UserRec,
};

/// Serialises a teloxide type whose `Serialize` cannot fail (plain structs and enums).
pub(crate) fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub(crate) fn bot_user(bot_id: i64) -> User {
    User {
        id: UserId(bot_id.unsigned_abs()),
        is_bot: true,
        first_name: BOT_FIRST_NAME.to_owned(),
        last_name: None,
        username: Some(BOT_USERNAME.to_owned()),
        language_code: None,
        is_premium: false,
        added_to_attachment_menu: false,
    }
}

pub(crate) fn user(user: &UserRec) -> User {
    User {
        id: UserId(user.id.unsigned_abs()),
        is_bot: false,
        first_name: user.first_name.clone(),
        last_name: None,
        username: None,
        language_code: user.language_code.clone(),
        is_premium: false,
        added_to_attachment_menu: false,
    }
}

pub(crate) fn me(bot_id: i64) -> Value {
    to_value(&Me {
        user: bot_user(bot_id),
        can_join_groups: true,
        // Privacy mode on, as for a fresh bot: in groups it sees commands and mentions only.
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: false,
        has_main_web_app: false,
    })
}

pub(crate) fn chat(chat: &ChatRec) -> Value {
    match chat.kind {
        ChatKind::Private => json!({ "id": chat.id, "type": "private", "first_name": chat.title }),
        ChatKind::Group => json!({ "id": chat.id, "type": "group", "title": chat.title }),
        ChatKind::Channel => json!({ "id": chat.id, "type": "channel", "title": chat.title }),
    }
}

/// `getChat`'s ChatFullInfo: the Chat fields plus the ones Telegram always sends.
pub(crate) fn chat_full_info(chat_rec: &ChatRec) -> Value {
    let mut info = chat(chat_rec);
    info["accent_color_id"] = json!(0);
    info["max_reaction_count"] = json!(11);
    info["accepted_gift_types"] = json!({
        "unlimited_gifts": false,
        "limited_gifts": false,
        "unique_gifts": false,
        "premium_subscription": false,
    });
    info
}

/// `getChatMember` for the bot itself.
pub(crate) fn bot_chat_member(bot_id: i64, chat_rec: &ChatRec) -> Value {
    let mut member = json!({ "user": to_value(&bot_user(bot_id)) });
    let status = match (chat_rec.kind, chat_rec.bot_kicked) {
        (ChatKind::Private | ChatKind::Group, false) => json!({ "status": "member" }),
        (ChatKind::Channel, false) => json!({
            "status": "administrator",
            "can_be_edited": false,
            "is_anonymous": false,
            "can_manage_chat": true,
            "can_change_info": false,
            "can_post_messages": true,
            "can_edit_messages": true,
            "can_delete_messages": true,
            "can_manage_video_chats": false,
            "can_invite_users": false,
            "can_restrict_members": false,
            "can_promote_members": false,
            "can_post_stories": false,
            "can_edit_stories": false,
            "can_delete_stories": false,
        }),
        (_, true) => json!({ "status": "kicked", "until_date": 0 }),
    };
    merge(&mut member, status);
    member
}

/// `getChatMember` for a user.
pub(crate) fn user_chat_member(user_rec: &UserRec) -> Value {
    json!({ "user": to_value(&user(user_rec)), "status": "member" })
}

pub(crate) fn document(file: &FileRec) -> Value {
    let mut doc = json!({
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "mime_type": file.mime_type,
        "file_size": file.bytes.len(),
    });
    if let Some(name) = &file.file_name {
        doc["file_name"] = json!(name);
    }
    doc
}

pub(crate) fn file(file: &FileRec) -> Value {
    json!({
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.bytes.len(),
        "file_path": file.file_path,
    })
}

/// A full Message object. Optional fields are omitted when empty, as Telegram does.
pub(crate) fn message(store: &Store, msg: &StoredMessage) -> Value {
    let mut out = Map::new();
    out.insert("message_id".into(), json!(msg.message_id));
    let chat_rec = store.chats.get(&msg.chat_id);
    match msg.author {
        // Channel posts are signed by the channel, not by the bot that wrote them.
        Author::Bot => match chat_rec {
            Some(c) if c.kind == ChatKind::Channel => {
                out.insert("sender_chat".into(), chat(c));
            }
            _ => {
                out.insert("from".into(), to_value(&bot_user(store.bot_id)));
            }
        },
        Author::User(id) => {
            if let Some(u) = store.users.get(&id) {
                out.insert("from".into(), to_value(&user(u)));
            }
        }
    }
    if let Some(c) = chat_rec {
        out.insert("chat".into(), chat(c));
    }
    out.insert("date".into(), json!(msg.date));
    if let Some(date) = msg.edit_date {
        out.insert("edit_date".into(), json!(date));
    }
    if let Some(fwd) = msg.forwarded_from
        && let Some(channel) = store.chats.get(&fwd.channel_id)
    {
        out.insert(
            "forward_origin".into(),
            json!({
                "type": "channel",
                "chat": chat(channel),
                "message_id": fwd.message_id,
                "date": fwd.date,
            }),
        );
    }
    let (text_key, entities_key) = if msg.document.is_some() || msg.photo.is_some() {
        ("caption", "caption_entities")
    } else {
        ("text", "entities")
    };
    if let Some(file) = msg.document.as_ref().and_then(|id| store.files.get(id)) {
        out.insert("document".into(), document(file));
    }
    if let Some(photo) = &msg.photo
        && let Some(file) = store.files.get(&photo.file_id)
    {
        // One size: the emulator keeps the picture as sent.
        out.insert(
            "photo".into(),
            json!([{
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "width": photo.width,
                "height": photo.height,
                "file_size": file.bytes.len(),
            }]),
        );
    }
    if let Some(group) = &msg.media_group_id {
        out.insert("media_group_id".into(), json!(group));
    }
    if let Some(text) = &msg.text {
        out.insert(text_key.into(), json!(text));
    }
    if !msg.entities.is_empty() {
        out.insert(entities_key.into(), to_value(&msg.entities));
    }
    if let Some(markup) = &msg.reply_markup {
        out.insert("reply_markup".into(), to_value(markup));
    }
    Value::Object(out)
}

pub(crate) fn callback_query(
    store: &Store,
    id: &str,
    from: &UserRec,
    msg: &StoredMessage,
    data: &str,
) -> Value {
    json!({
        "id": id,
        "from": to_value(&user(from)),
        "message": message(store, msg),
        // Telegram's opaque per-chat identifier; any stable string will do.
        "chat_instance": format!("{}", msg.chat_id.unsigned_abs().wrapping_mul(2_654_435_761)),
        "data": data,
    })
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(t), Value::Object(e)) = (target, extra) {
        t.extend(e);
    }
}
