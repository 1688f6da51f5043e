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
    if skipped > 0 {
        tracing::warn!(operation = %op, skipped, "Avito answer had unreadable list elements; skipped them");
    }
    if !value.is_array() && !value.is_null() {
        tracing::warn!(operation = %op, "Avito answer has no list where one was expected; read as empty");
    }
    items
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
