//! The tolerant reader: field deserializers that never fail an answer.
//!
//! Avito's spec contradicts itself (`shared/avito/NOTES.md`, "SPEC QUIRK": a `phone` typed
//! string whose example is a number, `expires_in` typed `number`, ids as strings in examples),
//! and the real API may differ again. Every field the client reads goes through one of these:
//! a value of an unexpected type becomes `None` (or is converted where the meaning is clear,
//! e.g. `86400.0` → 86400, `"123"` → 123, a numeric phone → its digits), so one odd field can
//! only make the metric that needs it n/a, never the whole answer unusable.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Any JSON value (absent fields take their `#[serde(default)]`).
fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Value::deserialize(d)
}

/// A whole number from a JSON number (whole floats too) or a numeric string.
pub fn to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            // Beyond ±2^63 a float has no i64 twin; treat it as unreadable, not saturated.
            (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
        }),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| to_i64(&Value::from(s.parse::<f64>().ok()?)))
        }
        _ => None,
    }
}

/// A number from a JSON number or a numeric string.
pub fn to_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A count or amount that may come fractional: rounded to the nearest whole.
pub fn to_rounded(value: &Value) -> Option<i64> {
    to_i64(value).or_else(|| {
        let f = to_f64(value)?.round();
        (f.abs() < 9.2e18).then_some(f as i64)
    })
}

/// Text from a string, or from a number or boolean written as text (`phone: 71112223344`).
pub fn to_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An id kept as text (chat and message ids): a non-empty string or a number.
pub fn to_id_text(value: &Value) -> Option<String> {
    to_text(value).filter(|s| !s.trim().is_empty())
}

/// A `YYYY-MM-DD` date, also read from the start of a date-time.
pub fn to_date(value: &Value) -> Option<NaiveDate> {
    let s = value.as_str()?.trim();
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
}

pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(to_i64(&raw(d)?))
}

pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(to_f64(&raw(d)?))
}

pub fn opt_rounded<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(to_rounded(&raw(d)?))
}

pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(to_text(&raw(d)?))
}

pub fn opt_id_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(to_id_text(&raw(d)?))
}

pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Ok(to_date(&raw(d)?))
}

pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match raw(d)? {
        Value::Bool(b) => Some(b),
        Value::Number(n) => n.as_i64().and_then(|n| match n {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }),
        Value::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// Any value kept as it came (for content shown as text later); `null` is `None`.
pub fn opt_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Some(raw(d)?).filter(|v| !v.is_null()))
}

/// A nested object read tolerantly: anything that does not fit is `None`.
pub fn opt_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(T::deserialize(raw(d)?).ok())
}

/// A list whose unreadable elements are skipped; anything but an array is an empty list.
pub fn vec_of<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(list(&raw(d)?).0)
}

/// The readable elements of `value` (an array; anything else has none), and how many were
/// skipped. Borrows the elements: top-level lists (messages, chats) are never copied.
pub fn list<T: DeserializeOwned>(value: &Value) -> (Vec<T>, usize) {
    match value.as_array() {
        Some(elements) => readable(elements.iter().map(|e| T::deserialize(e).ok())),
        None => (Vec::new(), 0),
    }
}

/// [`list`] of an owned value: the elements' text moves into the items instead of being
/// copied (a page of 100 chats with their last messages is some 200 KB).
pub fn list_owned<T: DeserializeOwned>(value: Value) -> (Vec<T>, usize) {
    match value {
        Value::Array(elements) => readable(elements.into_iter().map(|e| T::deserialize(e).ok())),
        _ => (Vec::new(), 0),
    }
}

/// The elements read, and how many could not be.
fn readable<T>(read: impl Iterator<Item = Option<T>>) -> (Vec<T>, usize) {
    let mut skipped = 0;
    let items = read
        .filter_map(|item| {
            skipped += usize::from(item.is_none());
            item
        })
        .collect();
    (items, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_read_from_every_form_the_spec_allows() {
        assert_eq!(to_i64(&json!(86400)), Some(86400));
        assert_eq!(to_i64(&json!(86400.0)), Some(86400));
        assert_eq!(to_i64(&json!(86400.5)), None, "an id is never fractional");
        assert_eq!(to_rounded(&json!(86400.5)), Some(86401));
        assert_eq!(to_i64(&json!(" 42 ")), Some(42));
        assert_eq!(to_i64(&json!("42.0")), Some(42));
        assert_eq!(to_i64(&json!(1e300)), None);
        assert_eq!(to_i64(&json!("abc")), None);
        assert_eq!(to_i64(&json!(null)), None);
        assert_eq!(to_i64(&json!({"a": 1})), None);
        assert_eq!(to_f64(&json!("123.95")), Some(123.95));
        assert_eq!(to_text(&json!(71112223344_i64)), Some("71112223344".into()));
        assert_eq!(to_id_text(&json!("")), None);
        assert_eq!(
            to_date(&json!("2025-03-25")),
            NaiveDate::from_ymd_opt(2025, 3, 25)
        );
        assert_eq!(
            to_date(&json!("2025-03-25T10:00:00Z")),
            NaiveDate::from_ymd_opt(2025, 3, 25)
        );
        assert_eq!(to_date(&json!("25.03.2025")), None);
    }

    #[test]
    fn a_list_keeps_what_it_can_read() {
        #[derive(serde::Deserialize)]
        struct Id {
            #[allow(dead_code)]
            id: i64,
        }
        let (ids, skipped) = list::<Id>(&json!([{"id": 1}, null, {"id": "x"}, {"id": 2}]));
        assert_eq!((ids.len(), skipped), (2, 2));
        assert_eq!(list::<Id>(&json!({"id": 1})).0.len(), 0);
    }
}
