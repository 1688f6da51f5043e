//! Reading exported workbooks back with calamine (an independent reader) and checking them
//! against the Avito emulator's dataset.

#![allow(dead_code)] // each export test binary uses a different part of this module

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use sandbox::avito::data::{AccountData, Chat};

pub const CHAT_HEADERS_EN: [&str; 10] = [
    "Chat ID",
    "Item ID",
    "Item",
    "Item URL",
    "Counterparty",
    "Counterparty profile",
    "Created",
    "Updated",
    "Messages",
    "Last message",
];
pub const MESSAGE_HEADERS_EN: [&str; 8] = [
    "Chat ID",
    "Item",
    "Time",
    "Direction",
    "Author",
    "Type",
    "Text",
    "Read",
];
/// The newest messages of a chat the API pages to.
pub const MESSAGES_CEILING: usize = 1_100;

/// One workbook's two sheets, header row included.
pub struct Book {
    pub chats: Vec<Vec<Data>>,
    pub messages: Vec<Vec<Data>>,
}

/// Reads `path` with sheets named `chats` and `messages`.
pub fn read(path: &Path, chats: &str, messages: &str) -> Book {
    let mut wb: Xlsx<_> =
        open_workbook(path).unwrap_or_else(|e| panic!("{} opens as xlsx: {e}", path.display()));
    let mut rows = |name: &str| -> Vec<Vec<Data>> {
        wb.worksheet_range(name)
            .unwrap_or_else(|e| panic!("sheet {name:?} in {}: {e}", path.display()))
            .rows()
            .map(<[Data]>::to_vec)
            .collect()
    };
    Book {
        chats: rows(chats),
        messages: rows(messages),
    }
}

pub fn read_en(path: &Path) -> Book {
    read(path, "Chats", "Messages")
}

pub fn headers(rows: &[Vec<Data>]) -> Vec<String> {
    rows.first()
        .expect("a header row")
        .iter()
        .map(|d| d.to_string())
        .collect()
}

pub fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, got {other:?}"),
    }
}

pub fn date(d: &Data) -> f64 {
    match d {
        Data::DateTime(t) => t.as_f64(),
        other => panic!("expected an Excel date, got {other:?}"),
    }
}

/// Unix seconds as the Excel serial of the local time in `tz`, computed independently of the
/// exporter.
pub fn excel_local(unix: i64, tz: Tz) -> f64 {
    let utc = DateTime::from_timestamp(unix, 0).expect("valid time");
    let offset = tz
        .offset_from_utc_datetime(&utc.naive_utc())
        .fix()
        .local_minus_utc();
    (unix + i64::from(offset)) as f64 / 86_400.0 + 25_569.0
}

/// Checks that `books` (the parts of one export, in order) hold exactly `expected` chats of
/// `account`, each once with all of its readable messages, and returns the message types seen.
pub fn assert_complete(
    books: &[Book],
    account: &AccountData,
    expected: &[&Chat],
    tz: Tz,
) -> BTreeSet<String> {
    for b in books {
        assert_eq!(headers(&b.chats), CHAT_HEADERS_EN);
        assert_eq!(headers(&b.messages), MESSAGE_HEADERS_EN);
    }
    let mut chat_rows: HashMap<String, &Vec<Data>> = HashMap::new();
    let mut messages: HashMap<String, Vec<&Vec<Data>>> = HashMap::new();
    for b in books {
        for row in &b.chats[1..] {
            let id = text(&row[0]);
            assert!(
                chat_rows.insert(id.clone(), row).is_none(),
                "chat {id} twice"
            );
        }
        for row in &b.messages[1..] {
            messages.entry(text(&row[0])).or_default().push(row);
        }
    }
    let want: BTreeSet<&str> = expected.iter().map(|c| c.id.as_str()).collect();
    let got: BTreeSet<&str> = chat_rows.keys().map(String::as_str).collect();
    assert_eq!(got.len(), want.len(), "number of chats");
    assert_eq!(got, want, "the chats exported");
    let mut kinds = BTreeSet::new();
    for chat in expected {
        let row = chat_rows[chat.id.as_str()];
        let readable = chat.message_count.min(MESSAGES_CEILING);
        match &chat.item {
            Some(item) => {
                assert_eq!(
                    row[1],
                    Data::Float(item.id as f64),
                    "item id of {}",
                    chat.id
                );
                assert_eq!(text(&row[2]), item.title);
                assert_eq!(text(&row[3]), item.url);
            }
            None => assert_eq!(row[1], Data::Empty, "a u2u chat has no item"),
        }
        assert_eq!(text(&row[4]), chat.buyer_name);
        assert!(text(&row[5]).contains(&chat.buyer_id.to_string()));
        assert!((date(&row[6]) - excel_local(chat.created, tz)).abs() < 1e-6);
        assert!((date(&row[7]) - excel_local(chat.updated, tz)).abs() < 1e-6);
        assert_eq!(row[8], Data::Float(readable as f64), "count of {}", chat.id);
        let rows = messages
            .get(chat.id.as_str())
            .unwrap_or_else(|| panic!("no messages of chat {}", chat.id));
        assert_eq!(rows.len(), readable, "messages of chat {}", chat.id);
        // The API reaches the newest messages; the sheet lists them oldest first.
        let all = chat.messages();
        let wanted = &all[all.len() - readable..];
        for (row, m) in rows.iter().zip(wanted) {
            assert!(
                (date(&row[2]) - excel_local(m.created, tz)).abs() < 1e-6,
                "time of a message in {}",
                chat.id
            );
            assert_eq!(text(&row[3]), m.direction.as_str());
            assert_eq!(text(&row[5]), m.kind.as_str());
            assert_eq!(row[7], Data::Bool(m.is_read));
            if let Some(item) = &chat.item {
                assert_eq!(text(&row[1]), item.title);
            }
            let shown = text(&row[6]);
            match m.kind.as_str() {
                "text" => assert!(shown.ends_with(m.content["text"].as_str().unwrap_or("?"))),
                "call" => assert!(shown.contains("Missed call"), "{shown}"),
                "image" => assert!(shown.starts_with("[Image] https://"), "{shown}"),
                "link" => assert!(shown.contains("https://example.ru/page/"), "{shown}"),
                "item" => assert!(shown.starts_with("[Item] "), "{shown}"),
                "location" => assert!(shown.contains("Тверская улица"), "{shown}"),
                "voice" => assert!(shown.starts_with("[Voice message] "), "{shown}"),
                "deleted" => assert_eq!(shown, "[Message deleted]"),
                "system" => assert!(shown.starts_with("[System] "), "{shown}"),
                other => panic!("unexpected type {other}"),
            }
            let author = text(&row[4]);
            match (m.kind.as_str(), m.direction.as_str()) {
                ("system", _) => assert_eq!(author, "Avito (system)"),
                (_, "in") => assert_eq!(author, chat.buyer_name),
                _ => assert_eq!(author, format!("{} (you)", account.spec.name)),
            }
            kinds.insert(m.kind.as_str().to_owned());
        }
    }
    let total: usize = books.iter().map(|b| b.messages.len() - 1).sum();
    let want_total: usize = expected
        .iter()
        .map(|c| c.message_count.min(MESSAGES_CEILING))
        .sum();
    assert_eq!(total, want_total, "every message once");
    kinds
}
