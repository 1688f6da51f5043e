//! The tolerant reader: field deserializers that never fail an answer.
//!
//! Avito's spec contradicts itself (`shared/avito/NOTES.md`, "SPEC QUIRK": a `phone` typed
//! string whose example is a number, `expires_in` typed `number`, ids as strings in examples),
//! and the real API may differ again. Every field the client reads goes through one of these:
//! a value of an unexpected type becomes `None` (or is converted where the meaning is clear,
//! e.g. `86400.0` → 86400, `"123"` → 123, a numeric phone → its digits), so one odd field can
//! only make the metric that needs it n/a, never the whole answer unusable.
//!
//! The readers visit the value in place: a scalar is looked at where it lies (text borrowed
//! where the source lends it), a nested object is read straight into its type, and what does
//! not fit is skipped without being built. (Buffering each field as a `Value` first copied
//! every chat's text once per level it was nested in: a third of a worker's time.)

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use chrono::NaiveDate;
use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, StrDeserializer, StringDeserializer, U64Deserializer,
};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One JSON value as the tolerant readers see it: the scalar forms, and everything else
/// (null, arrays, objects) as `Other`, skipped unbuilt.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Int(i64),
    /// A whole number beyond `i64` (kept exact for text).
    Big(u64),
    Float(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    Other,
}

impl<'a> Scalar<'a> {
    /// The scalar of a value already parsed, borrowing its text.
    pub fn of(value: &'a Value) -> Self {
        match value {
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Scalar::Int(i),
                (None, Some(u), _) => Scalar::Big(u),
                (None, None, Some(f)) => Scalar::Float(f),
                _ => Scalar::Other,
            },
            Value::String(s) => Scalar::Text(Cow::Borrowed(s)),
            Value::Bool(b) => Scalar::Bool(*b),
            _ => Scalar::Other,
        }
    }

    /// A whole number from a number (whole floats too) or a numeric string.
    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Big(_) => None,
            Scalar::Float(f) => whole(*f),
            Scalar::Text(s) => {
                let s = s.trim();
                s.parse::<i64>()
                    .ok()
                    .or_else(|| whole(s.parse::<f64>().ok()?))
            }
            Scalar::Bool(_) | Scalar::Other => None,
        }
    }

    /// A number from a number or a numeric string.
    pub fn to_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Big(u) => Some(*u as f64),
            Scalar::Float(f) => Some(*f).filter(|f| f.is_finite()),
            Scalar::Text(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            Scalar::Bool(_) | Scalar::Other => None,
        }
    }

    /// A count or amount that may come fractional: rounded to the nearest whole.
    pub fn to_rounded(&self) -> Option<i64> {
        self.to_i64().or_else(|| whole(self.to_f64()?.round()))
    }

    /// Text from a string, or from a number or boolean written as text (`phone: 71112223344`).
    pub fn into_text(self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s.into_owned()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Big(u) => Some(u.to_string()),
            // As JSON writes it (`86400.0`), the form the answer had.
            Scalar::Float(f) => serde_json::Number::from_f64(f).map(|n| n.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Other => None,
        }
    }

    /// An id kept as text (chat and message ids): a non-empty string or a number.
    pub fn into_id_text(self) -> Option<String> {
        self.into_text().filter(|s| !s.trim().is_empty())
    }

    /// A `YYYY-MM-DD` date, also read from the start of a date-time.
    pub fn to_date(&self) -> Option<NaiveDate> {
        let Scalar::Text(s) = self else {
            return None;
        };
        let s = s.trim();
        NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
    }

    /// `true`/`false`, `1`/`0` and their texts.
    pub fn to_bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Int(0) => Some(false),
            Scalar::Int(1) => Some(true),
            Scalar::Text(s) => match s.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Shown in the message of a required id that cannot be read.
impl fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Big(u) => write!(f, "{u}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(s) => write!(f, "{s:?}"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Other => f.write_str("null, a list or an object"),
        }
    }
}

/// `f` as a whole number, when it is one and `i64` has it (beyond ±2^63 unreadable, not
/// saturated).
fn whole(f: f64) -> Option<i64> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Big(v), Scalar::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Scalar::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq)?;
        Ok(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map)?;
        Ok(Scalar::Other)
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// `T` when the value reads as one, `None` when it does not; the value is consumed either
/// way, so one unreadable element leaves its neighbours readable. Only an object reads as a
/// struct (serde would also build one from an array, and `answer: []` is no answer).
struct Tolerant<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tolerant<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TolerantVisitor(PhantomData))
    }
}

struct TolerantVisitor<T>(PhantomData<T>);

impl<T> TolerantVisitor<T> {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Tolerant<T>, D::Error>
    where
        T: Deserialize<'de>,
    {
        Ok(Tolerant(T::deserialize(d).ok()))
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for TolerantVisitor<T> {
    type Value = Tolerant<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::read(BoolDeserializer::<E>::new(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::read(I64Deserializer::<E>::new(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::read(U64Deserializer::<E>::new(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::read(F64Deserializer::<E>::new(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::read(StrDeserializer::<E>::new(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Self::read(BorrowedStrDeserializer::<E>::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::read(StringDeserializer::<E>::new(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Tolerant(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Tolerant(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Tolerant::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq)?;
        Ok(Tolerant(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let read = T::deserialize(MapAccessDeserializer::new(&mut map)).ok();
        // What `T` left unread when it gave up (or ignored) is skipped, so the map ends
        // where its source expects it to.
        skip_map(map)?;
        Ok(Tolerant(read))
    }
}

/// The elements of a list that read as `T`, and how many did not.
struct Elements<T>(Vec<T>, usize);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Elements<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ElementsVisitor(PhantomData))
    }
}

struct ElementsVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ElementsVisitor<T> {
    type Value = Elements<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        let mut skipped = 0;
        while let Some(Tolerant(item)) = seq.next_element::<Tolerant<T>>()? {
            match item {
                Some(item) => items.push(item),
                None => skipped += 1,
            }
        }
        Ok(Elements(items, skipped))
    }

    // Anything but a list has no elements.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map)?;
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Elements(Vec::new(), 0))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Elements::deserialize(d)
    }
}

/// A whole number from a JSON number (whole floats too) or a numeric string.
pub fn to_i64(value: &Value) -> Option<i64> {
    Scalar::of(value).to_i64()
}

/// A number from a JSON number or a numeric string.
pub fn to_f64(value: &Value) -> Option<f64> {
    Scalar::of(value).to_f64()
}

/// A count or amount that may come fractional: rounded to the nearest whole.
pub fn to_rounded(value: &Value) -> Option<i64> {
    Scalar::of(value).to_rounded()
}

/// Text from a string, or from a number or boolean written as text (`phone: 71112223344`).
pub fn to_text(value: &Value) -> Option<String> {
    Scalar::of(value).into_text()
}

/// An id kept as text (chat and message ids): a non-empty string or a number.
pub fn to_id_text(value: &Value) -> Option<String> {
    Scalar::of(value).into_id_text()
}

/// A `YYYY-MM-DD` date, also read from the start of a date-time.
pub fn to_date(value: &Value) -> Option<NaiveDate> {
    Scalar::of(value).to_date()
}

pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Scalar::deserialize(d)?.to_i64())
}

pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Scalar::deserialize(d)?.to_f64())
}

pub fn opt_rounded<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Scalar::deserialize(d)?.to_rounded())
}

pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Scalar::deserialize(d)?.into_text())
}

pub fn opt_id_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Scalar::deserialize(d)?.into_id_text())
}

pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Ok(Scalar::deserialize(d)?.to_date())
}

pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Scalar::deserialize(d)?.to_bool())
}

/// Any value kept as it came (for content shown as text later); `null` is `None`.
pub fn opt_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Some(Value::deserialize(d)?).filter(|v| !v.is_null()))
}

/// A nested object read tolerantly: anything that does not fit is `None`.
pub fn opt_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Tolerant::deserialize(d)?.0)
}

/// A list whose unreadable elements are skipped; anything but an array is an empty list.
pub fn vec_of<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Elements::deserialize(d)?.0)
}

/// The readable elements of `value` (an array; anything else has none), and how many were
/// skipped. Borrows the elements: top-level lists (messages, chats) are never copied.
pub fn list<'a, T: Deserialize<'a>>(value: &'a Value) -> (Vec<T>, usize) {
    elements(value)
}

/// [`list`] of an owned value: the elements' text moves into the items instead of being
/// copied (a page of 100 chats with their last messages is some 200 KB).
pub fn list_owned<T: de::DeserializeOwned>(value: Value) -> (Vec<T>, usize) {
    elements(value)
}

fn elements<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> (Vec<T>, usize) {
    // Reading a parsed value never fails: what does not fit is counted, not raised.
    Elements::deserialize(d).map_or((Vec::new(), 0), |Elements(items, skipped)| (items, skipped))
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

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Inner {
        #[serde(deserialize_with = "crate::avito::model::id_i64")]
        id: i64,
        #[serde(default, deserialize_with = "opt_text")]
        name: Option<String>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "opt_object")]
        one: Option<Inner>,
        #[serde(default, deserialize_with = "vec_of")]
        many: Vec<Inner>,
        #[serde(default, deserialize_with = "opt_i64")]
        count: Option<i64>,
        #[serde(default, deserialize_with = "opt_text")]
        phone: Option<String>,
    }

    /// Read from text, from a parsed value and from an owned one, the same answer reads the
    /// same: what does not fit is left out and what follows it is still read.
    #[test]
    fn odd_values_are_skipped_in_place_and_their_neighbours_read() {
        let cases = [
            (
                r#"{"one": [1, 2], "many": [{"id": "x", "name": {"a": [1]}}, {"name": "B", "id": 2}, 7, null, {"id": 3.0}], "count": "12", "phone": 71112223344}"#,
                Outer {
                    one: None,
                    many: vec![
                        Inner {
                            id: 2,
                            name: Some("B".into()),
                        },
                        Inner { id: 3, name: None },
                    ],
                    count: Some(12),
                    phone: Some("71112223344".into()),
                },
            ),
            (
                r#"{"one": {"name": "no id", "extra": {"deep": [1, {"x": 2}]}}, "many": {"id": 1}, "count": [3], "phone": 1.5}"#,
                Outer {
                    one: None,
                    many: vec![],
                    count: None,
                    phone: Some("1.5".into()),
                },
            ),
            (
                r#"{"one": {"id": "7", "id2": 1, "name": "A"}, "many": "none", "count": 4.0, "phone": null}"#,
                Outer {
                    one: Some(Inner {
                        id: 7,
                        name: Some("A".into()),
                    }),
                    many: vec![],
                    count: Some(4),
                    phone: None,
                },
            ),
        ];
        for (text, expected) in cases {
            let streamed: Outer = serde_json::from_str(text).expect(text);
            let value: Value = serde_json::from_str(text).expect(text);
            let borrowed = Outer::deserialize(&value).expect(text);
            let owned = Outer::deserialize(value).expect(text);
            assert_eq!(streamed, expected, "{text}");
            assert_eq!(borrowed, expected, "{text}");
            assert_eq!(owned, expected, "{text}");
        }
    }

    #[test]
    fn a_number_beyond_i64_is_text_but_no_whole_number() {
        let big = json!(18446744073709551615_u64);
        assert_eq!(to_i64(&big), None);
        assert_eq!(to_text(&big), Some("18446744073709551615".into()));
        assert_eq!(to_f64(&big), Some(18446744073709551615_u64 as f64));
        assert_eq!(to_text(&json!(86400.0)), Some("86400.0".into()));
    }
}
