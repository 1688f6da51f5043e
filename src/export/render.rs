//! Chats and messages as workbook rows: readable text for every message type, authors by name,
//! times as Excel dates in the profile's time zone.

use chrono::DateTime;
use chrono_tz::Tz;
use serde_json::Value;

use super::texts::{X, x, xf};
use crate::avito::model::{Chat, Message, MessageContent};
use crate::domain::{AccountId, clock};
use crate::i18n::Lang;

/// Excel keeps at most this many characters in a cell; longer texts are cut (with a mark).
pub const MAX_CELL_CHARS: usize = 32_767;

/// What rendering needs to know about the export.
#[derive(Debug, Clone, Copy)]
pub struct RenderCtx {
    pub lang: Lang,
    pub tz: Tz,
    /// The account's own Avito user id: its messages are "out", its name is "you".
    pub self_id: AccountId,
}

/// A chat as one row of the Chats sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRow<'a> {
    pub chat_id: &'a str,
    pub item_id: Option<i64>,
    pub item_title: Option<&'a str>,
    pub item_url: Option<&'a str>,
    pub counterparty: Option<&'a str>,
    pub counterparty_url: Option<&'a str>,
    pub created: Option<f64>,
    pub updated: Option<f64>,
    pub message_count: u64,
    pub last_message: String,
}

/// A message as one row of the Messages sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow<'a> {
    pub chat_id: &'a str,
    pub item_title: Option<&'a str>,
    pub time: Option<f64>,
    pub direction: Option<&'static str>,
    pub author: String,
    pub kind: &'a str,
    pub text: String,
    pub read: Option<bool>,
}

/// Unix seconds as an Excel serial date-time, in `tz` (Excel dates have no zone); `None` for
/// a time Avito cannot mean (before it existed, or in the future), left blank in the sheet.
pub fn excel_time(unix: i64, tz: Tz) -> Option<f64> {
    if !crate::avito::plausible::unix_time(unix, clock::now()) {
        return None;
    }
    let local = DateTime::from_timestamp(unix, 0)?
        .with_timezone(&tz)
        .naive_local();
    // 25569 = 1970-01-01 in Excel's 1900 date system.
    Some(local.and_utc().timestamp() as f64 / 86_400.0 + 25_569.0)
}

fn item_of(chat: &Chat) -> Option<&crate::avito::model::ChatItemContext> {
    chat.context.as_ref().and_then(|c| c.value.as_ref())
}

/// The chat row; `message_count` is what was exported.
pub fn chat_row<'a>(ctx: &RenderCtx, chat: &'a Chat, message_count: u64) -> ChatRow<'a> {
    let item = item_of(chat);
    let other = chat.users.iter().find(|u| u.id != Some(ctx.self_id));
    ChatRow {
        chat_id: &chat.id,
        item_id: item.and_then(|i| i.id),
        item_title: item.and_then(|i| i.title.as_deref()),
        item_url: item.and_then(|i| i.url.as_deref()),
        counterparty: other.and_then(|u| u.name.as_deref()),
        counterparty_url: other
            .and_then(|u| u.public_user_profile.as_ref())
            .and_then(|p| p.url.as_deref()),
        created: chat.created.and_then(|t| excel_time(t, ctx.tz)),
        updated: chat.updated.and_then(|t| excel_time(t, ctx.tz)),
        message_count,
        last_message: chat
            .last_message
            .as_ref()
            .map(|m| clip(message_text(ctx.lang, m)))
            .unwrap_or_default(),
    }
}

/// The message row.
pub fn message_row<'a>(ctx: &RenderCtx, chat: &'a Chat, m: &'a Message) -> MessageRow<'a> {
    MessageRow {
        chat_id: &chat.id,
        item_title: item_of(chat).and_then(|i| i.title.as_deref()),
        time: m.created.and_then(|t| excel_time(t, ctx.tz)),
        direction: match m.direction.as_deref() {
            Some("in") => Some(x(ctx.lang, X::DirIn)),
            Some("out") => Some(x(ctx.lang, X::DirOut)),
            _ => None,
        },
        author: author(ctx, chat, m),
        kind: m.kind.as_deref().unwrap_or(""),
        text: clip(message_text(ctx.lang, m)),
        read: m.is_read,
    }
}

fn author(ctx: &RenderCtx, chat: &Chat, m: &Message) -> String {
    let id = m.author_id.unwrap_or(AccountId(0));
    if id == AccountId(0) || m.kind.as_deref() == Some("system") {
        return x(ctx.lang, X::AuthorSystem).to_owned();
    }
    let name = chat
        .users
        .iter()
        .find(|u| u.id == Some(id))
        .and_then(|u| u.name.clone())
        .unwrap_or_else(|| id.to_string());
    if id == ctx.self_id {
        xf(ctx.lang, X::AuthorMe, &[("name", &name)])
    } else {
        name
    }
}

fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Non-empty parts joined with `sep`.
fn join(parts: &[Option<&str>], sep: &str) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

/// The largest image of `{sizes: {"WxH": url}}`.
fn largest_image(image: &Value) -> Option<&str> {
    let sizes = image.get("sizes")?.as_object()?;
    sizes
        .iter()
        .filter_map(|(k, v)| {
            let (w, h) = k.split_once('x')?;
            let area = w.parse::<u64>().ok()? * h.parse::<u64>().ok()?;
            Some((area, v.as_str()?))
        })
        .max_by_key(|(area, _)| *area)
        .map(|(_, url)| url)
}

/// A message's content as readable text, whatever its type.
pub fn message_text(lang: Lang, m: &Message) -> String {
    let empty = MessageContent::default();
    let c = m.content.as_ref().unwrap_or(&empty);
    let kind = m.kind.as_deref().unwrap_or("");
    let body = content_text(lang, kind, c);
    match m.quote.as_ref().and_then(quote_text) {
        Some(q) => format!("{}\n{body}", xf(lang, X::MsgQuote, &[("text", &q)])),
        None => body,
    }
}

fn content_text(lang: Lang, kind: &str, c: &MessageContent) -> String {
    let null = Value::Null;
    match kind {
        "text" => c.text.clone().unwrap_or_default(),
        "image" => xf(
            lang,
            X::MsgImage,
            &[(
                "url",
                c.image.as_ref().and_then(largest_image).unwrap_or(""),
            )],
        ),
        "link" => link_text(lang, c.link.as_ref().unwrap_or(&null)),
        "item" => item_text(lang, c.item.as_ref().unwrap_or(&null)),
        "location" => location_text(lang, c.location.as_ref().unwrap_or(&null)),
        "call" => {
            let status = c.call.as_ref().and_then(|v| s(v, "status"));
            match status {
                Some("missed") | None => x(lang, X::MsgCallMissed).to_owned(),
                Some(other) => xf(lang, X::MsgCall, &[("status", other)]),
            }
        }
        "voice" => xf(
            lang,
            X::MsgVoice,
            &[(
                "id",
                c.voice
                    .as_ref()
                    .and_then(|v| s(v, "voice_id"))
                    .unwrap_or(""),
            )],
        ),
        "deleted" => x(lang, X::MsgDeleted).to_owned(),
        "system" => xf(
            lang,
            X::MsgSystem,
            &[("text", c.text.as_deref().unwrap_or(""))],
        ),
        // appCall, file, video (the API sends `{}` for them) and types added later: the text
        // when there is one, else say what it was.
        other => match c.text.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => t.to_owned(),
            None => xf(
                lang,
                X::MsgUnsupported,
                &[("kind", if other.is_empty() { "?" } else { other })],
            ),
        },
    }
}

fn link_text(lang: Lang, l: &Value) -> String {
    let (text, url) = (s(l, "text"), s(l, "url"));
    let shown = if text == url {
        join(&[url], "")
    } else {
        join(&[text, url], " — ")
    };
    xf(lang, X::MsgLink, &[("text", &shown)])
}

fn item_text(lang: Lang, i: &Value) -> String {
    let head = join(&[s(i, "title"), s(i, "price_string")], ", ");
    let shown = join(
        &[
            Some(head.as_str()).filter(|h| !h.is_empty()),
            s(i, "item_url"),
        ],
        " — ",
    );
    xf(lang, X::MsgItem, &[("text", &shown)])
}

fn location_text(lang: Lang, l: &Value) -> String {
    let coords = match (
        l.get("lat").and_then(Value::as_f64),
        l.get("lon").and_then(Value::as_f64),
    ) {
        (Some(lat), Some(lon)) => Some(format!("({lat:.6}, {lon:.6})")),
        _ => None,
    };
    let shown = join(&[s(l, "title"), s(l, "text"), coords.as_deref()], ", ");
    xf(lang, X::MsgLocation, &[("text", &shown)])
}

/// A short form of the quoted message: its text, or its type.
fn quote_text(q: &Value) -> Option<String> {
    let text = q.pointer("/content/text").and_then(Value::as_str);
    let kind = q.get("type").and_then(Value::as_str);
    let shown: String = text.or(kind)?.chars().take(100).collect();
    Some(shown)
}

/// Cuts text to what an Excel cell holds.
pub fn clip(text: String) -> String {
    if text.len() <= MAX_CELL_CHARS || text.chars().count() <= MAX_CELL_CHARS {
        return text;
    }
    let mut out: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: &str, content: serde_json::Value) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": "m1", "author_id": 5, "created": 1_700_000_000, "direction": "in",
            "type": kind, "is_read": true, "content": content,
        }))
        .expect("message")
    }

    #[test]
    fn every_message_type_reads_as_text() {
        let en = Lang::En;
        let cases = [
            ("text", serde_json::json!({"text": "Hello"}), "Hello"),
            (
                "image",
                serde_json::json!({"image": {"sizes": {"140x105": "small", "1280x960": "big"}}}),
                "[Image] big",
            ),
            (
                "link",
                serde_json::json!({"link": {"text": "site", "url": "https://e.ru"}}),
                "[Link] site — https://e.ru",
            ),
            (
                "item",
                serde_json::json!({"item": {"title": "Sofa", "price_string": "100 ₽", "item_url": "https://a/1"}}),
                "[Item] Sofa, 100 ₽ — https://a/1",
            ),
            (
                "location",
                serde_json::json!({"location": {"title": "Tverskaya", "text": "Moscow", "lat": 55.7, "lon": 37.6}}),
                "[Location] Tverskaya, Moscow, (55.700000, 37.600000)",
            ),
            (
                "call",
                serde_json::json!({"call": {"status": "missed"}}),
                "[Missed call]",
            ),
            (
                "voice",
                serde_json::json!({"voice": {"voice_id": "v1"}}),
                "[Voice message] v1",
            ),
            ("deleted", serde_json::json!({}), "[Message deleted]"),
            (
                "system",
                serde_json::json!({"text": "Order placed"}),
                "[System] Order placed",
            ),
            (
                "file",
                serde_json::json!({}),
                "[file: the Avito API does not return its content]",
            ),
        ];
        for (kind, content, want) in cases {
            assert_eq!(message_text(en, &msg(kind, content)), want, "{kind}");
        }
    }

    #[test]
    fn excel_dates_are_local_to_the_time_zone() {
        // 2023-11-14 22:13:20 UTC = 2023-11-15 01:13:20 in Moscow.
        let moscow = excel_time(1_700_000_000, chrono_tz::Europe::Moscow).expect("date");
        let utc = excel_time(1_700_000_000, chrono_tz::UTC).expect("date");
        assert!((moscow - utc - 3.0 / 24.0).abs() < 1e-9);
        assert_eq!(utc.floor(), 45_244.0); // 2023-11-14
    }

    #[test]
    fn overlong_text_is_cut_to_an_excel_cell() {
        let long = "я".repeat(MAX_CELL_CHARS * 2);
        assert_eq!(clip(long).chars().count(), MAX_CELL_CHARS);
    }
}
