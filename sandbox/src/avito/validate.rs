//! Request validation: first generically against the operation's parameters and body schema in
//! the OpenAPI document, then (in the handlers, with the helpers here) the rules the spec states
//! only in prose (≤ 200 item ids, ≤ 270 days back, ≤ 1 week range, ...).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::openapi::OpenApi;
use super::ops::Op;
use super::request::ApiRequest;

/// The validated inputs: parameters coerced to JSON by their schema, and the parsed body.
#[derive(Debug, Default)]
pub(crate) struct Input {
    pub path: Map<String, Value>,
    pub query: Map<String, Value>,
    pub body: Option<Value>,
}

impl Input {
    pub fn query_i64(&self, name: &str) -> Option<i64> {
        self.query.get(name).and_then(Value::as_i64)
    }

    pub fn path_i64(&self, name: &str) -> Option<i64> {
        self.path.get(name).and_then(Value::as_i64)
    }

    /// The body, or an empty object when none was sent.
    pub fn body_or_empty(&self) -> Value {
        self.body
            .clone()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }
}

/// SPEC QUIRK: `getItemsInfo.status` is a single-value enum in its schema, but its description
/// and example (`"active,old"`) allow a comma-separated list; each element is checked instead.
const COMMA_LISTS: &[(Op, &str)] = &[(Op::GetItemsInfo, "status")];

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::Invalid(msg.into())
}

/// Media type without parameters, lower-cased (`application/json; charset=utf-8` → `application/json`).
fn essence(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub(crate) fn validate(spec: &OpenApi, op: Op, req: &ApiRequest) -> Result<Input, ApiError> {
    if let Some(p) = &req.problem {
        return Err(invalid(p.clone()));
    }
    let o = spec
        .operation(op.id())
        .ok_or_else(|| invalid(format!("{} is not in the spec", op.id())))?;
    let mut input = Input::default();
    for p in &o.parameters {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let loc = p.get("in").and_then(Value::as_str).unwrap_or("");
        // Authorization is checked by auth (401/403), not as a 400.
        if loc == "header" && name.eq_ignore_ascii_case("authorization") {
            continue;
        }
        let raw: Vec<String> = match loc {
            "path" => req
                .path_param(name)
                .map(str::to_owned)
                .into_iter()
                .collect(),
            "query" => req
                .query
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect(),
            "header" => req
                .headers
                .get_all(name)
                .iter()
                .map(|v| {
                    v.to_str()
                        .map(str::to_owned)
                        .map_err(|_| invalid(format!("header {name} is not text")))
                })
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        if raw.is_empty() {
            if p.get("required").and_then(Value::as_bool) == Some(true) {
                return Err(invalid(format!("missing required {loc} parameter {name}")));
            }
            continue;
        }
        let mut schema = p
            .get("schema")
            .map(|s| spec.resolve(s))
            .unwrap_or(&Value::Null);
        let list_schema;
        if COMMA_LISTS.contains(&(op, name)) {
            list_schema = serde_json::json!({"type": "array", "items": schema});
            schema = &list_schema;
        }
        let raw = if name.eq_ignore_ascii_case("content-type") {
            raw.iter().map(|v| essence(v)).collect()
        } else {
            raw
        };
        let value = coerce(spec, schema, &raw)
            .map_err(|e| invalid(format!("{loc} parameter {name}: {e}")))?;
        let errors = spec.validate(schema, &value);
        if !errors.is_empty() {
            return Err(invalid(format!(
                "{loc} parameter {name}: {}",
                join(&errors)
            )));
        }
        match loc {
            "path" => input.path.insert(name.to_owned(), value),
            "query" => input.query.insert(name.to_owned(), value),
            _ => None,
        };
    }
    input.body = body(spec, op, &o, req)?;
    Ok(input)
}

fn body(
    spec: &OpenApi,
    op: Op,
    o: &super::openapi::Operation<'_>,
    req: &ApiRequest,
) -> Result<Option<Value>, ApiError> {
    let media = o.request_media();
    if media.is_empty() {
        return Ok(None);
    }
    if req.body.iter().all(u8::is_ascii_whitespace) {
        if o.request_body_required() {
            return Err(invalid("request body is required"));
        }
        return Ok(None);
    }
    let ct = req
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence)
        .unwrap_or_default();
    let Some((mt, schema)) = media.iter().find(|(m, _)| *m == ct) else {
        let accepted: Vec<&str> = media.iter().map(|(m, _)| *m).collect();
        return Err(invalid(format!(
            "Content-Type {ct:?} not accepted; expected {}",
            accepted.join(" or ")
        )));
    };
    let value = if *mt == "application/x-www-form-urlencoded" {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&req.body)
            .map_err(|e| invalid(format!("bad form body: {e}")))?;
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_slice(&req.body)
            .map_err(|e| invalid(format!("body is not valid JSON: {e}")))?
    };
    // SPEC QUIRK: balanceInfoV3's body schema is `type: string` while its text says "send {}";
    // clients send the object `{}`, so that body is not checked against the schema.
    if op != Op::BalanceInfoV3 {
        let errors = spec.validate(schema, &value);
        if !errors.is_empty() {
            return Err(invalid(format!("body: {}", join(&errors))));
        }
    }
    Ok(Some(value))
}

fn join(errors: &[super::openapi::SchemaError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Turns raw parameter strings into JSON per the schema type. Arrays accept both repeated
/// parameters (`?a=1&a=2`, OpenAPI's default `form`+`explode`) and comma lists (`?a=1,2`, as
/// the spec's examples write them).
fn coerce(spec: &OpenApi, schema: &Value, raw: &[String]) -> Result<Value, String> {
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    if ty == "array" {
        let items = schema
            .get("items")
            .map(|s| spec.resolve(s))
            .unwrap_or(&Value::Null);
        let parts = raw
            .iter()
            .flat_map(|r| r.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        return parts
            .map(|s| scalar(items, s))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    scalar(schema, raw.first().map(String::as_str).unwrap_or(""))
}

fn scalar(schema: &Value, s: &str) -> Result<Value, String> {
    match schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string")
    {
        "integer" => s
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{s:?} is not an integer")),
        "number" => s
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| format!("{s:?} is not a number")),
        "boolean" => match s.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{s:?} is not a boolean")),
        },
        _ => Ok(Value::String(s.to_owned())),
    }
}

/// A required `YYYY-MM-DD` field of an object body.
pub(crate) fn date_field(body: &Value, field: &str) -> Result<NaiveDate, ApiError> {
    let s = body
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{field} is required")))?;
    if !super::openapi::is_date(s) {
        return Err(invalid(format!("{field}: {s:?} is not a YYYY-MM-DD date")));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| invalid(format!("{field}: {e}")))
}

/// `from <= to`, and `from` no more than `max_back` days before `today` when given.
pub(crate) fn date_range(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    max_back: Option<i64>,
) -> Result<(), ApiError> {
    if from > to {
        return Err(invalid(format!("dateFrom {from} is after dateTo {to}")));
    }
    if let Some(max) = max_back
        && (today - from).num_days() > max
    {
        return Err(invalid(format!(
            "dateFrom {from} is more than {max} days before today ({today})"
        )));
    }
    Ok(())
}

/// An optional array of integers (`null` and absent are both `None`).
pub(crate) fn int_list(v: Option<&Value>) -> Option<Vec<i64>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
}
