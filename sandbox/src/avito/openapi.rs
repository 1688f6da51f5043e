//! The Avito OpenAPI subset and a small validator for the part of JSON Schema it uses.
//!
//! The emulator checks incoming requests with it, and the contract test checks the emulator's
//! responses with it, so neither side can drift from the document. Supported keywords: `type`
//! (with OpenAPI 3.0 `nullable`), `required`, `properties`, `additionalProperties`, `items`,
//! `enum`, `minimum`/`maximum` (+ 3.0 boolean `exclusiveMinimum`/`exclusiveMaximum`),
//! `minItems`/`maxItems`, `minLength`/`maxLength`, `format` (`date`, `date-time`, `int32`,
//! `int64`), `$ref` to local components, `allOf`/`anyOf`/`oneOf`. Annotation keywords
//! (`description`, `example`, `default`, `deprecated`, `title`) are ignored.

use std::fmt;
use std::sync::OnceLock;

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
        if let Some(n) = v.as_f64() {
            check_range(s, n, &mut err);
        }
        if let (Some(f), Some(text)) = (s.get("format").and_then(Value::as_str), v.as_str()) {
            if !string_format_ok(f, text) {
                err(format!("{text:?} is not a valid {f}"));
            }
        } else if let (Some(f), Some(n)) = (s.get("format").and_then(Value::as_str), v.as_i64()) {
            if f == "int32" && i32::try_from(n).is_err() {
                err(format!("{n} does not fit int32"));
            }
        } else if s.get("format").and_then(Value::as_str) == Some("int64")
            && v.as_u64().is_some()
            && v.as_i64().is_none()
        {
            err(format!("{v} does not fit int64"));
        }
        if let Some(text) = v.as_str() {
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
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for name in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(name) {
                    errs.push(SchemaError {
                        path: path.into(),
                        message: format!("missing required property {name:?}"),
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
    fn embedded_spec_has_the_fourteen_operations() {
        assert_eq!(OpenApi::embedded().operations().len(), 14);
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
            "\"offset\"",
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
