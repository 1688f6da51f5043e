//! The conversation as the user sees it, rendered as text: what the user typed and pressed,
//! what the bot sent, edited and deleted, in the order the demo observed it.
//!
//! The recorder keeps the last view of every chat it watches and turns each new view into
//! lines: new bot messages, edits (`Bot (edited):`), deletions, documents as
//! `📎 name.xlsx (123 KB)` and inline keyboards as `[ label ] [ label ]` rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;

use sandbox::telegram::{CallbackAnswer, SeenMessage};

use crate::domain::ChatId;

/// Continuation lines of a message are indented this much (the width of `Bot: `).
const INDENT: &str = "     ";

/// What the transcript shows instead of a secret the user typed.
pub const MASK: &str = "••••••••";

/// The recorded conversation. With `echo`, every line is also printed to stdout as it is
/// recorded, so the person running the demo watches it happen.
#[derive(Debug)]
pub struct Transcript {
    lines: Vec<String>,
    echo: bool,
    chats: HashMap<ChatId, ChatView>,
}

/// What the transcript has shown of one chat so far.
#[derive(Debug, Default)]
struct ChatView {
    /// `Some(title)` for a group; `None` for the private chat with the bot.
    title: Option<String>,
    /// Each message as last shown (documents without their bytes).
    shown: BTreeMap<i32, SeenMessage>,
    /// The user's own messages, as the transcript showed them (a secret masked).
    mine: BTreeMap<i32, String>,
    /// Messages already reported deleted.
    gone: BTreeSet<i32>,
}

impl Transcript {
    pub fn new(echo: bool) -> Self {
        Self {
            lines: Vec::new(),
            echo,
            chats: HashMap::new(),
        }
    }

    /// Every line so far.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The whole transcript as one text, a newline after each line.
    pub fn text(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }

    /// Starts watching a chat: `title` is the group's title, `None` for the private chat.
    pub fn watch(&mut self, chat_id: ChatId, title: Option<&str>) {
        self.chats.entry(chat_id).or_default().title = title.map(str::to_owned);
    }

    /// A line as is.
    pub fn line(&mut self, line: impl Into<String>) {
        let line = line.into();
        if self.echo {
            // The transcript is also written to conversation.txt: a closed stdout (the demo
            // piped into `head`, say) must not stop the demo.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        }
        self.lines.push(line);
    }

    /// A step's header, after a blank line.
    pub fn header(&mut self, number: usize, title: &str) {
        self.line("");
        self.line(format!("— {number}. {title} —"));
    }

    /// Narration: what happens outside the chat (the user adds the bot to a group, …).
    pub fn narrate(&mut self, text: &str) {
        self.line(format!("({text})"));
    }

    /// The user wrote `shown` (what the transcript displays: the text, or [`MASK`]) as
    /// message `message_id` in `chat_id`.
    pub fn you_wrote(&mut self, chat_id: ChatId, message_id: i32, shown: &str) {
        let who = self.who("You", chat_id, false);
        let view = self.chats.entry(chat_id).or_default();
        view.mine.insert(message_id, shown.to_owned());
        self.block(&who, shown);
    }

    /// The user pressed an inline button.
    pub fn you_pressed(&mut self, chat_id: ChatId, label: &str) {
        let who = self.who("You", chat_id, false);
        self.line(format!("{who} [ {label} ]"));
    }

    /// The bot's answer to a press: a toast or an alert, when it has text.
    pub fn bot_answered(&mut self, answer: &CallbackAnswer) {
        let Some(text) = answer.text.as_deref().filter(|t| !t.is_empty()) else {
            return;
        };
        let who = if answer.show_alert {
            "Bot (alert):"
        } else {
            "Bot (notice):"
        };
        self.block(who, text);
    }

    /// Records what changed in `chat_id` since the last look: deleted messages, then new bot
    /// messages, then edits (the bot edits a status message after sending what it announces,
    /// e.g. "export ready" after the workbook).
    pub fn sync(&mut self, chat_id: ChatId, now: &[SeenMessage]) {
        let mut out: Vec<(String, String)> = Vec::new();
        {
            let view = self.chats.entry(chat_id).or_default();
            let present: BTreeSet<i32> = now.iter().map(|m| m.message_id).collect();
            let known: BTreeSet<i32> = view.shown.keys().chain(view.mine.keys()).copied().collect();
            for id in known.difference(&present) {
                if !view.gone.insert(*id) {
                    continue;
                }
                let line = match (view.mine.get(id), view.shown.get(id)) {
                    (Some(shown), _) => {
                        format!("🗑 (the bot deleted your message “{shown}”)")
                    }
                    (None, Some(m)) if m.from_bot => format!(
                        "🗑 (the bot deleted its message “{}”)",
                        first_line(m.text_or_caption())
                    ),
                    _ => continue,
                };
                out.push((String::new(), line));
            }
            let mut edits = Vec::new();
            for m in now {
                let edited = match view.shown.get(&m.message_id) {
                    None => false,
                    Some(before) if looks_the_same(before, m) => continue,
                    Some(_) => true,
                };
                view.shown.insert(m.message_id, without_bytes(m));
                if !m.from_bot {
                    // The user's own messages were shown when they were written.
                    continue;
                }
                let shown = (who(view.title.as_deref(), "Bot", edited), render_body(m));
                if edited {
                    edits.push(shown);
                } else {
                    out.push(shown);
                }
            }
            out.extend(edits);
        }
        for (who, body) in out {
            if who.is_empty() {
                self.line(body);
            } else {
                self.block(&who, &body);
            }
        }
    }

    fn who(&self, actor: &str, chat_id: ChatId, edited: bool) -> String {
        let title = self.chats.get(&chat_id).and_then(|v| v.title.as_deref());
        who(title, actor, edited)
    }

    /// `who` followed by a body of one or more lines, continuation lines indented.
    fn block(&mut self, who: &str, body: &str) {
        let mut lines = body.lines();
        let first = lines.next().unwrap_or("");
        self.line(format!("{who} {first}").trim_end().to_owned());
        for line in lines {
            if line.is_empty() {
                self.line("");
            } else {
                self.line(format!("{INDENT}{line}"));
            }
        }
    }
}

/// `You:`, `Bot in «Team»:`, `Bot (edited):`, …
fn who(title: Option<&str>, actor: &str, edited: bool) -> String {
    let place = title.map(|t| format!(" in «{t}»")).unwrap_or_default();
    let edit = if edited { " (edited)" } else { "" };
    format!("{actor}{place}{edit}:")
}

/// Whether a message shows the same as before (an edit to the same content is no edit).
fn looks_the_same(before: &SeenMessage, now: &SeenMessage) -> bool {
    before.text == now.text
        && before.buttons == now.buttons
        && before.document.as_ref().map(|d| (&d.file_id, &d.caption))
            == now.document.as_ref().map(|d| (&d.file_id, &d.caption))
        && before.photo.as_ref().map(|p| (&p.file_id, &p.caption))
            == now.photo.as_ref().map(|p| (&p.file_id, &p.caption))
}

fn without_bytes(m: &SeenMessage) -> SeenMessage {
    let mut m = m.clone();
    if let Some(doc) = m.document.as_mut() {
        doc.bytes = Vec::new();
    }
    if let Some(photo) = m.photo.as_mut() {
        photo.bytes = Vec::new();
    }
    m
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A message's text (or document or photo, and caption) and its keyboard, one rendered line
/// each.
pub fn render_body(m: &SeenMessage) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(doc) = &m.document {
        let name = doc.file_name.as_deref().unwrap_or("document");
        lines.push(format!("📎 {name} ({})", human_size(doc.size)));
        if let Some(caption) = doc.caption.as_deref().filter(|c| !c.is_empty()) {
            lines.extend(caption.lines().map(str::to_owned));
        }
    } else if let Some(photo) = &m.photo {
        lines.push(format!(
            "🖼 {}×{} ({})",
            photo.width,
            photo.height,
            human_size(photo.size)
        ));
        if let Some(caption) = photo.caption.as_deref().filter(|c| !c.is_empty()) {
            lines.extend(caption.lines().map(str::to_owned));
        }
    } else {
        lines.extend(m.text.as_deref().unwrap_or("").lines().map(str::to_owned));
    }
    lines.extend(render_keyboard(m));
    lines.join("\n")
}

/// Inline keyboard rows as `[ label ] [ label ]`.
pub fn render_keyboard(m: &SeenMessage) -> Vec<String> {
    m.buttons
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| format!("[ {} ]", b.text))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// `812 B`, `123 KB`, `4.5 MB`.
pub fn human_size(bytes: usize) -> String {
    const KB: usize = 1024;
    const MB: usize = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} B")
    } else if bytes < MB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandbox::telegram::{SeenButton, SeenDocument};

    fn bot_message(id: i32, text: &str, buttons: &[&[&str]]) -> SeenMessage {
        SeenMessage {
            message_id: id,
            chat_id: 42,
            from_bot: true,
            from_user: None,
            text: Some(text.to_owned()),
            raw_text: None,
            parse_mode: Some("HTML".into()),
            buttons: buttons
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|label| SeenButton {
                            text: (*label).to_owned(),
                            callback_data: Some(format!("data:{label}")),
                            url: None,
                        })
                        .collect()
                })
                .collect(),
            document: None,
            photo: None,
            media_group_id: None,
            forwarded_from_channel: None,
            edited: false,
            edit_count: 0,
            sent_at: None,
        }
    }

    fn user_message(id: i32, text: &str) -> SeenMessage {
        SeenMessage {
            from_bot: false,
            from_user: Some(42),
            ..bot_message(id, text, &[])
        }
    }

    #[test]
    fn new_messages_edits_and_keyboards_are_shown_as_the_user_sees_them() {
        let mut t = Transcript::new(false);
        t.watch(ChatId(42), None);
        t.you_wrote(ChatId(42), 1, "/profiles");
        let hub = bot_message(
            2,
            "Your Avito profiles (1)\n\nChoose a profile:",
            &[&["Shop"]],
        );
        t.sync(ChatId(42), &[user_message(1, "/profiles"), hub.clone()]);
        // Nothing changed: nothing recorded.
        t.sync(ChatId(42), &[user_message(1, "/profiles"), hub]);
        t.you_pressed(ChatId(42), "Shop");
        let card = bot_message(
            2,
            "Shop\n\nStatus: ok",
            &[&["Report now", "Period"], &["Back"]],
        );
        t.sync(ChatId(42), &[user_message(1, "/profiles"), card]);
        assert_eq!(
            t.lines(),
            [
                "You: /profiles",
                "Bot: Your Avito profiles (1)",
                "",
                "     Choose a profile:",
                "     [ Shop ]",
                "You: [ Shop ]",
                "Bot (edited): Shop",
                "",
                "     Status: ok",
                "     [ Report now ] [ Period ]",
                "     [ Back ]",
            ]
        );
    }

    #[test]
    fn a_deleted_secret_stays_masked_and_is_marked_deleted() {
        let mut t = Transcript::new(false);
        t.watch(ChatId(42), None);
        t.you_wrote(ChatId(42), 5, MASK);
        // The bot deleted it before the demo looked: it is still reported, masked.
        t.sync(
            ChatId(42),
            &[bot_message(6, "The message was deleted.", &[])],
        );
        t.sync(
            ChatId(42),
            &[bot_message(6, "The message was deleted.", &[])],
        );
        let text = t.text();
        assert!(text.contains(&format!("You: {MASK}")), "{text}");
        assert!(
            text.contains(&format!("🗑 (the bot deleted your message “{MASK}”)")),
            "{text}"
        );
        assert_eq!(text.matches("🗑").count(), 1, "reported once: {text}");
    }

    #[test]
    fn group_messages_carry_the_group_title_and_documents_their_size() {
        let mut t = Transcript::new(false);
        t.watch(ChatId(-5), Some("Team"));
        t.you_wrote(ChatId(-5), 1, "/stats@bot");
        let mut doc = bot_message(2, "", &[]);
        doc.text = None;
        doc.document = Some(SeenDocument {
            file_id: "f1".into(),
            file_name: Some("chats.xlsx".into()),
            mime_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
            size: 125_952,
            caption: Some("Shop: chats export".into()),
            bytes: vec![1, 2, 3],
        });
        t.sync(ChatId(-5), &[user_message(1, "/stats@bot"), doc]);
        assert_eq!(
            t.lines(),
            [
                "You in «Team»: /stats@bot",
                "Bot in «Team»: 📎 chats.xlsx (123 KB)",
                "     Shop: chats export",
            ]
        );
    }

    #[test]
    fn new_messages_come_before_edits_seen_at_the_same_look() {
        let mut t = Transcript::new(false);
        t.sync(ChatId(42), &[bot_message(1, "Export queued", &[])]);
        let mut doc = bot_message(2, "", &[]);
        doc.text = None;
        doc.document = Some(SeenDocument {
            file_id: "f".into(),
            file_name: Some("a.xlsx".into()),
            mime_type: String::new(),
            size: 2048,
            caption: None,
            bytes: Vec::new(),
        });
        t.sync(ChatId(42), &[bot_message(1, "Export ready", &[]), doc]);
        assert_eq!(
            t.lines(),
            [
                "Bot: Export queued",
                "Bot: 📎 a.xlsx (2 KB)",
                "Bot (edited): Export ready"
            ]
        );
    }

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(125_952), "123 KB");
        assert_eq!(human_size(5 * 1024 * 1024 + 512 * 1024), "5.5 MB");
    }
}
