//! Reading Avito's JSON answers: typed, tolerant, naming the operation when they do not fit.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::avito::error::{AvitoError, AvitoResult};
use crate::avito::operation::Operation;

/// Parses a JSON answer, naming the operation when it does not fit.
pub(crate) fn parse<T: DeserializeOwned>(op: Operation, value: &Value) -> AvitoResult<T> {
    T::deserialize(value).map_err(|e| AvitoError::Unexpected {
        operation: op,
        status: 200,
        detail: format!("answer does not match the documented shape: {e}"),
    })
}

/// The value at `pointer`, or the whole value when it is not wrapped (spec quirks).
pub(crate) fn unwrap<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value.pointer(pointer).unwrap_or(value)
}

/// The readable elements of a list in an answer; elements that cannot be read (an item with
/// no id, say) are skipped and logged, never fail the answer.
pub(crate) fn parse_list<T: DeserializeOwned>(op: Operation, value: &Value) -> Vec<T> {
    let (items, skipped) = crate::avito::lenient::list(value);
    warn_skipped(op, skipped);
    warn_unlisted(op, value);
    items
}

/// The list at `pointer` of an answer (or the whole answer, as [`unwrap`]), read as
/// [`parse_list`], and how many elements came. When the answer has no other holder (one not
/// kept for reuse, as the chats lists) its text is moved into the items, not copied.
pub(crate) fn take_list<T: DeserializeOwned>(
    op: Operation,
    answer: std::sync::Arc<Value>,
    pointer: &str,
) -> (Vec<T>, usize) {
    match std::sync::Arc::try_unwrap(answer) {
        Ok(mut whole) => {
            let page = match whole.pointer_mut(pointer) {
                Some(page) => page.take(),
                None => whole,
            };
            let came = page.as_array().map_or(0, Vec::len);
            warn_unlisted(op, &page);
            let (items, skipped) = crate::avito::lenient::list_owned(page);
            warn_skipped(op, skipped);
            (items, came)
        }
        Err(shared) => {
            let page = unwrap(&shared, pointer);
            (parse_list(op, page), page.as_array().map_or(0, Vec::len))
        }
    }
}

fn warn_skipped(op: Operation, skipped: usize) {
    if skipped > 0 {
        tracing::warn!(operation = %op, skipped, "Avito answer had unreadable list elements; skipped them");
    }
}

fn warn_unlisted(op: Operation, value: &Value) {
    if !value.is_array() && !value.is_null() {
        tracing::warn!(operation = %op, "Avito answer has no list where one was expected; read as empty");
    }
}

/// A path segment with everything but unreserved characters percent-encoded: ids come from
/// Avito's answers and must not be able to change the path (`/`, `?`, `..`).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::avito::model::Chat;

    /// An answer held only here and one shared with a cache read alike: the readable chats,
    /// the unreadable one (no id) skipped, every element counted; unwrapped too.
    #[test]
    fn a_list_taken_reads_as_the_list_borrowed() {
        let answer = json!({"chats": [
            {"id": "a", "updated": 5, "users": [{"id": 1, "name": "Ann"}],
             "last_message": {"id": "m", "created": 4, "content": {"text": "hi"}}},
            {"updated": 6},
            {"id": "b", "context": {"type": "item", "value": {"id": 7, "title": "Sofa"}}}
        ]});
        let op = Operation::GetChatsV2;
        let borrowed: Vec<Chat> = parse_list(op, unwrap(&answer, "/chats"));
        let (owned, came): (Vec<Chat>, usize) = take_list(op, Arc::new(answer.clone()), "/chats");
        assert_eq!((owned.len(), came), (2, 3));
        assert_eq!(owned, borrowed);
        let held = Arc::new(answer.clone());
        let (shared, _): (Vec<Chat>, usize) = take_list(op, Arc::clone(&held), "/chats");
        assert_eq!(shared, borrowed);
        let bare = answer.pointer("/chats").cloned().unwrap_or_default();
        let (unwrapped, came): (Vec<Chat>, usize) = take_list(op, Arc::new(bare), "/chats");
        assert_eq!((unwrapped, came), (borrowed, 3));
    }
}
