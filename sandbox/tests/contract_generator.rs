//! The contract answer generator and server: random answers are valid against the spec for every
//! operation and many seeds (this seeded run is the property test), they reach the edges that
//! break clients, the spec's own examples are served as written, and the server answers every
//! operation over HTTP, deterministically per seed.

mod avito_support;

use std::time::Duration;

use avito_support::{send_sample, valid_request};
use reqwest::Client;
use sandbox::avito::contract::generate::ok_schema;
use sandbox::avito::contract::{
    ALTERNATIVE_FORMS, AnswerMode, ContractServer, Forms, Listings, MAX_CHARS, MAX_ITEMS,
    alternative_form, example_answer, random_answer, random_value,
};
use sandbox::avito::openapi::OpenApi;
use sandbox::avito::rng::SplitMix64;
use serde_json::{Value, json};

const SEEDS: u64 = 300;

fn spec() -> &'static OpenApi {
    OpenApi::embedded()
}

fn walk<'a>(v: &'a Value, f: &mut impl FnMut(&'a Value)) {
    f(v);
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        Value::Object(o) => o.values().for_each(|x| walk(x, f)),
        _ => {}
    }
}

/// An object key that the schema's `properties` do not describe (maps without `properties`
/// do not count).
fn has_unknown_property(spec: &OpenApi, schema: &Value, v: &Value) -> bool {
    let s = spec.resolve(schema);
    match v {
        Value::Object(o) => {
            let Some(props) = s.get("properties").and_then(Value::as_object) else {
                return false;
            };
            o.iter().any(|(k, x)| match props.get(k) {
                None => true,
                Some(ps) => has_unknown_property(spec, ps, x),
            })
        }
        Value::Array(a) => s
            .get("items")
            .is_some_and(|i| a.iter().any(|x| has_unknown_property(spec, i, x))),
        _ => false,
    }
}

fn answers(op_id: &str) -> impl Iterator<Item = (u64, Value)> + '_ {
    (0..SEEDS).map(move |seed| {
        let v = random_answer(spec(), op_id, &mut SplitMix64::at(&[seed]))
            .unwrap_or_else(|| panic!("{op_id}: no 200 schema"));
        (seed, v)
    })
}

#[test]
fn random_answers_validate_for_every_operation_over_300_seeds() {
    let spec = spec();
    let ops = spec.operations();
    assert_eq!(ops.len(), 17);
    // Enum values are what they are, however long (operationType has 60-char ones).
    let mut enum_strings = std::collections::BTreeSet::new();
    walk(spec.document(), &mut |x| {
        if let Some(values) = x.get("enum").and_then(Value::as_array) {
            enum_strings.extend(values.iter().filter_map(Value::as_str));
        }
    });
    for op in &ops {
        let schema = ok_schema(op).unwrap_or_else(|| panic!("{}: no 200 schema", op.id));
        for (seed, v) in answers(op.id) {
            let errors = spec.validate(schema, &v);
            assert!(
                errors.is_empty(),
                "{} seed {seed}: {}\n{v:#}",
                op.id,
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            // What goes over the wire still validates (floats keep their form through JSON).
            let text = serde_json::to_string(&v).expect("serialize");
            let back: Value = serde_json::from_str(&text).expect("parse");
            assert!(
                spec.validate(schema, &back).is_empty(),
                "{} seed {seed}: invalid after a JSON round trip: {text}",
                op.id
            );
            walk(&v, &mut |x| match x {
                Value::Array(a) => assert!(a.len() <= MAX_ITEMS, "{} seed {seed}", op.id),
                Value::String(s) => assert!(
                    s.chars().count() <= MAX_CHARS || enum_strings.contains(s.as_str()),
                    "{} seed {seed}: {s:?}",
                    op.id
                ),
                _ => {}
            });
        }
        // The server's own path to the same generator, spec form.
        let mode = AnswerMode::Random {
            seed: 1,
            forms: Forms::Spec,
        };
        for n in 0..20 {
            let v = mode.answer(spec, op.id, n).expect("answer");
            assert!(spec.validate(schema, &v).is_empty(), "{} n {n}: {v}", op.id);
        }
    }
}

#[test]
fn random_answers_reach_the_edges() {
    let spec = spec();
    let mut seen: std::collections::BTreeSet<&'static str> = Default::default();
    let mut see = |cond: bool, what: &'static str| {
        if cond {
            seen.insert(what);
        }
    };
    for (_, v) in answers("getAccessToken") {
        let e = v.get("expires_in");
        see(e.is_none(), "expires_in absent");
        see(
            e.and_then(Value::as_f64).is_some_and(|x| x.fract() != 0.0),
            "expires_in fractional",
        );
        see(
            e.is_some_and(|x| x.is_i64() || x.is_u64()),
            "expires_in integer JSON",
        );
        see(
            e.and_then(Value::as_f64).is_some_and(|x| x >= 1e18),
            "expires_in huge",
        );
        see(
            e.and_then(Value::as_f64).is_some_and(|x| x < 0.0),
            "expires_in negative",
        );
        see(v.get("access_token").is_none(), "access_token absent");
        see(v["access_token"] == "", "access_token empty");
    }
    for (_, v) in answers("getItemInfo") {
        see(v.get("url") == Some(&Value::Null), "nullable url null");
        see(v.get("vas") == Some(&Value::Null), "nullable vas null");
        see(
            v.get("start_time")
                .and_then(Value::as_str)
                .is_some_and(|t| t.len() == 19),
            "date-time without offset",
        );
    }
    for (_, v) in answers("getItemsInfo") {
        let resources = v.get("resources").and_then(Value::as_array);
        see(
            resources.is_some_and(|r| r.iter().any(|i| i.get("price") == Some(&Value::Null))),
            "price null",
        );
        see(resources.is_some_and(Vec::is_empty), "resources empty");
        see(
            resources.is_some_and(|r| r.len() == MAX_ITEMS),
            "resources at the cap",
        );
    }
    let self_schema = spec.schema("UserInfoSelf").expect("UserInfoSelf");
    for (_, v) in answers("getUserInfoSelf") {
        see(v.as_object().is_some_and(|o| o.is_empty()), "object empty");
        see(v.as_object().is_some_and(|o| o.len() >= 6), "object full");
        see(
            has_unknown_property(spec, self_schema, &v),
            "unknown property",
        );
        see(
            v.get("id")
                .and_then(Value::as_i64)
                .is_some_and(|n| n == i64::from(i32::MAX) || n == i64::from(i32::MIN)),
            "int32 extreme",
        );
    }
    for op in spec.operations() {
        for (_, v) in answers(op.id) {
            walk(&v, &mut |x| {
                see(x.as_i64().is_some_and(|n| n < 0), "negative integer");
                see(x.as_i64() == Some(0), "zero");
                see(
                    x.as_i64().is_some_and(|n| n == i64::MAX || n == i64::MIN),
                    "int64 extreme",
                );
                see(
                    x.is_f64() && x.as_f64().is_some_and(|f| f.fract() != 0.0 && f < 0.0),
                    "negative fractional",
                );
                if let Some(s) = x.as_str() {
                    see(s.is_empty(), "string empty");
                    see(s.chars().count() == MAX_CHARS, "string at the cap");
                    see(
                        s.chars().any(|c| ('а'..='я').contains(&c)),
                        "string Cyrillic",
                    );
                    see(
                        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
                        "string digits only",
                    );
                }
                see(x.as_array().is_some_and(Vec::is_empty), "array empty");
            });
        }
    }
    let mut forms = std::collections::BTreeSet::new();
    let mode = AnswerMode::random(5);
    for n in 0..40 {
        let v = mode.answer(spec, "getMessagesV3", n).expect("answer");
        forms.insert(if v.is_array() { "array" } else { "wrapped" });
    }
    for what in [
        "expires_in absent",
        "expires_in fractional",
        "expires_in integer JSON",
        "expires_in huge",
        "expires_in negative",
        "access_token absent",
        "access_token empty",
        "nullable url null",
        "nullable vas null",
        "date-time without offset",
        "price null",
        "resources empty",
        "resources at the cap",
        "object empty",
        "object full",
        "unknown property",
        "int32 extreme",
        "negative integer",
        "zero",
        "int64 extreme",
        "negative fractional",
        "string empty",
        "string at the cap",
        "string Cyrillic",
        "string digits only",
        "array empty",
    ] {
        assert!(seen.contains(what), "never generated: {what}");
    }
    assert_eq!(forms.len(), 2, "Mixed gives both forms of getMessagesV3");
}

/// A small document using every keyword the validator supports.
fn keyword_spec() -> OpenApi {
    let doc = json!({
        "openapi": "3.0.0",
        "paths": {},
        "components": {"schemas": {
            "Bounded": {
                "type": "object",
                "required": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"],
                "additionalProperties": false,
                "properties": {
                    "a": {"type": "integer", "minimum": -5, "maximum": 5, "exclusiveMinimum": true},
                    "b": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": true},
                    "c": {"type": "string", "minLength": 3, "maxLength": 5},
                    "d": {"type": "array", "minItems": 2, "maxItems": 3,
                          "items": {"type": "integer", "format": "int32"}},
                    "e": {"type": "string", "enum": ["x", "y"], "nullable": true},
                    "f": {"type": "string", "format": "date"},
                    "g": {"type": "string", "format": "date-time"},
                    "h": {"type": "number", "format": "int32"},
                    "i": {"type": "integer", "minimum": 1.5, "maximum": 2.5},
                    "j": {"type": "array", "minItems": 10, "items": {}},
                    "k": {"type": "string", "minLength": 50},
                    "l": {"type": "integer", "format": "int64", "minimum": 0}
                }
            },
            "Map": {"type": "object", "required": ["must"],
                    "additionalProperties": {"type": "integer", "minimum": 0}},
            "Merged": {"allOf": [
                {"type": "object", "required": ["id"],
                 "properties": {"id": {"type": "integer", "minimum": 1}}},
                {"type": "object", "required": ["name"],
                 "properties": {"name": {"type": "string", "minLength": 1},
                                "id": {"maximum": 10}}}
            ]},
            "Either": {"anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "integer", "minimum": 0}
            ]},
            "Exactly": {"oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 10},
                {"type": "integer", "minimum": 5, "maximum": 20}
            ]},
            "Tight": {"allOf": [
                {"type": "integer", "minimum": 3},
                {"minimum": 5, "maximum": 6, "exclusiveMaximum": true}
            ]},
            "NullableRef": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Bounded"}]},
            "Anything": {"description": "no type"},
            "Deep": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "Node": {"type": "object", "required": ["children"],
                     "properties": {"children": {"$ref": "#/components/schemas/Deep"}}}
        }}
    });
    OpenApi::from_json(&doc.to_string()).expect("keyword spec")
}

#[test]
fn random_value_honours_every_supported_keyword() {
    let spec = keyword_spec();
    let names = [
        "Bounded",
        "Map",
        "Merged",
        "Either",
        "Exactly",
        "Tight",
        "NullableRef",
        "Anything",
        "Deep",
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for name in names {
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        for seed in 0..SEEDS {
            let v = random_value(&spec, &schema, &mut SplitMix64::at(&[seed, 77]));
            let errors = spec.validate(&schema, &v);
            assert!(errors.is_empty(), "{name} seed {seed}: {errors:?}\n{v:#}");
            if name == "Anything" {
                kinds.insert(match v {
                    Value::Null => "null",
                    Value::Bool(_) => "bool",
                    Value::Number(_) => "number",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                });
            }
        }
    }
    assert_eq!(kinds.len(), 6, "untyped schemas give every kind: {kinds:?}");
}

#[test]
fn random_answers_are_deterministic_per_seed_operation_and_request() {
    let spec = spec();
    let a = AnswerMode::random(42);
    let b = AnswerMode::random(43);
    let mut differs_by_n = 0;
    let mut differs_by_seed = 0;
    for op in spec.operations() {
        for n in 0..5 {
            assert_eq!(
                a.answer(spec, op.id, n),
                a.answer(spec, op.id, n),
                "{}",
                op.id
            );
            differs_by_n += usize::from(a.answer(spec, op.id, n) != a.answer(spec, op.id, n + 1));
            differs_by_seed += usize::from(a.answer(spec, op.id, n) != b.answer(spec, op.id, n));
        }
    }
    assert!(differs_by_n > 30, "{differs_by_n}");
    assert!(differs_by_seed > 30, "{differs_by_seed}");
    assert_eq!(a.answer(spec, "noSuchOperation", 0), None);
}

#[test]
fn alternative_forms_carry_the_same_data() {
    let spec = spec();
    for op in ALTERNATIVE_FORMS {
        for n in 0..50 {
            let mode = |forms| AnswerMode::Random { seed: 3, forms };
            let plain = mode(Forms::Spec).answer(spec, op, n).expect("answer");
            let alt = mode(Forms::Alternative)
                .answer(spec, op, n)
                .expect("answer");
            assert_eq!(alt, alternative_form(op, plain.clone()));
            let mixed = mode(Forms::Mixed).answer(spec, op, n).expect("answer");
            assert!(mixed == plain || mixed == alt, "{op} n {n}");
            match op {
                "getMessagesV3" => {
                    assert!(plain.is_array());
                    assert_eq!(alt, json!({"messages": plain}));
                }
                _ => {
                    assert!(alt.get("result").is_none(), "{alt}");
                    if let Some(ops) = plain.pointer("/result/operations") {
                        assert_eq!(alt.get("operations"), Some(ops));
                    }
                }
            }
        }
    }
    // Operations without an alternative are left alone.
    let v = json!({"balance": -5000});
    assert_eq!(alternative_form("balanceInfoV3", v.clone()), v);
}

#[test]
fn example_answers_are_the_specs_own() {
    let spec = spec();
    for op in spec.operations() {
        assert!(example_answer(spec, op.id).is_some(), "{}", op.id);
    }
    let me = example_answer(spec, "getUserInfoSelf").expect("self");
    assert_eq!(
        me["phone"],
        json!(71112223344u64),
        "phone is a number: {me}"
    );
    assert_eq!(me["phones"], json!(["71112223344"]));
    assert_eq!(me["id"], 94235311);
    let schema = spec.schema("UserInfoSelf").expect("schema");
    assert!(
        !spec.validate(schema, &me).is_empty(),
        "the example is kept although it contradicts its schema"
    );
    assert_eq!(
        example_answer(spec, "getAccessToken"),
        Some(
            json!({"access_token": "kChqt9ewQNAcwgbHp4yFd5", "expires_in": 86400, "token_type": "Bearer"})
        )
    );
    let history = example_answer(spec, "postOperationsHistory").expect("history");
    assert!(history.get("result").is_none() && history["operations"].is_array());
    let stats = example_answer(spec, "itemStatsShallow").expect("stats");
    assert_eq!(stats["result"]["items"][0]["itemId"], "<item_id_1>");
    let messages = example_answer(spec, "getMessagesV3").expect("messages");
    assert_eq!(messages[0]["direction"], "out");
    assert_eq!(messages[0]["content"]["text"], "привет!");
    assert_eq!(
        messages[0]["type"], "text",
        "first enum value where no example"
    );
    let analytics = example_answer(spec, "itemAnalytics").expect("analytics");
    assert_eq!(analytics["result"]["groupings"][0]["type"], "dates");
    let balance = example_answer(spec, "balanceInfoV3").expect("balance");
    assert_eq!(balance, json!({"balance": -5000}));
}

fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Today in Moscow, where the server counts the statistics' 270 days.
fn moscow_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive()
}

/// Calls every operation once with a request the spec allows; returns (operationId, status,
/// content type, body text).
async fn call_all(http: &Client, base: &str) -> Vec<(String, u16, String, String)> {
    let mut out = Vec::new();
    for op in spec().operations() {
        let sample = valid_request(op.id, 12345, moscow_today());
        let r = send_sample(http, base, Some("whatever"), &sample).await;
        let ctype = r.header("content-type").unwrap_or_default();
        out.push((op.id.to_owned(), r.status, ctype, r.text));
    }
    out
}

#[tokio::test]
async fn server_answers_every_operation_with_examples() {
    let server = ContractServer::start(AnswerMode::Examples)
        .await
        .expect("start");
    assert!(!server.base_url().ends_with('/'));
    let http = http();
    for (op, status, ctype, text) in call_all(&http, &server.base_url()).await {
        assert_eq!(status, 200, "{op}: {text}");
        assert!(ctype.starts_with("application/json"), "{op}: {ctype}");
        let body: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(Some(body.clone()), example_answer(spec(), &op), "{op}");
        assert_eq!(server.request_count(&op), 1, "{op}");
        assert_eq!(server.last_answer(&op), Some(body), "{op}");
    }
    assert!(server.unmatched_requests().is_empty());
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    server.shutdown().await;
}

#[tokio::test]
async fn server_answers_every_operation_randomly_and_deterministically() {
    let mode = AnswerMode::Random {
        seed: 11,
        forms: Forms::Spec,
    };
    let a = ContractServer::start(mode).await.expect("start a");
    let b = ContractServer::start(mode).await.expect("start b");
    let http = http();
    let first_a = call_all(&http, &a.base_url()).await;
    let first_b = call_all(&http, &b.base_url()).await;
    let second_a = call_all(&http, &a.base_url()).await;
    assert_eq!(first_a, first_b, "same seed, same answers");
    let spec = spec();
    let mut changed = 0;
    for ((op, status, ctype, text), (_, _, _, again)) in first_a.iter().zip(&second_a) {
        assert_eq!(*status, 200, "{op}: {text}");
        assert!(ctype.starts_with("application/json"), "{op}: {ctype}");
        let expected = mode.answer(spec, op, 0).expect("answer");
        // Byte-for-byte: the server serializes the same value the same way.
        assert_eq!(
            *text,
            serde_json::to_string(&expected).expect("serialize"),
            "{op}"
        );
        let body: Value = serde_json::from_str(text).expect("JSON");
        let schema = ok_schema(&spec.operation(op).expect("op")).expect("schema");
        assert!(spec.validate(schema, &body).is_empty(), "{op}: {text}");
        assert_eq!(
            *again,
            serde_json::to_string(&mode.answer(spec, op, 1).expect("answer")).expect("serialize"),
            "{op}: the second request gets the second answer"
        );
        changed += usize::from(text != again);
        assert_eq!(a.request_count(op), 2, "{op}");
        assert_eq!(a.last_answer(op), mode.answer(spec, op, 1), "{op}");
    }
    assert!(changed > 7, "answers vary per request ({changed} of 17)");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn server_takes_token_with_a_trailing_slash_and_refuses_unknown_paths() {
    let server = ContractServer::start(AnswerMode::random(1))
        .await
        .expect("start");
    let base = server.base_url();
    let http = http();
    for path in ["/token/", "/token"] {
        let r = http
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&client_id=a&client_secret=b")
            .send()
            .await
            .expect("token");
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let v: Value = r.json().await.expect("JSON");
        assert!(v.is_object(), "{path}: {v}");
    }
    assert_eq!(server.request_count("getAccessToken"), 2);

    let r = http
        .get(format!("{base}/core/v1/accounts/12345/balance"))
        .send()
        .await
        .expect("no slash");
    assert_eq!(r.status().as_u16(), 404, "trailing slashes matter");
    let v: Value = r.json().await.expect("404 is JSON");
    assert_eq!(v["error"]["code"], 404);
    let r = http
        .get(format!("{base}/token"))
        .send()
        .await
        .expect("wrong method");
    assert_eq!(r.status().as_u16(), 405);
    assert!(r.json::<Value>().await.is_ok(), "405 is JSON");
    assert_eq!(
        server.unmatched_requests(),
        vec![
            "GET /core/v1/accounts/12345/balance".to_owned(),
            "GET /token".to_owned()
        ]
    );
    assert_eq!(server.request_count("getUserBalance"), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn server_refuses_what_the_spec_forbids_and_records_it() {
    let server = ContractServer::start(AnswerMode::Examples)
        .await
        .expect("start");
    let http = http();
    let today = moscow_today();
    let refused = [
        (
            valid_request("getReviewsV1", 1, today).query("limit", "51"),
            "query parameter limit: 51 is above the maximum 50",
        ),
        (
            valid_request("getItemsInfo", 1, today).query("perPage", "10"),
            "query parameter perPage: not in the spec",
        ),
        (
            valid_request("itemAnalytics", 1, today).field(
                "/dateFrom",
                Some(json!(today - chrono::Duration::days(271))),
            ),
            "body field dateFrom: ",
        ),
    ];
    for (sample, message) in &refused {
        let r = send_sample(&http, &server.base_url(), Some("t"), sample).await;
        assert_eq!(r.status, 400, "{}: {}", sample.operation, r.text);
        let body: Value = serde_json::from_str(&r.text).expect("JSON");
        let said = body
            .pointer("/error/message")
            .or_else(|| body.get("message"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(said.starts_with(message), "{said}");
        assert_eq!(server.request_count(sample.operation), 0, "not answered");
    }
    let violations = server.violations();
    let operations: Vec<&str> = violations.iter().map(|v| v.operation).collect();
    assert_eq!(
        operations,
        ["getReviewsV1", "getItemsInfo", "itemAnalytics"]
    );
    assert!(
        violations[2].problem.contains("more than 270 days"),
        "{violations:?}"
    );
    assert!(server.received().is_empty());
    // The same requests made right are answered, and read as sent.
    for (sample, _) in &refused {
        let valid = valid_request(sample.operation, 1, today);
        let r = send_sample(&http, &server.base_url(), Some("t"), &valid).await;
        assert_eq!(r.status, 200, "{}: {}", sample.operation, r.text);
    }
    let received = server.received();
    assert_eq!(received[1].query["status"], json!("active,old"));
    assert_eq!(
        received[2].body.as_ref().map(|b| &b["limit"]),
        Some(&json!(100))
    );
    assert_eq!(server.violations().len(), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn paged_answers_are_as_long_as_the_page_asks() {
    let listings = Listings {
        items: 120,
        u2i_chats: 150,
        u2u_chats: 30,
        a2u_chats: 0,
        chats_per_item: 7,
        messages: 250,
        groupings: 1_200,
    };
    let server = ContractServer::start_paged(AnswerMode::random(3), listings)
        .await
        .expect("start");
    let (http, today) = (http(), moscow_today());
    let get = |op: &'static str, query: &[(&'static str, &str)]| {
        let sample = query
            .iter()
            .fold(valid_request(op, 1, today), |s, (k, v)| s.query(k, v));
        let (http, base, what) = (http.clone(), server.base_url(), format!("{op} {query:?}"));
        async move {
            let r = send_sample(&http, &base, Some("t"), &sample).await;
            assert_eq!(r.status, 200, "{what}: {}", r.text);
            serde_json::from_str::<Value>(&r.text).expect("JSON")
        }
    };
    let len = |v: &Value, pointer: &str| v.pointer(pointer).and_then(Value::as_array).map(Vec::len);
    let items = |page: &'static str| get("getItemsInfo", &[("per_page", "50"), ("page", page)]);
    assert_eq!(len(&items("1").await, "/resources"), Some(50));
    assert_eq!(len(&items("3").await, "/resources"), Some(20));
    assert_eq!(len(&items("4").await, "/resources"), Some(0));
    let chats = |types: &'static str, offset: &'static str| {
        get("getChatsV2", &[("chat_types", types), ("offset", offset)])
    };
    assert_eq!(len(&chats("u2i,u2u,a2u", "100").await, "/chats"), Some(80));
    assert_eq!(len(&chats("u2u", "0").await, "/chats"), Some(30));
    assert_eq!(len(&chats("a2u", "0").await, "/chats"), Some(0));
    let of_items = get("getChatsV2", &[("item_ids", "1,2,3")]).await;
    assert_eq!(len(&of_items, "/chats"), Some(21));
    for offset in ["0", "200"] {
        let messages = get("getMessagesV3", &[("offset", offset)]).await;
        // Either documented form: the bare array or `{"messages": [...]}`.
        let list = messages
            .as_array()
            .or_else(|| messages["messages"].as_array());
        let expected = if offset == "0" { 100 } else { 50 };
        assert_eq!(list.map(Vec::len), Some(expected), "{messages}");
    }
    let analytics = valid_request("itemAnalytics", 1, today)
        .field("/limit", Some(json!(1000)))
        .field("/offset", Some(json!(1000)));
    let r = send_sample(&http, &server.base_url(), Some("t"), &analytics).await;
    let v: Value = serde_json::from_str(&r.text).expect("JSON");
    assert_eq!(len(&v, "/result/groupings"), Some(200), "{}", r.text);
    assert_eq!(v["result"]["dataTotalCount"], 1_200);
    // Still answers the spec allows.
    let spec = spec();
    for op in ["getItemsInfo", "getChatsV2", "itemAnalytics"] {
        let schema = ok_schema(&spec.operation(op).expect("op")).expect("schema");
        let last = server.last_answer(op).expect("answered");
        assert!(spec.validate(schema, &last).is_empty(), "{op}: {last}");
    }
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    server.shutdown().await;
}
