//! The Avito OpenAPI subset and a small validator for the part of JSON Schema it uses.
//!
//! The emulator and the contract server check incoming requests with it, and the contract test
//! checks the emulator's responses with it, so neither side can drift from the document.
//! Supported keywords: `type` (with OpenAPI 3.0 `nullable`), `required`, `properties`,
//! `additionalProperties`, `items`, `enum`, `minimum`/`maximum` (+ 3.0 boolean
//! `exclusiveMinimum`/`exclusiveMaximum`), `minItems`/`maxItems`, `minLength`/`maxLength`,
//! `pattern` (ECMA-262, see [`pattern_matches`]), `format` (`date`, `date-time`, `int32`,
//! `int64`), `$ref` to local components, `allOf`/`anyOf`/`oneOf`. Annotation keywords
//! (`description`, `example`, `default`, `deprecated`, `title`) are ignored.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The spec copied into this crate (byte-identical to `shared/avito/avito-analytics-openapi.json`).
pub const SPEC_JSON: &str = include_str!("../../openapi/avito-analytics-openapi.json");

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A parsed OpenAPI 3 document.
#[derive(Debug, Clone)]
pub struct OpenApi {
    doc: Value,
}

/// One violation: where in the instance, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// JSON-pointer-like path into the validated value (`""` is the root).
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// One operation of the document, with path-level parameters merged in.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    pub id: &'a str,
    /// Lower-case HTTP method as in the document (`get`, `post`).
    pub method: &'a str,
    pub path: &'a str,
    /// Resolved parameter objects (path-level first, then operation-level).
    pub parameters: Vec<&'a Value>,
    request_body: Option<&'a Value>,
    responses: Option<&'a Value>,
}

impl OpenApi {
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        Ok(Self {
            doc: serde_json::from_str(text)?,
        })
    }

    /// The copy embedded in this crate, parsed once.
    pub fn embedded() -> &'static OpenApi {
        static SPEC: OnceLock<OpenApi> = OnceLock::new();
        SPEC.get_or_init(|| {
            // The file is part of the crate and covered by tests; failing here is a build defect.
            OpenApi::from_json(SPEC_JSON).expect("embedded OpenAPI document is valid JSON")
        })
    }

    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Follows `$ref` chains (local `#/...` pointers only). Unresolvable refs resolve to `Null`.
    pub fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => v = self.pointer(r).unwrap_or(&Value::Null),
                None => return v,
            }
        }
        &Value::Null
    }

    fn pointer(&self, reference: &str) -> Option<&Value> {
        self.doc.pointer(reference.strip_prefix('#')?)
    }

    /// A schema under `components.schemas`.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.doc.get("components")?.get("schemas")?.get(name)
    }

    pub fn operations(&self) -> Vec<Operation<'_>> {
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (path, item) in paths {
            let shared: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| ps.iter().map(|p| self.resolve(p)).collect())
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let mut parameters = shared.clone();
                if let Some(own) = op.get("parameters").and_then(Value::as_array) {
                    for p in own.iter().map(|p| self.resolve(p)) {
                        // An operation-level parameter overrides a path-level one (same name+in).
                        parameters.retain(|q| {
                            !(q.get("name") == p.get("name") && q.get("in") == p.get("in"))
                        });
                        parameters.push(p);
                    }
                }
                out.push(Operation {
                    id: op.get("operationId").and_then(Value::as_str).unwrap_or(""),
                    method,
                    path,
                    parameters,
                    request_body: op.get("requestBody").map(|b| self.resolve(b)),
                    responses: op.get("responses"),
                });
            }
        }
        out
    }

    pub fn operation(&self, operation_id: &str) -> Option<Operation<'_>> {
        self.operations().into_iter().find(|o| o.id == operation_id)
    }

    /// Validates `instance` against `schema`; an empty vector means valid.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<SchemaError> {
        let mut errors = Vec::new();
        self.check(schema, instance, "", &mut errors);
        errors
    }

    fn check(&self, schema: &Value, v: &Value, path: &str, errs: &mut Vec<SchemaError>) {
        let schema = self.resolve(schema);
        let Some(s) = schema.as_object() else { return };
        let mut err = |message: String| {
            errs.push(SchemaError {
                path: path.to_owned(),
                message,
            })
        };

        if v.is_null() {
            if s.get("nullable").and_then(Value::as_bool) == Some(true) {
                return;
            }
            if s.contains_key("type") {
                err("null is not allowed (not nullable)".into());
                return;
            }
        }
        if let Some(t) = s.get("type").and_then(Value::as_str)
            && !type_matches(t, v)
        {
            err(format!("expected {t}, got {}", type_name(v)));
            return;
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array)
            && !values.iter().any(|e| json_eq(e, v))
        {
            err(format!(
                "{v} is not one of {}",
                Value::Array(values.clone())
            ));
        }
        if v.is_number() {
            check_number(s, v, &mut err);
        }
        if let Some(text) = v.as_str() {
            check_string(s, text, &mut err);
        }

        if let Some(arr) = v.as_array() {
            self.check_array(s, arr, path, errs);
        }
        if let Some(obj) = v.as_object() {
            self.check_object(s, obj, path, errs);
        }
        self.check_combinators(s, v, path, errs);
    }

    fn check_array(
        &self,
        s: &serde_json::Map<String, Value>,
        arr: &[Value],
        path: &str,
        errs: &mut Vec<SchemaError>,
    ) {
        let len = arr.len() as u64;
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            errs.push(SchemaError {
                path: path.into(),
                message: format!("fewer than {} items", s["minItems"]),
            });
        }
        if s.get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            errs.push(SchemaError {
                path: path.into(),
                message: format!("more than {} items", s["maxItems"]),
            });
        }
        if let Some(items) = s.get("items") {
            for (i, e) in arr.iter().enumerate() {
                self.check(items, e, &format!("{path}/{i}"), errs);
            }
        }
    }

    fn check_object(
        &self,
        s: &serde_json::Map<String, Value>,
        obj: &serde_json::Map<String, Value>,
        path: &str,
        errs: &mut Vec<SchemaError>,
    ) {
        // `required` only constrains objects (the spec puts one on an array schema, which is inert).
        // The path is the missing property's own, so a refusal names the field.
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for name in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(name) {
                    errs.push(SchemaError {
                        path: format!("{path}/{name}"),
                        message: "required, missing".into(),
                    });
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            let child = format!("{path}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => self.check(ps, val, &child, errs),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errs.push(SchemaError {
                        path: child,
                        message: "additional property not allowed".into(),
                    }),
                    Some(extra @ Value::Object(_)) => self.check(extra, val, &child, errs),
                    _ => {}
                },
            }
        }
    }

    fn check_combinators(
        &self,
        s: &serde_json::Map<String, Value>,
        v: &Value,
        path: &str,
        errs: &mut Vec<SchemaError>,
    ) {
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(sub, v, path, errs);
            }
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array)
            && !any.iter().any(|sub| self.validate(sub, v).is_empty())
        {
            errs.push(SchemaError {
                path: path.into(),
                message: "matches none of anyOf".into(),
            });
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let matching = one
                .iter()
                .filter(|sub| self.validate(sub, v).is_empty())
                .count();
            if matching != 1 {
                errs.push(SchemaError {
                    path: path.into(),
                    message: format!("matches {matching} of oneOf (need 1)"),
                });
            }
        }
    }
}

impl<'a> Operation<'a> {
    /// Whether the document marks the request body as required.
    pub fn request_body_required(&self) -> bool {
        self.request_body
            .and_then(|b| b.get("required"))
            .and_then(Value::as_bool)
            == Some(true)
    }

    /// Media types the request body may have, with their schemas.
    pub fn request_media(&self) -> Vec<(&'a str, &'a Value)> {
        let Some(content) = self
            .request_body
            .and_then(|b| b.get("content"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        content
            .iter()
            .filter_map(|(k, m)| Some((k.as_str(), m.get("schema")?)))
            .collect()
    }

    /// The response object for a status (falling back to `default`), if documented.
    pub fn response(&self, status: u16) -> Option<&'a Value> {
        let r = self.responses?;
        r.get(status.to_string()).or_else(|| r.get("default"))
    }

    /// The JSON schema of a response; `None` if the status is undocumented or has no content.
    pub fn response_schema(&self, status: u16) -> Option<&'a Value> {
        self.response(status)?
            .get("content")?
            .get("application/json")?
            .get("schema")
    }

    /// Names of the headers a response documents.
    pub fn response_headers(&self, status: u16) -> Vec<&'a str> {
        self.response(status)
            .and_then(|r| r.get("headers"))
            .and_then(Value::as_object)
            .map(|h| h.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Statuses with an explicit entry (not `default`).
    pub fn documented_statuses(&self) -> Vec<u16> {
        self.responses
            .and_then(Value::as_object)
            .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
            .unwrap_or_default()
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "number" => v.is_number(),
        // JSON Schema: 5.0 is an integer too.
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Numbers compare by value (1 == 1.0); everything else structurally.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Range and integer-format checks of a number.
fn check_number(s: &serde_json::Map<String, Value>, v: &Value, err: &mut impl FnMut(String)) {
    if let Some(n) = v.as_f64() {
        check_range(s, n, err);
    }
    match (s.get("format").and_then(Value::as_str), v.as_i64()) {
        (Some("int32"), Some(n)) if i32::try_from(n).is_err() => {
            err(format!("{n} does not fit int32"));
        }
        // Beyond i64 but still an unsigned JSON integer.
        (Some("int64"), None) if v.as_u64().is_some() => err(format!("{v} does not fit int64")),
        _ => {}
    }
}

/// `format`, `minLength`/`maxLength` and `pattern` of a string.
fn check_string(s: &serde_json::Map<String, Value>, text: &str, err: &mut impl FnMut(String)) {
    if let Some(f) = s.get("format").and_then(Value::as_str)
        && !string_format_ok(f, text)
    {
        err(format!("{text:?} is not a valid {f}"));
    }
    let len = text.chars().count() as u64;
    if s.get("minLength")
        .and_then(Value::as_u64)
        .is_some_and(|m| len < m)
    {
        err(format!("string shorter than minLength {}", s["minLength"]));
    }
    if s.get("maxLength")
        .and_then(Value::as_u64)
        .is_some_and(|m| len > m)
    {
        err(format!("string longer than maxLength {}", s["maxLength"]));
    }
    if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
        match pattern_matches(pattern, text) {
            Ok(true) => {}
            Ok(false) => err(format!("{text:?} does not match {pattern}")),
            // Never a silent pass: a pattern that cannot be checked refuses the value.
            Err(e) => err(format!(
                "the schema's pattern {pattern} cannot be checked: {e}"
            )),
        }
    }
}

/// Whether `text` matches the schema `pattern`, an ECMA-262 regular expression searched for
/// anywhere in the text (anchors are the pattern's own), as JSON Schema defines it.
///
/// The `regex` crate reads most of ECMA-262 the same way. Where they differ, the pattern is
/// adapted so a value is never accepted that an ECMA engine refuses: `\d`, `\w`, `\b` and
/// their negations are ASCII-only in ECMA (Unicode-aware in `regex`), so they are narrowed to
/// ASCII. What `regex` cannot express (look-around, back-references) is an error.
pub fn pattern_matches(pattern: &str, text: &str) -> Result<bool, String> {
    type Compiled = Result<regex::Regex, String>;
    // Compiled once per pattern: a request parameter's pattern is checked on every request.
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let compiled = {
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| {
                regex::Regex::new(&ecma_to_regex(pattern)).map_err(|e| e.to_string())
            })
            .clone()
    };
    compiled.map(|re| re.is_match(text))
}

/// An ECMA-262 pattern in the `regex` crate's syntax, with ECMA's ASCII-only classes.
fn ecma_to_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                match (next, in_class) {
                    ('d' | 'D' | 'w' | 'W' | 'b' | 'B', false) => {
                        out.push_str("(?-u:\\");
                        out.push(next);
                        out.push(')');
                    }
                    ('d', true) => out.push_str("0-9"),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    // A nested class: the `regex` crate's union inside `[...]`.
                    ('D', true) => out.push_str("[^0-9]"),
                    ('W', true) => out.push_str("[^0-9A-Za-z_]"),
                    _ => {
                        out.push(c);
                        out.push(next);
                    }
                }
            }
            // ECMA's `.` stops at every line terminator, `regex`'s at `\n` only.
            '.' if !in_class => out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn check_range(s: &serde_json::Map<String, Value>, n: f64, err: &mut impl FnMut(String)) {
    let excl = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
    if let Some(min) = s.get("minimum").and_then(Value::as_f64)
        && (n < min || (excl("exclusiveMinimum") && n == min))
    {
        err(format!("{n} is below the minimum {min}"));
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64)
        && (n > max || (excl("exclusiveMaximum") && n == max))
    {
        err(format!("{n} is above the maximum {max}"));
    }
}

fn string_format_ok(format: &str, text: &str) -> bool {
    match format {
        "date" => is_date(text),
        "date-time" => is_date_time(text),
        _ => true,
    }
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// RFC 3339, or the same without an offset: the spec's own request example
/// (`"2020-04-01T00:00:00"`) has none, so a strict check would reject the documented form.
pub fn is_date_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_spec_has_the_seventeen_operations() {
        assert_eq!(OpenApi::embedded().operations().len(), 17);
    }

    #[test]
    fn patterns_are_searched_as_ecma_reads_them() {
        let statuses =
            "^(active|removed|old|blocked|rejected)(,(active|removed|old|blocked|rejected))*$";
        for ok in ["active", "active,old", "rejected,blocked,removed"] {
            assert_eq!(pattern_matches(statuses, ok), Ok(true), "{ok}");
        }
        for bad in ["", "active,", ",old", "active,sold", "Active", "active old"] {
            assert_eq!(pattern_matches(statuses, bad), Ok(false), "{bad:?}");
        }
        // Unanchored: a match anywhere counts, as in JSON Schema.
        assert_eq!(pattern_matches("b+", "abba"), Ok(true));
        // ECMA's classes are ASCII: an Arabic-Indic digit or a Cyrillic letter is not `\d`/`\w`.
        assert_eq!(pattern_matches("^\\d+$", "\u{663}"), Ok(false));
        assert_eq!(pattern_matches("^[\\d-]+$", "12-\u{663}"), Ok(false));
        assert_eq!(pattern_matches("^[\\d-]+$", "12-3"), Ok(true));
        assert_eq!(pattern_matches("^\\w+$", "ж"), Ok(false));
        assert_eq!(pattern_matches("^[^\\W]+$", "abc_1"), Ok(true));
        assert_eq!(pattern_matches("^a.b$", "a\rb"), Ok(false));
        assert_eq!(pattern_matches("^a.b$", "a-b"), Ok(true));
        assert_eq!(pattern_matches("\\bid\\b", "an id here"), Ok(true));
        // What the `regex` crate cannot express refuses, never passes.
        assert!(pattern_matches("^(?=a)", "a").is_err());
        let api = OpenApi::embedded();
        let schema = json!({"type": "string", "pattern": statuses});
        let errs = api.validate(&schema, &json!("active,sold"));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("does not match"), "{errs:?}");
        assert!(api.validate(&schema, &json!(5)).len() == 1, "type first");
    }

    #[test]
    fn every_pattern_in_the_spec_compiles() {
        fn walk(v: &Value, found: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if let Some(p) = o.get("pattern").and_then(Value::as_str) {
                        found.push(p.to_owned());
                    }
                    o.values().for_each(|c| walk(c, found));
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(OpenApi::embedded().document(), &mut found);
        assert!(
            !found.is_empty(),
            "the spec has a pattern (getItemsInfo status)"
        );
        for p in found {
            assert!(pattern_matches(&p, "").is_ok(), "{p}");
        }
    }

    #[test]
    fn validator_catches_each_keyword() {
        let api = OpenApi::embedded();
        let req = api.schema("AnalyticsRequest").unwrap();
        let ok = json!({"dateFrom":"2024-01-01","dateTo":"2024-01-02","metrics":["views"],
            "grouping":"day","limit":10,"offset":null});
        assert!(api.validate(req, &ok).is_empty());
        let bad = json!({"dateFrom":"2024-13-01","dateTo":5,"metrics":"views","grouping":"year","limit":1001});
        let errs = api.validate(req, &bad);
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        for needle in [
            "/dateFrom",
            "/dateTo",
            "/metrics",
            "/grouping",
            "/limit",
            "/offset",
        ] {
            assert!(
                text.iter().any(|e| e.contains(needle)),
                "{needle} not in {text:?}"
            );
        }
        let chat = api.schema("Chat").unwrap();
        assert!(
            !api.validate(chat, &json!({"created": 1u64 << 40}))
                .is_empty(),
            "int32 overflow"
        );
        assert!(
            !api.validate(chat, &json!({"id": null})).is_empty(),
            "null where not nullable"
        );
    }
}
