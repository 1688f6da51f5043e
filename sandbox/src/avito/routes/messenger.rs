//! Messenger reads: chat list (v2), one chat (v2), messages (v3).

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::ok;
use crate::avito::data::{AccountData, Chat, Direction, Message};
use crate::avito::error::ApiError;
use crate::avito::live::chats_in_order;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::state::{AppState, Shared};
use crate::avito::validate::Input;
use crate::sync::lock;

/// `limit` and `offset` (ranges already checked against the spec: 1..=100 and 0..=1000).
fn window(input: &Input) -> (usize, usize) {
    let limit = input.query_i64("limit").unwrap_or(100).max(0) as usize;
    let offset = input.query_i64("offset").unwrap_or(0).max(0) as usize;
    (limit, offset)
}

pub(crate) async fn chats(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetChatsV2, list(&s, &req))
}

fn list(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::GetChatsV2, req)?;
    let (limit, offset) = window(&input);
    let strings = |k: &str| -> Option<Vec<String>> {
        input.query.get(k).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
    };
    // Default per the spec: u2i only.
    let types = strings("chat_types").unwrap_or_else(|| vec!["u2i".to_owned()]);
    let item_ids: Option<Vec<i64>> = input
        .query
        .get("item_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect());
    let unread_only = input
        .query
        .get("unread_only")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let account = &s.data.accounts()[acc];
    let live = lock(&s.live);
    let chats: Vec<Value> = chats_in_order(account, live.account(acc))
        .into_iter()
        .filter(|(c, _)| types.iter().any(|t| t == c.chat_type.as_str()))
        .filter(|(c, _)| {
            item_ids
                .as_ref()
                .is_none_or(|ids| c.item.as_ref().is_some_and(|i| ids.contains(&i.id)))
        })
        .filter(|(c, last)| !unread_only || unread(c, last))
        .skip(offset)
        .take(limit)
        .map(|(c, last)| chat_json(account, c, &last))
        .collect();
    Ok(ok(json!({"chats": chats}), None))
}

pub(crate) async fn chat(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetChatByIdV2, one(&s, &req))
}

fn find<'a>(account: &'a AccountData, req: &ApiRequest) -> Result<&'a Chat, ApiError> {
    let id = req.path_param("chat_id").unwrap_or_default();
    account
        .chat(id)
        .ok_or_else(|| ApiError::NotFound(format!("chat {id:?} not found")))
}

fn one(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, _) = s.begin(Op::GetChatByIdV2, req)?;
    let account = &s.data.accounts()[acc];
    let chat = find(account, req)?;
    let live = lock(&s.live);
    let last = live
        .account(acc)
        .and_then(|l| l.messages_of(&chat.id).last().cloned())
        .unwrap_or_else(|| chat.last_message());
    Ok(ok(chat_json(account, chat, &last), None))
}

pub(crate) async fn messages(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetMessagesV3, page(&s, &req))
}

/// Newest first: offset 0 is the last message.
fn page(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::GetMessagesV3, req)?;
    let account = &s.data.accounts()[acc];
    let chat = find(account, req)?;
    let (limit, offset) = window(&input);
    let n = chat.message_count;
    let live = lock(&s.live);
    let added = live
        .account(acc)
        .map_or(&[][..], |l| l.messages_of(&chat.id));
    // Added messages are the newest: they come first, then the generated ones.
    let messages: Vec<Value> = added
        .iter()
        .rev()
        .map(Message::to_json)
        .chain((0..n).rev().map(|i| chat.message(i).to_json()))
        .skip(offset)
        .take(limit)
        .collect();
    let body = if account.spec.wrap_messages {
        json!({"messages": messages})
    } else {
        Value::Array(messages)
    };
    Ok(ok(body, None))
}

/// Unread: the generated chat says so, or the newest message is an added incoming one.
fn unread(c: &Chat, last: &Message) -> bool {
    if last.id == c.last_message().id {
        c.unread
    } else {
        last.direction == Direction::In
    }
}

fn chat_json(account: &AccountData, c: &Chat, last: &Message) -> Value {
    let avatar = |id: i64| {
        let sizes = [
            "24x24", "36x36", "48x48", "64x64", "72x72", "96x96", "128x128", "192x192", "256x256",
        ];
        let images: serde_json::Map<String, Value> = sizes
            .iter()
            .map(|s| {
                (
                    (*s).to_owned(),
                    json!(format!("https://static.avito.example/avatar/{id}/{s}.png")),
                )
            })
            .collect();
        json!({"default": format!("https://static.avito.example/avatar/{id}/default.png"), "images": images})
    };
    let item_id = c.item.as_ref().map(|i| i.id);
    let user = |id: i64, name: &str| {
        let mut profile = json!({"user_id": id, "url": format!("https://www.avito.ru/user/{id}/profile"), "avatar": avatar(id)});
        if let (Some(item), Some(p)) = (item_id, profile.as_object_mut()) {
            p.insert("item_id".into(), json!(item));
        }
        json!({"id": id, "name": name, "public_user_profile": profile})
    };
    let mut v = json!({
        "id": c.id,
        "created": c.created,
        "updated": c.updated.max(last.created),
        "users": [user(c.seller_id, &c.seller_name), user(c.buyer_id, &c.buyer_name)],
        "last_message": last.to_last_message_json(),
    });
    if let (Some(it), Some(obj)) = (&c.item, v.as_object_mut()) {
        obj.insert(
            "context".into(),
            json!({"type": "item", "value": {
                "id": it.id, "title": it.title, "price_string": it.price_string, "status_id": it.status_id,
                "url": it.url, "user_id": account.user_id(),
                "images": {"count": 1, "main": {"140x105": format!("https://static.avito.example/image/{:x}", it.id)}}}}),
        );
    }
    v
}
