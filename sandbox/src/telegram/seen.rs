//! What a user sees in a chat: the typed view tests assert on.

use serde::{Deserialize, Serialize};
use teloxide::types::{InlineKeyboardButtonKind, InlineKeyboardMarkup};

use super::state::{Author, Store, StoredMessage};

/// A message as it currently appears in a chat (edits applied; deleted messages are absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenMessage {
    pub message_id: i32,
    pub chat_id: i64,
    /// Sent by the bot (as opposed to a user or a channel).
    pub from_bot: bool,
    /// Id of the user who wrote it, for user messages.
    pub from_user: Option<i64>,
    /// The text as displayed: markup stripped, HTML entities decoded. `None` for documents
    /// and photos (their caption is theirs).
    pub text: Option<String>,
    /// The text exactly as the bot sent it, markup included, when a parse mode was used.
    pub raw_text: Option<String>,
    pub parse_mode: Option<String>,
    /// Inline keyboard rows.
    pub buttons: Vec<Vec<SeenButton>>,
    pub document: Option<SeenDocument>,
    /// A photo message's picture.
    #[serde(default)]
    pub photo: Option<SeenPhoto>,
    /// Shared by the messages of one media group (`sendMediaGroup`).
    #[serde(default)]
    pub media_group_id: Option<String>,
    /// The channel a forwarded message came from.
    pub forwarded_from_channel: Option<i64>,
    pub edited: bool,
    pub edit_count: u32,
    /// When it was sent, on this process's clock (a benchmark reads how its messages went).
    #[serde(skip)]
    pub sent_at: Option<std::time::Instant>,
}

impl SeenMessage {
    /// All buttons in reading order.
    pub fn all_buttons(&self) -> impl Iterator<Item = &SeenButton> {
        self.buttons.iter().flatten()
    }

    /// The first button whose label contains `label`.
    pub fn button(&self, label: &str) -> Option<&SeenButton> {
        self.all_buttons().find(|b| b.text.contains(label))
    }

    /// The displayed text, or the document caption, or "".
    pub fn text_or_caption(&self) -> &str {
        self.text
            .as_deref()
            .or_else(|| self.document.as_ref().and_then(|d| d.caption.as_deref()))
            .or_else(|| self.photo.as_ref().and_then(|p| p.caption.as_deref()))
            .unwrap_or("")
    }
}

/// One inline keyboard button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenButton {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

/// A document attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenDocument {
    pub file_id: String,
    pub file_name: Option<String>,
    pub mime_type: String,
    pub size: usize,
    pub caption: Option<String>,
    /// The file's content. Not in the HTTP driver's JSON: download it from
    /// `/_driver/files/{file_id}` instead.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// A photo attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenPhoto {
    pub file_id: String,
    /// The name it was uploaded under (Telegram itself does not keep one for photos).
    pub file_name: Option<String>,
    pub width: u32,
    pub height: u32,
    pub size: usize,
    pub caption: Option<String>,
    /// The picture's bytes (PNG). Not in the HTTP driver's JSON: download it from
    /// `/_driver/files/{file_id}` instead.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

pub(crate) fn buttons(markup: Option<&InlineKeyboardMarkup>) -> Vec<Vec<SeenButton>> {
    let Some(markup) = markup else {
        return Vec::new();
    };
    markup
        .inline_keyboard
        .iter()
        .map(|row| {
            row.iter()
                .map(|button| SeenButton {
                    text: button.text.clone(),
                    callback_data: match &button.kind {
                        InlineKeyboardButtonKind::CallbackData(data) => Some(data.clone()),
                        _ => None,
                    },
                    url: match &button.kind {
                        InlineKeyboardButtonKind::Url(url) => Some(url.to_string()),
                        _ => None,
                    },
                })
                .collect()
        })
        .collect()
}

pub(crate) fn seen(store: &Store, message: &StoredMessage) -> SeenMessage {
    let document = message.document.as_ref().map(|file_id| {
        let file = store.files.get(file_id);
        SeenDocument {
            file_id: file_id.clone(),
            file_name: file.and_then(|f| f.file_name.clone()),
            mime_type: file.map(|f| f.mime_type.clone()).unwrap_or_default(),
            size: file.map(|f| f.bytes.len()).unwrap_or(0),
            caption: message.text.clone(),
            bytes: file.map(|f| f.bytes.to_vec()).unwrap_or_default(),
        }
    });
    let photo = message.photo.as_ref().map(|p| {
        let file = store.files.get(&p.file_id);
        SeenPhoto {
            file_id: p.file_id.clone(),
            file_name: file.and_then(|f| f.file_name.clone()),
            width: p.width,
            height: p.height,
            size: file.map(|f| f.bytes.len()).unwrap_or(0),
            caption: message.text.clone(),
            bytes: file.map(|f| f.bytes.to_vec()).unwrap_or_default(),
        }
    });
    SeenMessage {
        message_id: message.message_id,
        chat_id: message.chat_id,
        from_bot: message.author == Author::Bot,
        from_user: match message.author {
            Author::User(id) => Some(id),
            _ => None,
        },
        text: if document.is_some() || photo.is_some() {
            None
        } else {
            message.text.clone()
        },
        raw_text: message.raw_text.clone(),
        parse_mode: message.parse_mode.clone(),
        buttons: buttons(message.reply_markup.as_ref()),
        document,
        photo,
        media_group_id: message.media_group_id.clone(),
        forwarded_from_channel: message.forwarded_from.map(|f| f.channel_id),
        edited: message.edit_count > 0,
        edit_count: message.edit_count,
        sent_at: Some(message.sent_at),
    }
}
