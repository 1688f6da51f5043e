//! Splitting long messages at line boundaries to fit Telegram's 4096-character limit.

/// Telegram's limit on a message's text.
pub const TELEGRAM_LIMIT: usize = 4096;

/// Splits `text` into messages of at most `limit` characters, only between lines. Renderers
/// keep every tag within one line, so no tag is ever cut. A single line longer than `limit`
/// (which the renderers never produce) is cut at character boundaries as a last resort.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split('\n') {
        let line_len = line.chars().count();
        let needed = if current.is_empty() {
            line_len
        } else {
            current_len + 1 + line_len
        };
        if needed <= limit {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            current_len = needed;
            continue;
        }
        if !current.trim().is_empty() {
            chunks.push(std::mem::take(&mut current));
        }
        current.clear();
        current_len = 0;
        if line_len <= limit {
            current.push_str(line);
            current_len = line_len;
        } else {
            let chars: Vec<char> = line.chars().collect();
            for piece in chars.chunks(limit) {
                chunks.push(piece.iter().collect());
            }
        }
    }
    if !current.trim().is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_message() {
        assert_eq!(split_message("a\nb", 4096), vec!["a\nb".to_owned()]);
    }

    #[test]
    fn long_text_splits_between_lines_within_the_limit() {
        let line = format!("<b>{}</b>", "я".repeat(90));
        let text = vec![line.clone(); 100].join("\n");
        let chunks = split_message(&text, TELEGRAM_LIMIT);
        assert!(chunks.len() > 1);
        for chunk in &chunks {
            assert!(chunk.chars().count() <= TELEGRAM_LIMIT);
            for l in chunk.lines() {
                assert_eq!(l, line, "lines are never cut");
            }
        }
        assert_eq!(chunks.join("\n"), text, "nothing lost");
    }

    #[test]
    fn an_overlong_line_is_cut_as_a_last_resort() {
        let text = "x".repeat(10);
        assert_eq!(split_message(&text, 4), vec!["xxxx", "xxxx", "xx"]);
    }
}
