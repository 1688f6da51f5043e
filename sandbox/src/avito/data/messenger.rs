//! Chats and messages. A chat header is generated at start; its messages are a pure function of
//! (chat key, index), so thousands of chats with many messages cost nothing until read.

use serde_json::{Value, json};

use super::catalog::{Item, ItemStatus};
use crate::avito::rng::{SplitMix64, mix};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatType {
    /// About an item.
    U2i,
    /// Between users, no item.
    U2u,
}

impl ChatType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatType::U2i => "u2i",
            ChatType::U2u => "u2u",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Text,
    Image,
    Link,
    Item,
    Location,
    Call,
    Deleted,
    Voice,
    System,
}

impl MessageType {
    pub const ALL: [MessageType; 9] = [
        MessageType::Text,
        MessageType::Image,
        MessageType::Link,
        MessageType::Item,
        MessageType::Location,
        MessageType::Call,
        MessageType::Deleted,
        MessageType::Voice,
        MessageType::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Text => "text",
            MessageType::Image => "image",
            MessageType::Link => "link",
            MessageType::Item => "item",
            MessageType::Location => "location",
            MessageType::Call => "call",
            MessageType::Deleted => "deleted",
            MessageType::Voice => "voice",
            MessageType::System => "system",
        }
    }
}

/// The item a u2i chat is about, as the chat context shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatItem {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub price_string: String,
    pub status_id: i64,
}

/// A chat header.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    pub id: String,
    pub chat_type: ChatType,
    pub item: Option<ChatItem>,
    pub seller_id: i64,
    pub seller_name: String,
    pub buyer_id: i64,
    pub buyer_name: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds of the last message.
    pub updated: i64,
    pub message_count: usize,
    /// The last message is incoming and unread.
    pub unread: bool,
    gap: i64,
    key: u64,
}

/// One message, already in wire terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub author_id: i64,
    pub created: i64,
    pub direction: Direction,
    pub kind: MessageType,
    pub is_read: bool,
    pub read: Option<i64>,
    /// `MessageContent`.
    pub content: Value,
    /// `MessageQuote`, when the message replies to the previous one.
    pub quote: Option<Value>,
}

impl Message {
    /// The `Messages` array element.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "author_id": self.author_id,
            "created": self.created,
            "direction": self.direction.as_str(),
            "type": self.kind.as_str(),
            "is_read": self.is_read,
            "read": self.read,
            "content": self.content,
        });
        if let (Some(q), Some(obj)) = (&self.quote, v.as_object_mut()) {
            obj.insert("quote".into(), q.clone());
        }
        v
    }

    /// `Chat.last_message`.
    pub fn to_last_message_json(&self) -> Value {
        json!({
            "id": self.id,
            "author_id": self.author_id,
            "created": self.created,
            "direction": self.direction.as_str(),
            "type": self.kind.as_str(),
            "content": self.content,
        })
    }
}

const BUYERS: &[&str] = &[
    "Алексей",
    "Мария",
    "Дмитрий",
    "Ольга",
    "Сергей",
    "Екатерина",
    "Никита",
    "Татьяна",
];
const ASKS: &[&str] = &[
    "Здравствуйте! Ещё актуально?",
    "Какой минимальный торг?",
    "Можно посмотреть сегодня вечером?",
    "Есть доставка?",
    "Пришлите, пожалуйста, ещё фото",
];
const ANSWERS: &[&str] = &[
    "Добрый день, да, актуально",
    "Торг уместен",
    "Можно после 19:00",
    "Доставка через Авито",
    "Отправил фото",
];

pub(super) fn chat(
    key: u64,
    seller: (i64, &str),
    i: usize,
    items: &[Item],
    per_chat: usize,
    epoch: i64,
) -> Chat {
    let mut r = SplitMix64::at(&[key, 3, i as u64]);
    let chat_type = if items.is_empty() || r.chance(0.15) {
        ChatType::U2u
    } else {
        ChatType::U2i
    };
    let item = match chat_type {
        ChatType::U2u => None,
        ChatType::U2i => {
            let it = r.pick(items);
            Some(ChatItem {
                id: it.id,
                title: it.title.clone(),
                url: it
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("https://www.avito.ru/{}", it.id)),
                price_string: it
                    .price
                    .map_or_else(|| "Цена не указана".to_owned(), |p| format!("{p} ₽")),
                status_id: if it.status == ItemStatus::Active {
                    1
                } else {
                    2
                },
            })
        }
    };
    let message_count = (per_chat / 2 + r.below(per_chat as u64 + 1) as usize).max(1);
    let gap = r.range(60, 7_200);
    let end = epoch - r.range(60, 400 * 86_400);
    let created = end - gap * message_count as i64;
    let unread = r.chance(0.15);
    let id = format!(
        "{}~{:011x}{:05x}",
        chat_type.as_str(),
        r.next_u64() >> 20,
        i
    );
    let mut c = Chat {
        id,
        chat_type,
        item,
        seller_id: seller.0,
        seller_name: seller.1.to_owned(),
        buyer_id: 100_000_000 + r.below(1_900_000_000) as i64,
        buyer_name: (*r.pick(BUYERS)).to_owned(),
        created,
        updated: created,
        message_count,
        unread,
        gap,
        key: mix(&[key, 4, i as u64]),
    };
    c.updated = c.message(message_count - 1).created;
    c
}

impl Chat {
    /// Message `i` (0 = oldest). Indexes past the end are clamped to the last message.
    pub fn message(&self, i: usize) -> Message {
        self.build(i.min(self.message_count.saturating_sub(1)), true)
    }

    /// `with_quote` is false for the quoted message itself, so quotes never chain.
    fn build(&self, i: usize, with_quote: bool) -> Message {
        let mut r = SplitMix64::at(&[self.key, i as u64]);
        let created = self.created + self.gap * i as i64 + r.below(self.gap as u64 / 2) as i64;
        let last = i + 1 == self.message_count;
        let pending = last && self.unread;
        let mut kind = MessageType::ALL[r.weighted(&[60, 6, 5, 5, 4, 5, 4, 5, 6])];
        if pending {
            kind = MessageType::Text;
        }
        let direction = if pending || i == 0 || kind == MessageType::System || r.chance(0.5) {
            Direction::In
        } else {
            Direction::Out
        };
        let author_id = match (kind, direction) {
            (MessageType::System, _) => 0,
            (_, Direction::In) => self.buyer_id,
            (_, Direction::Out) => self.seller_id,
        };
        let content = self.content(kind, direction, &mut r);
        // Always draw, so a message is identical whether or not it is built as a quote.
        let quoting = r.chance(0.05);
        let quote = (with_quote && quoting && kind == MessageType::Text && i > 0).then(|| {
            let q = self.build(i - 1, false);
            json!({"id": q.id, "author_id": q.author_id, "created": q.created, "type": q.kind.as_str(), "content": q.content})
        });
        Message {
            id: format!("{:016x}", mix(&[self.key, 5, i as u64])),
            author_id,
            created,
            direction,
            kind,
            is_read: !pending,
            read: (!pending).then(|| created + r.range(5, 3_600)),
            content,
            quote,
        }
    }

    /// All messages, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        (0..self.message_count).map(|i| self.message(i)).collect()
    }

    pub fn last_message(&self) -> Message {
        self.message(self.message_count.saturating_sub(1))
    }

    fn content(&self, kind: MessageType, direction: Direction, r: &mut SplitMix64) -> Value {
        let img = |n: u64| format!("https://static.avito.example/image/{:x}", n);
        match kind {
            MessageType::Text => {
                let pool = if direction == Direction::In {
                    ASKS
                } else {
                    ANSWERS
                };
                json!({"text": r.pick(pool)})
            }
            MessageType::Image => {
                let n = r.next_u64();
                json!({"image": {"sizes": {"140x105": img(n), "640x480": img(n + 1), "1280x960": img(n + 2)}}})
            }
            MessageType::Link => {
                let url = format!("https://example.ru/page/{}", r.below(1000));
                json!({"link": {"text": url, "url": url, "preview": {"domain": "example.ru", "url": url, "images": null}}})
            }
            MessageType::Item => match &self.item {
                Some(it) => {
                    json!({"item": {"title": it.title, "item_url": it.url, "image_url": img(it.id as u64), "price_string": it.price_string}})
                }
                None => {
                    json!({"item": {"title": "Товар", "item_url": "https://www.avito.ru/1", "image_url": img(1), "price_string": null}})
                }
            },
            MessageType::Location => json!({"location": {
                "lat": 55.70 + r.unit() * 0.1, "lon": 37.55 + r.unit() * 0.1, "kind": "street",
                "text": "Москва, ул. Тверская", "title": "Тверская улица"}}),
            MessageType::Call => {
                json!({"call": {"status": "missed", "target_user_id": self.seller_id}})
            }
            // The spec: appCall/file/video/deleted content comes back as an empty object.
            MessageType::Deleted => json!({}),
            MessageType::Voice => json!({"voice": {"voice_id": format!("{:x}", r.next_u64())}}),
            MessageType::System => {
                json!({"text": "Покупатель оформил заказ с Авито Доставкой", "flow_id": "delivery"})
            }
        }
    }
}
