//! Random JSON values that are valid against a schema, biased toward the edges that break
//! clients.
//!
//! "Valid" means valid for [`OpenApi::validate`], under the keywords it supports: `type` (with
//! OpenAPI 3.0 `nullable`), `required`, `properties`, `additionalProperties`, `items`, `enum`,
//! `minimum`/`maximum` (+ boolean `exclusiveMinimum`/`exclusiveMaximum`), `minItems`/`maxItems`,
//! `minLength`/`maxLength`, `format` (`date`, `date-time`, `int32`, `int64`), `$ref` and
//! `allOf`/`anyOf`/`oneOf`. Plain schemas are valid by construction. With combinators the
//! branches are merged into one schema, the value is checked with the validator and generation is
//! retried a few times, because a merge cannot be exact in general (see [`random_value`]).
//!
//! The edges, per kind:
//! * objects: optional properties are often absent (each one independently, or all of them), or
//!   all present; 1–2 unknown properties are sometimes added where `additionalProperties` is not
//!   `false`. Property-less objects (maps such as image `sizes`) get a few arbitrary entries;
//! * `nullable`: null about a quarter of the time;
//! * integers: 0, ±1, small negatives, the bounds (so int32 or int64 extremes when the schema
//!   has no `minimum`/`maximum`), unix-time-like and uniformly random values;
//! * numbers: fractional (`86400.5`, `123.95`), integer-valued JSON (`86400`), 0, negatives,
//!   huge (`1e18`, `-1e18`, `1e300`), tiny (`1e-7`). A `number` with `format: int32` only gets
//!   integer JSON that fits int32 (that is all the validator checks);
//! * strings: empty, 40 chars long, Cyrillic, digits only, emoji, quotes and backslashes,
//!   whitespace, the text `null`; dates from `1970-01-01` to `9999-12-31` (with `2024-02-29`);
//!   date-times with `Z`, with `+03:00`, with fractional seconds, and without an offset (the
//!   spec's own example form, which the validator accepts);
//! * arrays: empty, 1–3 items, or the cap of [`MAX_ITEMS`];
//! * no `type`: any JSON value (null, boolean, number, string, small array or object).
//!
//! Integer-valued floats such as `5.0` are never generated for `integer`: OpenAPI 3.0 builds on
//! JSON Schema draft 4/5, where an integer is a number without a fraction or exponent part.

use serde_json::{Map, Value};

use crate::avito::openapi::{OpenApi, Operation};
use crate::avito::rng::SplitMix64;

/// Longest array generated (unless `minItems` asks for more): answers stay small and a client
/// that pages until a short page (99, 100 or 1000 items) always stops.
pub const MAX_ITEMS: usize = 6;
/// Longest string generated (unless `minLength` asks for more).
pub const MAX_CHARS: usize = 40;
/// Schema nesting followed in full. Deeper, objects get only their `required` properties and
/// arrays only `minItems` items, so recursive schemas terminate.
const MAX_DEPTH: usize = 12;
/// Depth a container consumes when the schema gives no type, so "any value" stays shallow.
const ANY_DEPTH_STEP: usize = 4;
/// Attempts for a schema with `allOf`/`anyOf`/`oneOf` before giving up on validity.
const COMBINATOR_TRIES: usize = 16;
/// How often a nullable value is null.
const NULL_CHANCE: f64 = 0.25;

/// A random value valid against `schema` (a schema object or a `$ref` into `spec`).
///
/// Deterministic for the state of `rng`. With `allOf`/`anyOf`/`oneOf`, a schema that no
/// generated value satisfies after a few tries (say, contradictory branches) yields the last
/// attempt, which the validator will reject; the spec has no such schema.
pub fn random_value(spec: &OpenApi, schema: &Value, rng: &mut SplitMix64) -> Value {
    Gen { spec, rng }.value(schema, 0)
}

/// A random body for the 200 response of `operation_id`, in the form its schema describes.
/// `None` if the spec has no such operation or it documents no JSON 200 response.
pub fn random_answer(spec: &OpenApi, operation_id: &str, rng: &mut SplitMix64) -> Option<Value> {
    let op = spec.operation(operation_id)?;
    Some(random_value(spec, ok_schema(&op)?, rng))
}

/// The schema of the operation's 200 JSON response, ignoring `default` (an error shape here).
pub fn ok_schema<'a>(op: &Operation<'a>) -> Option<&'a Value> {
    if !op.documented_statuses().contains(&200) {
        return None;
    }
    op.response_schema(200)
}

struct Gen<'a, 'r> {
    spec: &'a OpenApi,
    rng: &'r mut SplitMix64,
}

type Obj = Map<String, Value>;

/// The schema `true`: anything goes (an array without `items`).
static ANY_SCHEMA: Value = Value::Bool(true);

impl Gen<'_, '_> {
    fn value(&mut self, schema: &Value, depth: usize) -> Value {
        let schema = self.spec.resolve(schema);
        let Some(s) = schema.as_object() else {
            // `true`, a missing or an unresolvable schema: the validator accepts anything.
            return self.any(&Obj::new(), depth);
        };
        // The validator accepts null for a nullable schema before it looks at anything else.
        if s.get("nullable").and_then(Value::as_bool) == Some(true) && self.rng.chance(NULL_CHANCE)
        {
            return Value::Null;
        }
        if ["allOf", "anyOf", "oneOf"]
            .iter()
            .any(|k| s.contains_key(*k))
        {
            return self.combined(schema, depth);
        }
        self.plain(schema, s, depth)
    }

    /// A schema without combinators (`schema` is `s` as a value, for the enum check).
    fn plain(&mut self, schema: &Value, s: &Obj, depth: usize) -> Value {
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            return self.enum_value(schema, values);
        }
        match s.get("type").and_then(Value::as_str) {
            Some("object") => self.object(s, depth),
            Some("array") => self.array(s, depth),
            Some("string") => self.string(s),
            Some("integer") => self.integer(s),
            Some("number") => self.number(s),
            Some("boolean") => Value::Bool(self.rng.chance(0.5)),
            // No type, or one the validator does not know (it accepts any value then).
            _ => self.any(s, depth),
        }
    }

    /// One of the enum values that also satisfies the rest of the schema (any, if none does).
    fn enum_value(&mut self, schema: &Value, values: &[Value]) -> Value {
        let fitting: Vec<&Value> = values
            .iter()
            .filter(|v| self.spec.validate(schema, v).is_empty())
            .collect();
        match (fitting.is_empty(), values.is_empty()) {
            (false, _) => (*self.rng.pick(&fitting)).clone(),
            (true, false) => self.rng.pick(values).clone(),
            // `enum: []` allows nothing; null is as good a wrong answer as any.
            (true, true) => Value::Null,
        }
    }

    /// Any JSON value; `s` still constrains the kind chosen (bounds, items, properties...).
    fn any(&mut self, s: &Obj, depth: usize) -> Value {
        let kinds = if depth < MAX_DEPTH { 7 } else { 5 };
        match self.rng.below(kinds) {
            0 => Value::Null,
            1 => Value::Bool(self.rng.chance(0.5)),
            2 => self.integer(s),
            3 => self.number(s),
            4 => self.string(s),
            5 => self.array(s, depth + ANY_DEPTH_STEP),
            _ => self.object(s, depth + ANY_DEPTH_STEP),
        }
    }

    fn combined(&mut self, original: &Value, depth: usize) -> Value {
        let mut last = Value::Null;
        for _ in 0..COMBINATOR_TRIES {
            let merged = Value::Object(self.flatten(original, 0));
            let v = match merged.as_object() {
                Some(s) => self.plain(&merged, s, depth),
                None => Value::Null,
            };
            if self.spec.validate(original, &v).is_empty() {
                return v;
            }
            last = v;
        }
        last
    }

    /// One schema without combinators: `allOf` merged in, one random branch of `anyOf` and of
    /// `oneOf` merged in. `nullable` is dropped: null was already decided on by the caller.
    fn flatten(&mut self, schema: &Value, level: usize) -> Obj {
        let schema = self.spec.resolve(schema);
        let Some(s) = schema.as_object() else {
            return Obj::new();
        };
        let mut out: Obj = s
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "allOf" | "anyOf" | "oneOf" | "nullable"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if level > MAX_DEPTH {
            return out;
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                let sub = self.flatten(sub, level + 1);
                merge(&mut out, sub);
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = s.get(key).and_then(Value::as_array)
                && !branches.is_empty()
            {
                let branch = self.rng.pick(branches);
                let sub = self.flatten(branch, level + 1);
                merge(&mut out, sub);
            }
        }
        out
    }

    fn object(&mut self, s: &Obj, depth: usize) -> Value {
        let deep = depth >= MAX_DEPTH;
        let props = s.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // 0: every optional property, 1: none, 2: each one by a coin.
        let policy = if deep {
            1
        } else {
            self.rng.weighted(&[25, 10, 65])
        };
        let mut out = Obj::new();
        for (name, ps) in props.into_iter().flatten() {
            let present = required.contains(&name.as_str())
                || match policy {
                    0 => true,
                    1 => false,
                    _ => self.rng.chance(0.6),
                };
            if present {
                let v = self.value(ps, depth + 1);
                out.insert(name.clone(), v);
            }
        }
        // `required` may name properties that `properties` does not describe.
        for name in required {
            if !out.contains_key(name) {
                let v = self.extra_value(s, depth);
                out.insert(name.to_owned(), v);
            }
        }
        if deep || s.get("additionalProperties") == Some(&Value::Bool(false)) {
            return Value::Object(out);
        }
        let map_like = props.is_none_or(|p| p.is_empty());
        let extras = if map_like {
            self.rng.below(4)
        } else if self.rng.chance(0.12) {
            1 + self.rng.below(2)
        } else {
            0
        };
        for _ in 0..extras {
            let pool = if map_like { MAP_KEYS } else { EXTRA_KEYS };
            let key = *self.rng.pick(pool);
            if out.contains_key(key) || props.is_some_and(|p| p.contains_key(key)) {
                continue;
            }
            let v = self.extra_value(s, depth);
            out.insert(key.to_owned(), v);
        }
        Value::Object(out)
    }

    /// A value for a property `properties` does not describe.
    fn extra_value(&mut self, s: &Obj, depth: usize) -> Value {
        match s.get("additionalProperties") {
            Some(extra @ Value::Object(_)) => self.value(extra, depth + 1),
            _ => self.any(&Obj::new(), depth + ANY_DEPTH_STEP),
        }
    }

    fn array(&mut self, s: &Obj, depth: usize) -> Value {
        let min = count(s, "minItems").unwrap_or(0);
        let max = count(s, "maxItems").unwrap_or(usize::MAX);
        // `minItems` wins over the size cap; `maxItems < minItems` cannot be satisfied anyway.
        let cap = max.min(MAX_ITEMS).max(min);
        let len = if depth >= MAX_DEPTH {
            min
        } else {
            match self.rng.weighted(&[30, 15, 55]) {
                0 => 0,
                1 => cap,
                _ => 1 + self.rng.below(3) as usize,
            }
            .clamp(min, cap)
        };
        let items = s.get("items").unwrap_or(&ANY_SCHEMA);
        Value::Array((0..len).map(|_| self.value(items, depth + 1)).collect())
    }

    fn integer(&mut self, s: &Obj) -> Value {
        let (lo, hi) = integer_bounds(s);
        if lo > hi {
            // Unsatisfiable bounds: say so with the lower one.
            return Value::from(lo);
        }
        let r = &mut *self.rng;
        let candidate: i64 = match r.weighted(&[20, 10, 8, 10, 10, 12, 6, 14, 10]) {
            0 => r.range(0, 100),
            1 => 0,
            2 => *r.pick(&[1, -1]),
            3 => lo,
            4 => hi,
            5 => -r.range(1, 1000),
            6 => 1_700_000_000 + r.range(0, 100_000_000),
            7 => r.range(100_000, 4_000_000_000),
            _ => uniform_i64(r, lo, hi),
        };
        let v = if (lo..=hi).contains(&candidate) {
            candidate
        } else {
            uniform_i64(r, lo, hi)
        };
        Value::from(v)
    }

    fn number(&mut self, s: &Obj) -> Value {
        let b = NumberBounds::of(s);
        let int32 = s.get("format").and_then(Value::as_str) == Some("int32");
        let r = &mut *self.rng;
        let candidate: Value = match r.weighted(&[18, 14, 8, 10, 10, 8, 6, 12, 6, 8]) {
            // Fractional, two decimals, never integral: 0.01 ..= 99999.99.
            0 => f(r.range(0, 99_999) as f64 + r.range(1, 99) as f64 / 100.0),
            // Integer-valued JSON, as most real answers look.
            1 => Value::from(r.range(0, 100_000)),
            2 => {
                if r.chance(0.5) {
                    Value::from(0)
                } else {
                    f(0.0)
                }
            }
            3 => f(-(r.range(0, 9_999) as f64 + r.range(1, 99) as f64 / 100.0)),
            4 => f(*r.pick(&[1e18, -1e18, 1e300, 9_007_199_254_740_993.0])),
            5 => f(*r.pick(&[86_400.5, 86_399.999, 3_600.25, 123.95])),
            6 => f(*r.pick(&[1e-7, 0.1, 0.1 + 0.2, -1e-7])),
            7 => Value::from(*r.pick(&[
                i64::from(i32::MAX),
                i64::from(i32::MIN),
                i64::MAX,
                i64::MIN,
                -1,
            ])),
            8 => b.endpoint(r),
            _ => b.uniform(r),
        };
        let fits_format = !int32 || candidate.as_i64().is_none_or(|n| i32::try_from(n).is_ok());
        if fits_format && candidate.as_f64().is_some_and(|x| b.contains(x)) {
            candidate
        } else {
            b.uniform(r)
        }
    }

    fn string(&mut self, s: &Obj) -> Value {
        let r = &mut *self.rng;
        match s.get("format").and_then(Value::as_str) {
            Some("date") => return Value::String(random_date(r)),
            Some("date-time") => return Value::String(random_date_time(r)),
            _ => {}
        }
        let min = count(s, "minLength").unwrap_or(0);
        let max = count(s, "maxLength")
            .unwrap_or(usize::MAX)
            .min(MAX_CHARS.max(min));
        let text: String = match r.weighted(&[12, 14, 12, 8, 10, 4, 4, 4, 4, 4, 4, 20]) {
            0 => String::new(),
            1 => (*r.pick(&CYRILLIC)).to_owned(),
            2 => (*r.pick(&["71112223344", "0", "000123", "9999999999999999999"])).to_owned(),
            3 => LONG.to_owned(),
            4 => (*r.pick(&["value", "item", "Bearer", "vas_highlight", "u2i-abc"])).to_owned(),
            5 => "🚗 Продам 🔥".to_owned(),
            6 => "quote \" backslash \\ slash /".to_owned(),
            7 => "  spaces \t tab\nnewline ".to_owned(),
            8 => "null".to_owned(),
            9 => "<b>html</b> & ;".to_owned(),
            10 => "https://avito.ru/moskva/item_123".to_owned(),
            _ => {
                let len = r.range(1, MAX_CHARS as i64) as usize;
                (0..len).map(|_| *r.pick(&ALNUM) as char).collect()
            }
        };
        let mut text: String = text.chars().take(max).collect();
        while text.chars().count() < min {
            text.push('я');
        }
        Value::String(text)
    }
}

const CYRILLIC: [&str; 4] = [
    "Привет, мир",
    "Ёлка ёж Йод",
    "резервирование средств",
    "Москва, Лесная улица 7",
];
/// Exactly [`MAX_CHARS`] characters.
const LONG: &str = "Очень длинная строка для проверки ширины";
const ALNUM: [u8; 36] = *b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Names for unknown properties of described objects.
const EXTRA_KEYS: &[&str] = &[
    "extra_field",
    "unknownFlag",
    "x-request-id",
    "новоеПоле",
    "_meta",
    "deprecated_since",
];
/// Keys for property-less objects (maps such as image sizes, `errors`).
const MAP_KEYS: &[&str] = &[
    "140x105", "1280x960", "32x32", "key", "", "0", "ключ", "extra",
];

fn f(x: f64) -> Value {
    // Every literal and computation here is finite, so this never turns into `null`.
    Value::from(x)
}

fn count(s: &Obj, key: &str) -> Option<usize> {
    s.get(key)
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Inclusive bounds for an integer: `format` first, then `minimum`/`maximum`/exclusive*.
fn integer_bounds(s: &Obj) -> (i64, i64) {
    let (mut lo, mut hi) = match s.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let excl = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        let m = min.ceil();
        let m = if excl("exclusiveMinimum") && m == min {
            m + 1.0
        } else {
            m
        };
        // `as` saturates, which is what a bound beyond i64 means here.
        lo = lo.max(m as i64);
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        let m = max.floor();
        let m = if excl("exclusiveMaximum") && m == max {
            m - 1.0
        } else {
            m
        };
        hi = hi.min(m as i64);
    }
    (lo, hi)
}

/// Uniform in `lo..=hi` over the whole i64 range (`SplitMix64::range` would overflow).
fn uniform_i64(r: &mut SplitMix64, lo: i64, hi: i64) -> i64 {
    let span = (i128::from(hi) - i128::from(lo)) as u128 + 1;
    match u64::try_from(span) {
        Ok(span) => (i128::from(lo) + i128::from(r.below(span))) as i64,
        // The full i64 range: every u64 maps to a distinct i64.
        Err(_) => r.next_u64() as i64,
    }
}

struct NumberBounds {
    lo: Option<f64>,
    hi: Option<f64>,
    lo_excl: bool,
    hi_excl: bool,
}

impl NumberBounds {
    fn of(s: &Obj) -> Self {
        let excl = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
        NumberBounds {
            lo: s.get("minimum").and_then(Value::as_f64),
            hi: s.get("maximum").and_then(Value::as_f64),
            lo_excl: excl("exclusiveMinimum"),
            hi_excl: excl("exclusiveMaximum"),
        }
    }

    fn contains(&self, x: f64) -> bool {
        let above = self
            .lo
            .is_none_or(|lo| x > lo || (!self.lo_excl && x == lo));
        let below = self
            .hi
            .is_none_or(|hi| x < hi || (!self.hi_excl && x == hi));
        above && below
    }

    /// An inclusive bound, else a value just inside an exclusive one.
    fn endpoint(&self, r: &mut SplitMix64) -> Value {
        let lo = self.lo.map(|lo| if self.lo_excl { lo + 1e-3 } else { lo });
        let hi = self.hi.map(|hi| if self.hi_excl { hi - 1e-3 } else { hi });
        match (lo, hi) {
            (Some(lo), Some(hi)) => f(if r.chance(0.5) { lo } else { hi }),
            (Some(x), None) | (None, Some(x)) => f(x),
            (None, None) => f(*r.pick(&[f64::from(f32::MAX), -f64::from(f32::MAX)])),
        }
    }

    /// Uniform inside the bounds (fractional); the fallback when an edge does not fit.
    fn uniform(&self, r: &mut SplitMix64) -> Value {
        let x = match (self.lo, self.hi) {
            (Some(lo), Some(hi)) => {
                // Interpolated so that a range as wide as f64 does not overflow to infinity.
                let t = 0.25 + 0.5 * r.unit();
                lo * (1.0 - t) + hi * t
            }
            (Some(lo), None) => lo + 0.5 + 1000.0 * r.unit(),
            (None, Some(hi)) => hi - 0.5 - 1000.0 * r.unit(),
            (None, None) => (r.unit() - 0.5) * 2e6,
        };
        f(x)
    }
}

fn random_date(r: &mut SplitMix64) -> String {
    match r.weighted(&[70, 10, 10, 10]) {
        0 => format!(
            "{:04}-{:02}-{:02}",
            r.range(2000, 2030),
            r.range(1, 12),
            r.range(1, 28)
        ),
        1 => "1970-01-01".into(),
        2 => "2024-02-29".into(),
        _ => "9999-12-31".into(),
    }
}

fn random_date_time(r: &mut SplitMix64) -> String {
    let date = random_date(r);
    let (h, m, s) = (r.range(0, 23), r.range(0, 59), r.range(0, 59));
    match r.weighted(&[30, 25, 20, 15, 10]) {
        0 => format!("{date}T{h:02}:{m:02}:{s:02}Z"),
        1 => format!("{date}T{h:02}:{m:02}:{s:02}+03:00"),
        2 => format!("{date}T{h:02}:{m:02}:{s:02}.012436+03:00"),
        // The form of the spec's own request example; the validator accepts it.
        3 => format!("{date}T{h:02}:{m:02}:{s:02}"),
        _ => format!("{date}T23:59:59.999-12:00"),
    }
}

/// Merges `s` into `t` as `allOf` would (approximately; the caller validates the result).
fn merge(t: &mut Obj, s: Obj) {
    for (k, v) in s {
        let Some(cur) = t.get_mut(&k) else {
            t.insert(k, v);
            continue;
        };
        match k.as_str() {
            "properties" => {
                if let (Some(cur), Value::Object(add)) = (cur.as_object_mut(), v) {
                    for (name, ps) in add {
                        let both = match cur.remove(&name) {
                            Some(old) => all_of(old, ps),
                            None => ps,
                        };
                        cur.insert(name, both);
                    }
                }
            }
            "required" => {
                if let (Some(cur), Value::Array(add)) = (cur.as_array_mut(), v) {
                    for name in add {
                        if !cur.contains(&name) {
                            cur.push(name);
                        }
                    }
                }
            }
            // The tighter bound wins; exclusivity if either part asks for it.
            "minimum" | "minLength" | "minItems" if number_cmp(&v, cur).is_gt() => *cur = v,
            "maximum" | "maxLength" | "maxItems" if number_cmp(&v, cur).is_lt() => *cur = v,
            "exclusiveMinimum" | "exclusiveMaximum" if v == Value::Bool(true) => *cur = v,
            "enum" => {
                if let (Some(cur), Value::Array(other)) = (cur.as_array_mut(), v) {
                    cur.retain(|x| other.contains(x));
                }
            }
            "items" => *cur = all_of(cur.take(), v),
            "additionalProperties" => match (&*cur, &v) {
                (Value::Bool(false), _) => {}
                (_, Value::Bool(false)) => *cur = v,
                (Value::Object(_), Value::Object(_)) => *cur = all_of(cur.take(), v),
                (Value::Bool(true), _) => *cur = v,
                _ => {}
            },
            // `type`, `format` and annotations: the first one wins.
            _ => {}
        }
    }
}

fn all_of(a: Value, b: Value) -> Value {
    let mut all = Obj::new();
    all.insert("allOf".into(), Value::Array(vec![a, b]));
    Value::Object(all)
}

/// Compares two JSON numbers; anything else compares equal (and so changes nothing).
fn number_cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => std::cmp::Ordering::Equal,
    }
}
