//! The spec's own example answers.
//!
//! They are kept exactly as written, including where they contradict their schema (the number
//! `71112223344` for `UserInfoSelf.phone`, typed string; `"itemId": "<item_id_1>"` in
//! `itemStatsShallow`; `postOperationsHistory` without the `result` wrapper): a client that reads
//! the documentation's examples must survive them too.

use serde_json::{Map, Value};

use super::generate::ok_schema;
use crate::avito::openapi::OpenApi;

/// Nesting followed when an example is assembled from the properties' examples.
const MAX_DEPTH: usize = 12;

/// The example for the 200 response of `operation_id`: the media type's `example`, else the
/// first of its `examples` (its `value`), else [`schema_example`] of its schema. `None` if the
/// operation is unknown or documents no JSON 200 response.
pub fn example_answer(spec: &OpenApi, operation_id: &str) -> Option<Value> {
    let op = spec.operation(operation_id)?;
    ok_schema(&op)?;
    let media = op.response(200)?.get("content")?.get("application/json")?;
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    let first = media
        .get("examples")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
        .map(|e| spec.resolve(e))
        .and_then(|e| e.get("value"));
    if let Some(value) = first {
        return Some(value.clone());
    }
    Some(schema_example(spec, media.get("schema")?))
}

/// An example assembled from a schema: its `example`, else (recursively) an object of every
/// property's example or an array of one item's example; where nothing gives one, `default`,
/// the first `enum` value or a placeholder of the right type in the style of Swagger UI
/// (`"string"`, `0`, `true`, `"2019-08-24"`, `"2019-08-24T14:15:22Z"`).
pub fn schema_example(spec: &OpenApi, schema: &Value) -> Value {
    build(spec, schema, 0)
}

fn build(spec: &OpenApi, schema: &Value, depth: usize) -> Value {
    let schema = spec.resolve(schema);
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(example) = s.get("example") {
        return example.clone();
    }
    if depth > MAX_DEPTH {
        return placeholder(s);
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        // The parts' examples, merged when they are objects (the common `allOf` use).
        let mut merged = Map::new();
        for part in all.iter().map(|p| build(spec, p, depth + 1)) {
            match part {
                Value::Object(o) => merged.extend(o),
                other => return other,
            }
        }
        if let Value::Object(own) = typed(spec, s, depth) {
            merged.extend(own);
        }
        return Value::Object(merged);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|b| b.first()) {
            return build(spec, first, depth + 1);
        }
    }
    typed(spec, s, depth)
}

fn typed(spec: &OpenApi, s: &Map<String, Value>, depth: usize) -> Value {
    let ty = s.get("type").and_then(Value::as_str).or_else(|| {
        if s.contains_key("properties") {
            Some("object")
        } else if s.contains_key("items") {
            Some("array")
        } else {
            None
        }
    });
    match ty {
        Some("object") if !s.contains_key("default") => {
            let props = s.get("properties").and_then(Value::as_object);
            Value::Object(
                props
                    .into_iter()
                    .flatten()
                    .map(|(k, ps)| (k.clone(), build(spec, ps, depth + 1)))
                    .collect(),
            )
        }
        Some("array") if !s.contains_key("default") => {
            let Some(items) = s.get("items") else {
                return Value::Array(Vec::new());
            };
            let max = s.get("maxItems").and_then(Value::as_u64).unwrap_or(1);
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(max);
            Value::Array((0..n).map(|_| build(spec, items, depth + 1)).collect())
        }
        _ => placeholder(s),
    }
}

fn placeholder(s: &Map<String, Value>) -> Value {
    if let Some(default) = s.get("default") {
        return default.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let excl = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
    // 0, moved inside `minimum`/`maximum` when they exclude it.
    let number = || match (
        s.get("minimum").and_then(Value::as_f64),
        s.get("maximum").and_then(Value::as_f64),
    ) {
        (Some(lo), _) if lo >= 0.0 => {
            let n = lo.ceil();
            let n = if excl("exclusiveMinimum") && n == lo {
                n + 1.0
            } else {
                n
            };
            Value::from(n as i64)
        }
        (_, Some(hi)) if hi <= 0.0 => {
            let n = hi.floor();
            let n = if excl("exclusiveMaximum") && n == hi {
                n - 1.0
            } else {
                n
            };
            Value::from(n as i64)
        }
        _ => Value::from(0),
    };
    match s.get("type").and_then(Value::as_str) {
        Some("string") => Value::from(match s.get("format").and_then(Value::as_str) {
            Some("date") => "2019-08-24",
            Some("date-time") => "2019-08-24T14:15:22Z",
            _ => "string",
        }),
        Some("integer" | "number") => number(),
        Some("boolean") => Value::Bool(true),
        Some("object") => Value::Object(Map::new()),
        Some("array") => Value::Array(Vec::new()),
        _ => Value::Null,
    }
}
