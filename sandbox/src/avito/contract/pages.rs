//! Answers as long as the request's page: with [`Listings`], a [`ContractServer`] answers the
//! paged operations with as many elements as remain at the request's position, up to the page
//! size it asks for, so a client pages on to later pages and up to the maximum offsets (random
//! answers hold at most [`MAX_ITEMS`](super::MAX_ITEMS) elements, so every paging client stops
//! on its first page).
//!
//! The elements repeat the answer's own ones (the spec's example, or the random ones of the
//! request): a listing of a thousand chats holds a handful of distinct chats, so a client that
//! follows each one (the messages of every chat) stays fast.
//!
//! [`ContractServer`]: super::ContractServer

use serde_json::{Map, Value};

use super::example::schema_example;
use super::generate::ok_schema;
use crate::avito::openapi::OpenApi;
use crate::avito::validate::Input;

/// How many elements each paged listing has in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listings {
    /// `getItemsInfo`: the account's items, in pages of `per_page` (default 25).
    pub items: u64,
    /// `getChatsV2` without `item_ids`, in pages of `limit` (default 100) from `offset`: the
    /// chats of each type its `chat_types` lists (default `u2i`).
    pub u2i_chats: u64,
    pub u2u_chats: u64,
    pub a2u_chats: u64,
    /// `getChatsV2` with `item_ids`: chats per listed item.
    pub chats_per_item: u64,
    /// `getMessagesV3`: the messages of every chat, in pages of `limit` from `offset`.
    pub messages: u64,
    /// `itemAnalytics`: groupings, in pages of `limit` from `offset` (`dataTotalCount` too).
    pub groupings: u64,
}

/// Where a request's page lies in its listing.
struct Page {
    /// JSON pointer of the list in the answer's spec form.
    list: &'static str,
    start: u64,
    len: u64,
    total: u64,
}

impl Listings {
    /// `body` (an answer to `operation_id`) with its list as long as the request's page.
    /// Operations that are not paged, and answers with no room for a list, are left as they are.
    pub(crate) fn fill(
        &self,
        spec: &OpenApi,
        operation_id: &str,
        input: &Input,
        mut body: Value,
    ) -> Value {
        let Some(page) = self.page(operation_id, input) else {
            return body;
        };
        // `getMessagesV3` may come in its documented alternative form, `{"messages": [...]}`.
        let pointer = match (operation_id, &body) {
            ("getMessagesV3", Value::Object(_)) => "/messages",
            _ => page.list,
        };
        let Some(slot) = slot(&mut body, pointer) else {
            return body;
        };
        let mut pool = match slot.take() {
            Value::Array(own) => own,
            _ => Vec::new(),
        };
        if pool.is_empty() {
            pool.extend(item_example(spec, operation_id, page.list));
        }
        let elements = (page.start..page.start + page.len)
            .filter_map(|i| pool.get(usize::try_from(i).ok()? % pool.len().max(1)))
            .cloned()
            .collect();
        *slot = Value::Array(elements);
        if operation_id == "itemAnalytics"
            && let Some(result) = body.get_mut("result").and_then(Value::as_object_mut)
        {
            result.insert("dataTotalCount".into(), page.total.into());
        }
        body
    }

    fn page(&self, operation_id: &str, input: &Input) -> Option<Page> {
        let query = |name: &str, default: i64| input.query_i64(name).unwrap_or(default);
        let body = |name: &str, default: i64| {
            input
                .body
                .as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_i64)
                .unwrap_or(default)
        };
        let (list, size, start, total) = match operation_id {
            "getItemsInfo" => {
                let per_page = query("per_page", 25);
                let start = (query("page", 1) - 1).saturating_mul(per_page);
                ("/resources", per_page, start, self.items)
            }
            "getChatsV2" => (
                "/chats",
                query("limit", 100),
                query("offset", 0),
                self.chats(input),
            ),
            "getMessagesV3" => ("", query("limit", 100), query("offset", 0), self.messages),
            // `limit` may be null: the page is then the documented maximum.
            "itemAnalytics" => (
                "/result/groupings",
                body("limit", 1000),
                body("offset", 0),
                self.groupings,
            ),
            _ => return None,
        };
        let (size, start) = (u64::try_from(size).ok()?, u64::try_from(start).ok()?);
        Some(Page {
            list,
            start,
            len: total.saturating_sub(start).min(size),
            total,
        })
    }

    /// How many chats a `getChatsV2` request lists in all.
    fn chats(&self, input: &Input) -> u64 {
        if let Some(Value::Array(ids)) = input.query.get("item_ids")
            && !ids.is_empty()
        {
            return (ids.len() as u64).saturating_mul(self.chats_per_item);
        }
        let types: Vec<&str> = match input.query.get("chat_types") {
            Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
            _ => vec!["u2i"],
        };
        [
            ("u2i", self.u2i_chats),
            ("u2u", self.u2u_chats),
            ("a2u", self.a2u_chats),
        ]
        .iter()
        .filter(|(t, _)| types.contains(t))
        .map(|(_, n)| n)
        .sum()
    }
}

/// The value at `pointer`, made where the answer has no object on the way (a `result` left
/// out or null). `None` where something else stands in the way.
fn slot<'a>(body: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut at = body;
    for key in pointer.split('/').skip(1) {
        if at.is_null() {
            *at = Value::Object(Map::new());
        }
        at = at
            .as_object_mut()?
            .entry(key.to_owned())
            .or_insert(Value::Null);
    }
    Some(at)
}

/// An example element of the list at `pointer` in the 200 schema of `operation_id`.
fn item_example(spec: &OpenApi, operation_id: &str, pointer: &str) -> Option<Value> {
    let op = spec.operation(operation_id)?;
    let mut schema = spec.resolve(ok_schema(&op)?);
    for key in pointer.split('/').skip(1) {
        schema = spec.resolve(schema.get("properties")?.get(key)?);
    }
    Some(schema_example(spec, schema.get("items")?))
}
