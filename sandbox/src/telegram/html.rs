//! `parse_mode=HTML`: validation and conversion to plain text plus entities, following the
//! rules (and error texts) of Telegram's own parser, so markup the real API would reject is
//! rejected here too.

use teloxide::types::{MessageEntity, MessageEntityKind};

/// Text as the user sees it, with entity offsets in UTF-16 code units like the Bot API.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub text: String,
    pub entities: Vec<MessageEntity>,
}

/// Why Telegram would answer "can't parse entities". Texts follow Telegram's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HtmlError {
    #[error("Unsupported start tag \"{tag}\" at byte offset {offset}")]
    UnsupportedTag { tag: String, offset: usize },
    #[error("Unclosed start tag at byte offset {0}")]
    UnclosedTag(usize),
    #[error("Unexpected end tag at byte offset {0}")]
    UnexpectedEndTag(usize),
    #[error(
        "Unmatched end tag at byte offset {offset}, expected \"</{expected}>\", found \"</{found}>\""
    )]
    UnmatchedEndTag {
        offset: usize,
        expected: String,
        found: String,
    },
    #[error("Can't find end tag corresponding to start tag \"{0}\"")]
    MissingEndTag(String),
    #[error("Tag \"span\" must have class \"tg-spoiler\" at byte offset {0}")]
    SpanWithoutSpoilerClass(usize),
}

/// An open tag waiting for its end tag.
struct Open {
    name: String,
    /// `None` for tags that produce no entity (e.g. a link whose href is not a URL).
    kind: Option<MessageEntityKind>,
    start: usize,
}

/// Parses Telegram HTML into plain text and entities.
pub(crate) fn parse(input: &str) -> Result<Parsed, HtmlError> {
    let mut text = String::with_capacity(input.len());
    let mut utf16_len = 0usize;
    let mut stack: Vec<Open> = Vec::new();
    let mut entities: Vec<MessageEntity> = Vec::new();
    let mut i = 0usize;

    while i < input.len() {
        let rest = &input[i..];
        if rest.starts_with('<') {
            let end = rest.find('>').ok_or(HtmlError::UnclosedTag(i))?;
            let inner = &rest[1..end];
            if let Some(name) = inner.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                let open = stack.pop().ok_or(HtmlError::UnexpectedEndTag(i))?;
                if open.name != name {
                    return Err(HtmlError::UnmatchedEndTag {
                        offset: i,
                        expected: open.name,
                        found: name,
                    });
                }
                close(open, utf16_len, &mut entities);
            } else {
                let open = start_tag(inner, i, utf16_len, &mut stack)?;
                stack.push(open);
            }
            i += end + 1;
        } else if rest.starts_with('&') {
            let (decoded, consumed) = decode_entity(rest);
            utf16_len += decoded.len_utf16();
            text.push(decoded);
            i += consumed;
        } else {
            // Copy a run of plain characters up to the next markup character.
            let run_end = rest.find(['<', '&']).unwrap_or(rest.len());
            let run = &rest[..run_end];
            utf16_len += run.encode_utf16().count();
            text.push_str(run);
            i += run_end;
        }
    }
    if let Some(open) = stack.pop() {
        return Err(HtmlError::MissingEndTag(open.name));
    }
    // Telegram lists entities by offset, outer (longer) entities first.
    entities.sort_by(|a, b| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    Ok(Parsed { text, entities })
}

/// Escapes text for inclusion in an HTML message (what a bot should do with user input).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn close(open: Open, end: usize, entities: &mut Vec<MessageEntity>) {
    let length = end - open.start;
    // Telegram drops entities that cover no text.
    if let (Some(kind), true) = (open.kind, length > 0) {
        entities.push(MessageEntity {
            kind,
            offset: open.start,
            length,
        });
    }
}

fn start_tag(
    inner: &str,
    offset: usize,
    position: usize,
    stack: &mut [Open],
) -> Result<Open, HtmlError> {
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    let name_end = inner
        .find(|c: char| c.is_whitespace())
        .unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    let attrs = parse_attributes(&inner[name_end..]);
    let attr = |key: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let unsupported = || HtmlError::UnsupportedTag {
        tag: name.clone(),
        offset,
    };
    let kind = match name.as_str() {
        "b" | "strong" => Some(MessageEntityKind::Bold),
        "i" | "em" => Some(MessageEntityKind::Italic),
        "u" | "ins" => Some(MessageEntityKind::Underline),
        "s" | "strike" | "del" => Some(MessageEntityKind::Strikethrough),
        "tg-spoiler" => Some(MessageEntityKind::Spoiler),
        "span" => match attr("class") {
            Some("tg-spoiler") => Some(MessageEntityKind::Spoiler),
            _ => return Err(HtmlError::SpanWithoutSpoilerClass(offset)),
        },
        "blockquote" if attr("expandable").is_some() => {
            Some(MessageEntityKind::ExpandableBlockquote)
        }
        "blockquote" => Some(MessageEntityKind::Blockquote),
        "pre" => Some(MessageEntityKind::Pre { language: None }),
        "code" => {
            let language = attr("class")
                .and_then(|c| c.strip_prefix("language-"))
                .map(str::to_owned);
            // `<pre><code class="language-x">` is one pre entity with a language, as in Telegram.
            match (stack.last_mut(), language) {
                (Some(parent), Some(language))
                    if parent.name == "pre" && parent.start == position =>
                {
                    parent.kind = Some(MessageEntityKind::Pre {
                        language: Some(language),
                    });
                    None
                }
                _ => Some(MessageEntityKind::Code),
            }
        }
        // An href that is not a URL makes no link, as in Telegram, but is not an error.
        "a" => attr("href")
            .and_then(|href| href.parse().ok())
            .map(|url| MessageEntityKind::TextLink { url }),
        "tg-emoji" => None,
        _ => return Err(unsupported()),
    };
    Ok(Open {
        name,
        kind,
        start: position,
    })
}

/// `key="v"`, `key='v'`, `key=v` and bare `key`, with entities in values decoded.
fn parse_attributes(mut s: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return attrs;
        }
        let key_end = s
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(s.len());
        let key = s[..key_end].to_ascii_lowercase();
        s = s[key_end..].trim_start();
        let value = if let Some(after_eq) = s.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let (raw, rest) = match after_eq.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after_eq[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after_eq.find(char::is_whitespace).unwrap_or(after_eq.len());
                    (&after_eq[..end], &after_eq[end..])
                }
            };
            s = rest;
            decode_all(raw)
        } else {
            String::new()
        };
        attrs.push((key, value));
    }
}

fn decode_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with('&') {
            let (c, consumed) = decode_entity(rest);
            out.push(c);
            i += consumed;
        } else {
            let end = rest.find('&').unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            i += end;
        }
    }
    out
}

/// Decodes one entity at the start of `s` (which starts with `&`). Telegram supports the
/// named entities `lt gt amp quot` and all numeric ones; anything else is a literal `&`.
fn decode_entity(s: &str) -> (char, usize) {
    let literal = ('&', 1);
    let Some(semi) = s[1..].find(';').filter(|&p| p <= 10) else {
        return literal;
    };
    let name = &s[1..=semi];
    let decoded = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => name.strip_prefix('#').and_then(|num| {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            code.and_then(char::from_u32)
        }),
    };
    match decoded {
        Some(c) => (c, semi + 2),
        None => literal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_decodes_entities_and_records_utf16_offsets() {
        let parsed = parse("Привет, <b>мир</b> &lt;3 &amp; <a href=\"https://x.y/\">ссылка</a>")
            .expect("valid html");
        assert_eq!(parsed.text, "Привет, мир <3 & ссылка");
        assert_eq!(parsed.entities.len(), 2);
        assert_eq!(parsed.entities[0].kind, MessageEntityKind::Bold);
        assert_eq!(
            (parsed.entities[0].offset, parsed.entities[0].length),
            (8, 3)
        );
        assert_eq!(parsed.entities[1].offset, 17);
    }

    #[test]
    fn emoji_count_as_two_utf16_units() {
        let parsed = parse("😀<i>x</i>").expect("valid html");
        assert_eq!(parsed.entities[0].offset, 2);
    }

    #[test]
    fn rejects_unknown_unclosed_and_mismatched_tags() {
        assert!(matches!(
            parse("<foo>x</foo>"),
            Err(HtmlError::UnsupportedTag { .. })
        ));
        assert!(matches!(parse("<b>x"), Err(HtmlError::MissingEndTag(_))));
        assert!(matches!(
            parse("<b><i>x</b></i>"),
            Err(HtmlError::UnmatchedEndTag { .. })
        ));
        assert!(matches!(
            parse("x</b>"),
            Err(HtmlError::UnexpectedEndTag(1))
        ));
        assert!(matches!(parse("1 < 2"), Err(HtmlError::UnclosedTag(2))));
        assert!(parse("<span>x</span>").is_err());
    }

    #[test]
    fn pre_with_code_language_is_one_pre_entity() {
        let parsed = parse("<pre><code class=\"language-rust\">fn</code></pre>").expect("ok");
        assert_eq!(parsed.entities.len(), 1);
        assert_eq!(
            parsed.entities[0].kind,
            MessageEntityKind::Pre {
                language: Some("rust".into())
            }
        );
    }

    #[test]
    fn escape_round_trips() {
        let s = "a<b>&\"c\"";
        assert_eq!(parse(&escape(s)).expect("ok").text, s);
    }
}
