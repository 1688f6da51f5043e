//! Request validation, the same for the emulator and the contract server: the operation's
//! parameters and body against their schemas in the OpenAPI document, then parameters and body
//! fields the document does not have, then the rules the spec states only in prose (≤ 200 item
//! ids, ≤ 270 days back, ≤ 1 week range, ...).
//!
//! A refusal names the field and what is wrong with it, e.g.
//! `query parameter status: "active,sold" does not match ^(active|…)$` or
//! `body field dateFrom: required, missing`; several are joined with `; `.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use super::data::{DOCUMENTED_METRICS, moscow, moscow_midnight, shift};
use super::error::ApiError;
use super::openapi::{OpenApi, Operation, SchemaError};
use super::ops::Op;
use super::request::ApiRequest;

/// "Глубина данных статистики ... ограничена 270 днями" (stats v1, v2 and spendings).
const MAX_DAYS_BACK: i64 = 270;
/// Item ids per stats v1 request.
const MAX_V1_ITEMS: usize = 200;
/// "больше 0 и меньше 100" is ambiguous about 100 itself; 100 is accepted, 101+ refused.
const MAX_PER_PAGE: i64 = 100;
/// The spending types the `spendingTypes` items describe.
const SPENDING_TYPES: [&str; 5] = ["all", "promotion", "presence", "commission", "rest"];
/// Longest span of one operations-history request, and how far back it may start.
const HISTORY_MAX_SECONDS: i64 = 7 * 86_400;
const HISTORY_MAX_DAYS_BACK: i64 = 365;

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

/// Checks `req` as a request of `operation_id`. `today` is the Moscow date the prose rules
/// count days from (the emulator's dataset date, or the real one).
pub(crate) fn validate(
    spec: &OpenApi,
    operation_id: &str,
    req: &ApiRequest,
    today: NaiveDate,
) -> Result<Input, ApiError> {
    if let Some(p) = &req.problem {
        return Err(invalid(p.clone()));
    }
    let o = spec
        .operation(operation_id)
        .ok_or_else(|| invalid(format!("{operation_id} is not in the spec")))?;
    let mut input = Input::default();
    let mut problems = Vec::new();
    parameters(spec, &o, req, &mut input, &mut problems);
    undeclared_query(&o, req, &mut problems);
    match body(spec, &o, req) {
        Ok(b) => input.body = b,
        Err(found) => problems.extend(found),
    }
    // The prose rules read typed values, so only a request that fits the schemas gets them.
    if problems.is_empty()
        && let Some(op) = Op::from_id(operation_id)
    {
        documented_rules(op, &input, today, &mut problems);
    }
    if problems.is_empty() {
        Ok(input)
    } else {
        Err(invalid(problems.join("; ")))
    }
}

fn parameters(
    spec: &OpenApi,
    o: &Operation<'_>,
    req: &ApiRequest,
    input: &mut Input,
    problems: &mut Vec<String>,
) {
    for p in &o.parameters {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let loc = p.get("in").and_then(Value::as_str).unwrap_or("");
        let what = format!("{loc} parameter {name}");
        let raw = match raw_values(req, loc, name) {
            Ok(raw) => raw,
            Err(e) => {
                problems.push(format!("{what}: {e}"));
                continue;
            }
        };
        if raw.is_empty() {
            if p.get("required").and_then(Value::as_bool) == Some(true) {
                problems.push(format!("{what}: required, missing"));
            }
            continue;
        }
        let schema = p
            .get("schema")
            .map(|s| spec.resolve(s))
            .unwrap_or(&Value::Null);
        let value = match coerce(spec, p, schema, &raw) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{what}: {e}"));
                continue;
            }
        };
        let errors = spec.validate(schema, &value);
        if !errors.is_empty() {
            problems.extend(errors.iter().map(|e| located(&what, e)));
            continue;
        }
        match loc {
            "path" => input.path.insert(name.to_owned(), value),
            "query" => input.query.insert(name.to_owned(), value),
            _ => None,
        };
    }
}

/// Every value `req` carries for a parameter, as text.
fn raw_values(req: &ApiRequest, loc: &str, name: &str) -> Result<Vec<String>, String> {
    Ok(match loc {
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
        "header" => {
            let values = req
                .headers
                .get_all(name)
                .iter()
                // Bytes beyond visible ASCII are legal in a header (obs-text); only text that
                // is not UTF-8 cannot be the schema's string.
                .map(|v| std::str::from_utf8(v.as_bytes()).map_err(|_| "not UTF-8 text".to_owned()))
                .collect::<Result<Vec<_>, _>>()?;
            // The media type is what counts, not its parameters (`; charset=utf-8`).
            if name.eq_ignore_ascii_case("content-type") {
                values.iter().map(|v| essence(v)).collect()
            } else {
                values.into_iter().map(str::to_owned).collect()
            }
        }
        _ => Vec::new(),
    })
}

/// Query parameters the operation does not have. A server ignores them, so a misspelt one
/// (`perPage`) would silently change the answer: refused here.
fn undeclared_query(o: &Operation<'_>, req: &ApiRequest, problems: &mut Vec<String>) {
    let mut named: Vec<&str> = Vec::new();
    for (name, _) in &req.query {
        let declared = o.parameters.iter().any(|p| {
            p.get("in").and_then(Value::as_str) == Some("query")
                && p.get("name").and_then(Value::as_str) == Some(name.as_str())
        });
        if !declared && !named.contains(&name.as_str()) {
            named.push(name);
            problems.push(format!("query parameter {name}: not in the spec"));
        }
    }
}

fn body(spec: &OpenApi, o: &Operation<'_>, req: &ApiRequest) -> Result<Option<Value>, Vec<String>> {
    let media = o.request_media();
    let empty = req.body.iter().all(u8::is_ascii_whitespace);
    if media.is_empty() {
        return if empty {
            Ok(None)
        } else {
            Err(vec!["body: this operation takes none".to_owned()])
        };
    }
    if empty {
        return if o.request_body_required() {
            Err(vec!["body: required, missing".to_owned()])
        } else {
            Ok(None)
        };
    }
    let ct = req
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence)
        .unwrap_or_default();
    let Some((mt, schema)) = media.iter().find(|(m, _)| *m == ct) else {
        let accepted: Vec<&str> = media.iter().map(|(m, _)| *m).collect();
        return Err(vec![format!(
            "header Content-Type: {ct:?} not accepted; expected {}",
            accepted.join(" or ")
        )]);
    };
    let value = if *mt == "application/x-www-form-urlencoded" {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&req.body)
            .map_err(|e| vec![format!("body: not a form: {e}")])?;
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_slice(&req.body).map_err(|e| vec![format!("body: not JSON: {e}")])?
    };
    let mut problems: Vec<String> = spec
        .validate(schema, &value)
        .iter()
        .map(|e| located("body", e))
        .collect();
    undocumented(spec, schema, &value, "", &mut problems);
    if problems.is_empty() {
        Ok(Some(value))
    } else {
        Err(problems)
    }
}

/// Body fields the schema does not describe. JSON Schema lets them through (these schemas set
/// no `additionalProperties: false`), but a server ignores what it does not know, so a
/// misspelt field (`categoryIds`) would silently change the answer: refused here.
fn undocumented(spec: &OpenApi, schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let s = spec.resolve(schema);
    match v {
        Value::Object(obj) => {
            let Some(props) = s.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (k, child) in obj {
                let at = format!("{path}/{k}");
                match (props.get(k), s.get("additionalProperties")) {
                    (Some(ps), _) => undocumented(spec, ps, child, &at, out),
                    (None, Some(extra @ Value::Object(_))) => {
                        undocumented(spec, extra, child, &at, out)
                    }
                    // `false` is the schema's own check.
                    (None, Some(Value::Bool(false))) => {}
                    (None, _) => out.push(located(
                        "body",
                        &SchemaError {
                            path: at,
                            message: "not in the spec".into(),
                        },
                    )),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = s.get("items") {
                for (i, e) in items.iter().enumerate() {
                    undocumented(spec, item, e, &format!("{path}/{i}"), out);
                }
            }
        }
        _ => {}
    }
}

/// `what` and the place inside it: `body field filter.categoryIDs[0]: …`,
/// `query parameter chat_types[1]: …`, `body: …`.
fn located(what: &str, e: &SchemaError) -> String {
    let mut at = String::new();
    for segment in e.path.split('/').skip(1) {
        if segment.parse::<usize>().is_ok() {
            at.push('[');
            at.push_str(segment);
            at.push(']');
        } else {
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(segment);
        }
    }
    if at.is_empty() {
        format!("{what}: {}", e.message)
    } else if what == "body" && !at.starts_with('[') {
        format!("body field {at}: {}", e.message)
    } else {
        format!("{what}{at}: {}", e.message)
    }
}

/// Raw parameter strings to JSON per the parameter's schema and serialization. An array is
/// one comma-separated value under `explode: false`, repeated parameters under `explode: true`
/// (OpenAPI's default for the `form` style of query parameters); anything else comes once.
fn coerce(spec: &OpenApi, param: &Value, schema: &Value, raw: &[String]) -> Result<Value, String> {
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    if ty != "array" {
        return match raw {
            [one] => scalar(schema, one),
            _ => Err(format!("given {} times", raw.len())),
        };
    }
    let items = schema
        .get("items")
        .map(|s| spec.resolve(s))
        .unwrap_or(&Value::Null);
    let in_query = param.get("in").and_then(Value::as_str) == Some("query");
    let style = param.get("style").and_then(Value::as_str);
    let form = style.map_or(in_query, |s| s == "form");
    let explode = param
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(form);
    let parts: Vec<&str> = match (explode, raw) {
        (true, _) => raw.iter().map(String::as_str).collect(),
        // `item_ids=` is the empty list.
        (false, [one]) if one.is_empty() => Vec::new(),
        (false, [one]) => one.split(',').collect(),
        (false, _) => {
            return Err(format!(
                "given {} times; its serialization is one comma-separated value",
                raw.len()
            ));
        }
    };
    parts
        .into_iter()
        .map(|s| scalar(items, s))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// One value as text, read as the schema's type. No trimming: `" 5"` is not an integer.
fn scalar(schema: &Value, s: &str) -> Result<Value, String> {
    match schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string")
    {
        "integer" => s
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{s:?} is not an integer")),
        "number" => s
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| format!("{s:?} is not a number")),
        "boolean" => match s {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{s:?} is not a boolean")),
        },
        _ => Ok(Value::String(s.to_owned())),
    }
}

/// The rules the spec states only in its descriptions, on a request that fits the schemas.
fn documented_rules(op: Op, input: &Input, today: NaiveDate, problems: &mut Vec<String>) {
    let body = input.body_or_empty();
    let mut check = |r: Result<(), ApiError>| {
        if let Err(e) = r {
            problems.push(e.to_string());
        }
    };
    match op {
        Op::GetItemsInfo => check(items_page(input)),
        Op::ItemStatsShallow => {
            check(stats_dates(&body, today, Some(MAX_DAYS_BACK)));
            let ids = body
                .get("itemIds")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if ids > MAX_V1_ITEMS {
                check(Err(invalid(format!(
                    "body field itemIds: {ids} ids; at most {MAX_V1_ITEMS} per request"
                ))));
            }
        }
        Op::ItemAnalytics => {
            check(stats_dates(&body, today, Some(MAX_DAYS_BACK)));
            check(listed(&body, "metrics", DOCUMENTED_METRICS));
            check(sort_key(&body));
        }
        Op::AccountSpendings => {
            check(stats_dates(&body, today, Some(MAX_DAYS_BACK)));
            check(listed(&body, "spendingTypes", &SPENDING_TYPES));
        }
        // Dates "(YYYY-MM-DD)" per the descriptions; no depth limit is documented for calls.
        Op::PostCallsStats => check(stats_dates(&body, today, None)),
        Op::PostOperationsHistory => check(history_window(&body, today)),
        _ => {}
    }
}

/// `per_page` of 1..=100 and `page` from 1; `updatedAtFrom` a `YYYY-MM-DD` date.
fn items_page(input: &Input) -> Result<(), ApiError> {
    if let Some(per_page) = input.query_i64("per_page")
        && !(1..=MAX_PER_PAGE).contains(&per_page)
    {
        return Err(invalid(format!(
            "query parameter per_page: {per_page} is not in 1..={MAX_PER_PAGE}"
        )));
    }
    if let Some(page) = input.query_i64("page")
        && page < 1
    {
        return Err(invalid(format!("query parameter page: {page} is below 1")));
    }
    match input.query.get("updatedAtFrom").and_then(Value::as_str) {
        Some(d) if !super::openapi::is_date(d) => Err(invalid(format!(
            "query parameter updatedAtFrom: {d:?} is not a YYYY-MM-DD date"
        ))),
        _ => Ok(()),
    }
}

/// `dateFrom` and `dateTo` as dates, in order, and `dateFrom` at most `max_back` days back.
fn stats_dates(body: &Value, today: NaiveDate, max_back: Option<i64>) -> Result<(), ApiError> {
    let (from, to) = (date_field(body, "dateFrom")?, date_field(body, "dateTo")?);
    if from > to {
        return Err(invalid(format!(
            "body field dateFrom: {from} is after dateTo {to}"
        )));
    }
    match max_back {
        Some(max) if (today - from).num_days() > max => Err(invalid(format!(
            "body field dateFrom: {from} is more than {max} days before today ({today})"
        ))),
        _ => Ok(()),
    }
}

/// `sort.key` is "a statistics metric" (its description): one of the documented slugs.
fn sort_key(body: &Value) -> Result<(), ApiError> {
    match body.pointer("/sort/key").and_then(Value::as_str) {
        Some(key) if !DOCUMENTED_METRICS.contains(&key) => Err(invalid(format!(
            "body field sort.key: {key:?} is not a documented metric"
        ))),
        _ => Ok(()),
    }
}

/// A list field with at least one element, each one of `known`.
fn listed(body: &Value, field: &str, known: &[&str]) -> Result<(), ApiError> {
    let list = body.get(field).and_then(Value::as_array);
    if list.is_none_or(Vec::is_empty) {
        return Err(invalid(format!("body field {field}: must not be empty")));
    }
    for (i, v) in list.into_iter().flatten().enumerate() {
        if !v.as_str().is_some_and(|s| known.contains(&s)) {
            return Err(invalid(format!(
                "body field {field}[{i}]: {v} is not one of {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// At most a week, in order, starting at most a year back.
fn history_window(body: &Value, today: NaiveDate) -> Result<(), ApiError> {
    let from = date_time(body, "dateTimeFrom")?;
    let to = date_time(body, "dateTimeTo")?;
    if from > to {
        return Err(invalid(
            "body field dateTimeFrom: after dateTimeTo".to_owned(),
        ));
    }
    if to - from > HISTORY_MAX_SECONDS {
        return Err(invalid(
            "body field dateTimeTo: more than one week after dateTimeFrom".to_owned(),
        ));
    }
    if from < moscow_midnight(shift(today, -HISTORY_MAX_DAYS_BACK)) {
        return Err(invalid(
            "body field dateTimeFrom: more than a year before today".to_owned(),
        ));
    }
    Ok(())
}

/// A required `YYYY-MM-DD` field of an object body.
pub(crate) fn date_field(body: &Value, field: &str) -> Result<NaiveDate, ApiError> {
    let s = body
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("body field {field}: required, missing")))?;
    if !super::openapi::is_date(s) {
        return Err(invalid(format!(
            "body field {field}: {s:?} is not a YYYY-MM-DD date"
        )));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| invalid(format!("body field {field}: {e}")))
}

/// Unix seconds of a date-time field; one without an offset (the spec's example) is Moscow time.
pub(crate) fn date_time(body: &Value, field: &str) -> Result<i64, ApiError> {
    let s = body
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("body field {field}: required, missing")))?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .and_then(|n| moscow().from_local_datetime(&n).single())
        .map(|t| t.timestamp())
        .ok_or_else(|| invalid(format!("body field {field}: {s:?} is not a date-time")))
}

/// An optional array of integers (`null` and absent are both `None`).
pub(crate) fn int_list(v: Option<&Value>) -> Option<Vec<i64>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, header};
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
    }

    fn request(path: &[(&str, &str)], query: &[(&str, &str)], body: Option<Value>) -> ApiRequest {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        if body.is_some() {
            let json = HeaderValue::from_static("application/json");
            headers.insert(header::CONTENT_TYPE, json);
        }
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        ApiRequest {
            path: pairs(path),
            query: pairs(query),
            headers,
            body: body.map(|b| b.to_string().into()).unwrap_or_default(),
            problem: None,
        }
    }

    fn check(op: &str, req: &ApiRequest) -> Result<Input, String> {
        validate(OpenApi::embedded(), op, req, today()).map_err(|e| e.to_string())
    }

    const USER: [(&str, &str); 1] = [("user_id", "7")];

    #[test]
    fn query_lists_follow_their_serialization() {
        let chats = |query: &[(&str, &str)]| check("getChatsV2", &request(&USER, query, None));
        let input = chats(&[("chat_types", "u2i,a2u"), ("item_ids", "")]).expect("valid");
        assert_eq!(input.query["chat_types"], json!(["u2i", "a2u"]));
        assert_eq!(input.query["item_ids"], json!([]), "an empty list");
        // `explode: false`: one comma-separated value, never repeated parameters.
        let repeated = chats(&[("chat_types", "u2i"), ("chat_types", "u2u")]).unwrap_err();
        assert!(
            repeated.starts_with("query parameter chat_types: given 2 times"),
            "{repeated}"
        );
        let empty_element = chats(&[("chat_types", "u2i,")]).unwrap_err();
        assert!(
            empty_element.starts_with("query parameter chat_types[1]: \"\""),
            "{empty_element}"
        );
        let twice = chats(&[("limit", "5"), ("limit", "6")]).unwrap_err();
        assert_eq!(twice, "query parameter limit: given 2 times");
        let spaced = chats(&[("limit", " 5")]).unwrap_err();
        assert_eq!(spaced, "query parameter limit: \" 5\" is not an integer");
    }

    #[test]
    fn the_status_list_is_checked_by_the_specs_pattern() {
        let items =
            |status: &str| check("getItemsInfo", &request(&[], &[("status", status)], None));
        assert_eq!(
            items("active,old,removed,blocked,rejected")
                .expect("valid")
                .query["status"],
            json!("active,old,removed,blocked,rejected")
        );
        for bad in ["active,sold", "", "active,", "not_found"] {
            let refused = items(bad).unwrap_err();
            assert!(
                refused.starts_with(&format!(
                    "query parameter status: {bad:?} does not match ^("
                )),
                "{refused}"
            );
        }
    }

    #[test]
    fn what_the_spec_does_not_have_is_refused() {
        let refused = check(
            "getItemsInfo",
            &request(&[], &[("perPage", "5"), ("perPage", "6")], None),
        )
        .unwrap_err();
        assert_eq!(refused, "query parameter perPage: not in the spec");
        let body = json!({"dateFrom": "2026-06-01", "dateTo": "2026-06-07", "spendingTypes": ["all"],
            "grouping": "day", "filter": {"categoryIds": [1]}, "extra": true});
        let refused = check("accountSpendings", &request(&USER, &[], Some(body))).unwrap_err();
        assert_eq!(
            refused,
            "body field extra: not in the spec; body field filter.categoryIds: not in the spec"
        );
        let refused = check("getUserInfoSelf", &request(&[], &[], Some(json!({})))).unwrap_err();
        assert_eq!(refused, "body: this operation takes none");
    }

    #[test]
    fn refusals_name_every_field_at_fault() {
        let body = json!({"dateFrom": "2026-13-01", "metrics": "views", "grouping": "year",
            "limit": 1001, "offset": null, "filter": {"categoryIDs": ["a"]}});
        let refused = check("itemAnalytics", &request(&USER, &[], Some(body))).unwrap_err();
        for part in [
            "body field dateTo: required, missing",
            "body field dateFrom: \"2026-13-01\" is not a valid date",
            "body field metrics: expected array, got string",
            "body field grouping: \"year\" is not one of",
            "body field limit: 1001 is above the maximum 1000",
            "body field filter.categoryIDs[0]: expected integer, got string",
        ] {
            assert!(refused.contains(part), "{part} not in {refused}");
        }
        assert!(!refused.contains("offset"), "null is allowed: {refused}");
        let sorted = |sort: Value| {
            let body = json!({"dateFrom": "2026-06-01", "dateTo": "2026-06-07",
                "metrics": ["views"], "grouping": "item", "limit": 10, "offset": 0, "sort": sort});
            check("itemAnalytics", &request(&USER, &[], Some(body)))
        };
        assert!(sorted(json!({"key": "views", "order": "desc"})).is_ok());
        assert!(sorted(Value::Null).is_ok(), "sort is nullable");
        for (sort, part) in [
            (
                json!({"key": "views"}),
                "body field sort.order: required, missing",
            ),
            (
                json!({"key": "views", "order": "down"}),
                "sort.order: \"down\" is not one of",
            ),
            (
                json!({"key": "likes", "order": "asc"}),
                "sort.key: \"likes\" is not a documented metric",
            ),
        ] {
            let refused = sorted(sort).unwrap_err();
            assert!(refused.contains(part), "{part} not in {refused}");
        }
    }

    #[test]
    fn the_rules_in_prose_are_checked_too() {
        let stats = |from: &str, ids: usize| {
            let body = json!({"itemIds": vec![1; ids], "dateFrom": from, "dateTo": "2026-06-14"});
            check("itemStatsShallow", &request(&USER, &[], Some(body)))
        };
        assert!(stats("2025-09-18", 200).is_ok(), "270 days back, 200 ids");
        let deep = stats("2025-09-17", 1).unwrap_err();
        assert!(
            deep.starts_with("body field dateFrom: 2025-09-17 is more than 270 days"),
            "{deep}"
        );
        let many = stats("2026-06-01", 201).unwrap_err();
        assert_eq!(many, "body field itemIds: 201 ids; at most 200 per request");
        let history = |from: &str, to: &str| {
            let body = json!({"dateTimeFrom": from, "dateTimeTo": to});
            check("postOperationsHistory", &request(&[], &[], Some(body)))
        };
        assert!(history("2026-06-07T00:00:00", "2026-06-14T00:00:00").is_ok());
        let long = history("2026-06-07T00:00:00", "2026-06-14T00:00:01").unwrap_err();
        assert_eq!(
            long,
            "body field dateTimeTo: more than one week after dateTimeFrom"
        );
        let old = history("2025-06-14T23:00:00+03:00", "2025-06-15T00:00:00+03:00").unwrap_err();
        assert_eq!(
            old,
            "body field dateTimeFrom: more than a year before today"
        );
        let page = check("getItemsInfo", &request(&[], &[("per_page", "101")], None)).unwrap_err();
        assert_eq!(page, "query parameter per_page: 101 is not in 1..=100");
    }
}
