//! Avito Messenger reads.

use serde_json::Value;

use super::json::{parse, parse_list, segment, take_list};
use crate::avito::client::Account;
use crate::avito::error::AvitoResult;
use crate::avito::model::{Chat, ChatType, Message, Paged};
use crate::avito::operation::Operation;
use crate::avito::transport::Request;
use crate::domain::AccountId;

/// Page size and offset ceiling of the Messenger listings.
pub const MESSENGER_PAGE: usize = 100;
pub const MESSENGER_MAX_OFFSET: usize = 1000;

/// The first page of a listing that stops at `updated_since`: a check every few minutes
/// usually needs a handful of recent chats, and a full page of chats with their last messages
/// is some 200 KB to read.
const FIRST_PAGE_SINCE: usize = 20;

/// How many chats to ask for at `offset`: a short first page when the listing stops at a
/// time, then what brings the offsets back to whole pages, then whole pages (so the pages
/// reach the same ceiling as whole pages from the start).
fn page_limit(offset: usize, stops_at_a_time: bool) -> usize {
    match offset % MESSENGER_PAGE {
        0 if offset == 0 && stops_at_a_time => FIRST_PAGE_SINCE,
        0 => MESSENGER_PAGE,
        into => MESSENGER_PAGE - into,
    }
}

/// Which chats to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatsQuery {
    pub item_ids: Vec<i64>,
    pub unread_only: bool,
    /// Empty means the API's default (u2i).
    pub chat_types: Vec<ChatType>,
    /// Stop paging after a page whose last chat was updated before this (unix seconds): the
    /// API lists the most recently updated first, so older chats are not needed.
    pub updated_since: Option<i64>,
}

impl Account {
    /// `GET /messenger/v2/accounts/{user_id}/chats`: every chat the API pages to (≈1,100 at
    /// most: offsets stop at 1000). `truncated` says the ceiling was reached.
    pub async fn chats(&self, user_id: AccountId, query: &ChatsQuery) -> AvitoResult<Paged<Chat>> {
        let op = Operation::GetChatsV2;
        let mut chats = Vec::new();
        let mut offset = 0;
        loop {
            let limit = page_limit(offset, query.updated_since.is_some());
            let mut req = Request::get(op, format!("/messenger/v2/accounts/{user_id}/chats"))
                .query("limit", limit)
                .query("offset", offset);
            if !query.item_ids.is_empty() {
                let ids: Vec<String> = query.item_ids.iter().map(i64::to_string).collect();
                req = req.query("item_ids", ids.join(","));
            }
            if query.unread_only {
                req = req.query("unread_only", "true");
            }
            if !query.chat_types.is_empty() {
                let types: Vec<&str> = query.chat_types.iter().map(|t| t.as_query()).collect();
                req = req.query("chat_types", types.join(","));
            }
            let value = self.call(req).await?;
            let (batch, came): (Vec<Chat>, usize) = take_list(op, value, "/chats");
            // Paging follows what came, not what could be read.
            let full = came >= limit;
            // Chats come most recently updated first: past `updated_since`, the rest is older.
            let older = query.updated_since.is_some_and(|since| {
                batch
                    .last()
                    .and_then(|c| {
                        c.updated
                            .or(c.last_message.as_ref().and_then(|m| m.created))
                    })
                    .is_some_and(|at| at < since)
            });
            chats.extend(batch);
            if !full || older {
                return Ok(Paged {
                    items: chats,
                    truncated: false,
                });
            }
            if offset + limit > MESSENGER_MAX_OFFSET {
                return Ok(Paged {
                    items: chats,
                    truncated: true,
                });
            }
            offset += limit;
        }
    }

    /// `GET /messenger/v2/accounts/{user_id}/chats/{chat_id}`.
    pub async fn chat(&self, user_id: AccountId, chat_id: &str) -> AvitoResult<Chat> {
        let op = Operation::GetChatByIdV2;
        let value = self
            .call(Request::get(
                op,
                format!(
                    "/messenger/v2/accounts/{user_id}/chats/{}",
                    segment(chat_id)
                ),
            ))
            .await?;
        parse(op, &value)
    }

    /// `GET /messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/`: every message the API
    /// pages to. Accepts the spec's bare array and a `{messages: [...]}` wrapper.
    pub async fn messages(&self, user_id: AccountId, chat_id: &str) -> AvitoResult<Paged<Message>> {
        let op = Operation::GetMessagesV3;
        let mut messages = Vec::new();
        let mut offset = 0;
        loop {
            let value = self
                .call(
                    Request::get(
                        op,
                        format!(
                            "/messenger/v3/accounts/{user_id}/chats/{}/messages/",
                            segment(chat_id)
                        ),
                    )
                    .query("limit", MESSENGER_PAGE)
                    .query("offset", offset),
                )
                .await?;
            let list = match value.as_ref() {
                Value::Object(map) => map.get("messages").unwrap_or(&Value::Null),
                other => other,
            };
            let full = list.as_array().map_or(0, Vec::len) >= MESSENGER_PAGE;
            let batch: Vec<Message> = parse_list(op, list);
            messages.extend(batch);
            if !full {
                return Ok(Paged {
                    items: messages,
                    truncated: false,
                });
            }
            if offset + MESSENGER_PAGE > MESSENGER_MAX_OFFSET {
                return Ok(Paged {
                    items: messages,
                    truncated: true,
                });
            }
            offset += MESSENGER_PAGE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets asked, page after full page: a listing that stops at a time starts short,
    /// then realigns; both reach the same last offset.
    #[test]
    fn a_listing_since_a_time_starts_with_a_short_page_and_realigns() {
        let offsets = |since: bool| {
            let mut offsets = vec![0];
            while let Some(&at) = offsets.last() {
                let next = at + page_limit(at, since);
                if next > MESSENGER_MAX_OFFSET {
                    break;
                }
                offsets.push(next);
            }
            offsets
        };
        let whole = offsets(false);
        let since = offsets(true);
        assert_eq!(whole[..3], [0, 100, 200]);
        assert_eq!(since[..4], [0, 20, 100, 200]);
        assert_eq!(whole.last(), since.last());
        assert_eq!(since.len(), whole.len() + 1);
        assert_eq!(page_limit(0, true), 20);
        assert_eq!(page_limit(20, true), 80);
        assert_eq!(page_limit(300, true), 100);
    }
}
