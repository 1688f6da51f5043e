//! Typed operations of one Avito account, grouped by API area.

mod account;
mod messenger;

pub use messenger::ChatsQuery;
mod stats;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{AvitoError, AvitoResult};
use super::operation::Operation;

/// Parses a JSON answer, naming the operation when it does not fit.
pub(crate) fn parse<T: DeserializeOwned>(op: Operation, value: &Value) -> AvitoResult<T> {
    T::deserialize(value).map_err(|e| AvitoError::Unexpected {
        operation: op,
        status: 200,
        detail: format!("answer does not match the documented shape: {e}"),
    })
}

/// The value at `pointer`, or the whole value when it is not wrapped (spec quirks).
pub(crate) fn unwrap<'a>(value: &'a Arc<Value>, pointer: &str) -> &'a Value {
    value.pointer(pointer).unwrap_or(value)
}
