//! Helpers shared by the `avito_*` integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use sandbox::avito::openapi::OpenApi;
use serde_json::Value;

/// The contract: `shared/avito/...` beside the repository when present (CI checks it out
/// there), otherwise the crate's byte-identical copy.
pub fn spec_path() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = dir.join("../../shared/avito/avito-analytics-openapi.json");
    if shared.exists() {
        shared
    } else {
        dir.join("openapi/avito-analytics-openapi.json")
    }
}

pub fn load_spec() -> OpenApi {
    let text = std::fs::read_to_string(spec_path()).expect("read the OpenAPI document");
    OpenApi::from_json(&text).expect("the OpenAPI document is JSON")
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

pub async fn token(http: &Client, base: &str, client_id: &str, secret: &str) -> String {
    let r = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("token json");
    v["access_token"].as_str().expect("access_token").to_owned()
}

/// Sends a request with an optional bearer token, query and JSON body.
pub async fn send(
    http: &Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    query: &[(&str, String)],
    body: Option<&Value>,
) -> Resp {
    let mut rb = http.request(method, url).query(query);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let r = rb.send().await.expect("request");
    Resp {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        text: r.text().await.expect("body"),
    }
}

/// Asserts the response body matches the schema the spec documents for (operation, status).
/// Statuses the operation does not document must still be JSON error bodies.
pub fn assert_conforms(spec: &OpenApi, operation_id: &str, r: &Resp) {
    let op = spec
        .operation(operation_id)
        .unwrap_or_else(|| panic!("{operation_id} not in spec"));
    match op.response(r.status) {
        Some(resp) => {
            let Some(schema) = op.response_schema(r.status) else {
                assert!(
                    resp.get("content").is_none(),
                    "{operation_id} {}: documented content has no JSON schema",
                    r.status
                );
                return;
            };
            let errors = spec.validate(schema, &r.json());
            assert!(
                errors.is_empty(),
                "{operation_id} {} does not match the spec: {errors:?}\nbody: {}",
                r.status,
                r.text
            );
        }
        None => {
            assert!(
                r.status >= 400,
                "{operation_id}: undocumented success status {}",
                r.status
            );
            let v = r.json();
            assert!(
                v.get("error").is_some(),
                "{operation_id} {}: error body without `error`: {}",
                r.status,
                r.text
            );
        }
    }
}

/// A body of a [`Sample`] request.
#[derive(Debug, Clone)]
pub enum SampleBody {
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// One request to an operation, as sent over HTTP.
#[derive(Debug, Clone)]
pub struct Sample {
    pub operation: &'static str,
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<SampleBody>,
}

impl Sample {
    pub fn query(mut self, name: &'static str, value: &str) -> Self {
        self.query.retain(|(k, _)| *k != name);
        self.query.push((name, value.to_owned()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| *k != name);
        self
    }

    pub fn path(mut self, path: String) -> Self {
        self.path = path;
        self
    }

    /// The JSON body with `pointer` (`/filter/categoryIDs`) set to `value`, or removed when
    /// `value` is `None`.
    pub fn field(mut self, pointer: &str, value: Option<Value>) -> Self {
        let Some(SampleBody::Json(body)) = &mut self.body else {
            panic!("{}: no JSON body", self.operation);
        };
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let parent = if parent.is_empty() {
            body
        } else {
            body.pointer_mut(parent).expect("the parent exists")
        };
        let object = parent.as_object_mut().expect("an object");
        match value {
            Some(v) => object.insert(key.to_owned(), v),
            None => object.remove(key),
        };
        self
    }

    pub fn form_without(mut self, name: &str) -> Self {
        if let Some(SampleBody::Form(pairs)) = &mut self.body {
            pairs.retain(|(k, _)| *k != name);
        }
        self
    }
}

/// A request the spec allows, for every operation of the spec: `user` in the path, item 678,
/// chat `u2i-chat~1`, dates within the last week before `today`.
pub fn valid_request(operation: &'static str, user: i64, today: chrono::NaiveDate) -> Sample {
    let day = |back: i64| {
        (today - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    };
    let json_body = |v: Value| Some(SampleBody::Json(v));
    let (method, path, query, body): (Method, String, &[(&str, &str)], _) = match operation {
        "getAccessToken" => (
            Method::POST,
            "/token".into(),
            &[],
            Some(SampleBody::Form(vec![
                ("grant_type", "client_credentials".into()),
                ("client_id", "client-1".into()),
                ("client_secret", "secret-1".into()),
            ])),
        ),
        "getUserInfoSelf" => (Method::GET, "/core/v1/accounts/self".into(), &[], None),
        "getUserBalance" => (
            Method::GET,
            format!("/core/v1/accounts/{user}/balance/"),
            &[],
            None,
        ),
        "getItemsInfo" => (
            Method::GET,
            "/core/v1/items".into(),
            &[("per_page", "50"), ("page", "1"), ("status", "active,old")],
            None,
        ),
        "getItemInfo" => (
            Method::GET,
            format!("/core/v1/accounts/{user}/items/678/"),
            &[],
            None,
        ),
        "itemStatsShallow" => (
            Method::POST,
            format!("/stats/v1/accounts/{user}/items"),
            &[],
            json_body(
                serde_json::json!({"itemIds": [678], "dateFrom": day(7), "dateTo": day(0),
                "fields": ["uniqViews"], "periodGrouping": "day"}),
            ),
        ),
        "itemAnalytics" => (
            Method::POST,
            format!("/stats/v2/accounts/{user}/items"),
            &[],
            json_body(
                serde_json::json!({"dateFrom": day(7), "dateTo": day(0), "metrics": ["views"],
                "grouping": "day", "limit": 100, "offset": 0, "filter": {"categoryIDs": [11]}}),
            ),
        ),
        "accountSpendings" => (
            Method::POST,
            format!("/stats/v2/accounts/{user}/spendings"),
            &[],
            json_body(serde_json::json!({"dateFrom": day(7), "dateTo": day(0),
                "spendingTypes": ["all"], "grouping": "day", "filter": {"categoryIDs": [11]}})),
        ),
        "postCallsStats" => (
            Method::POST,
            format!("/core/v1/accounts/{user}/calls/stats/"),
            &[],
            json_body(serde_json::json!({"dateFrom": day(7), "dateTo": day(0), "itemIds": [678]})),
        ),
        "postOperationsHistory" => (
            Method::POST,
            "/core/v1/accounts/operations_history/".into(),
            &[],
            json_body(
                serde_json::json!({"dateTimeFrom": format!("{}T00:00:00", day(3)),
                "dateTimeTo": format!("{}T00:00:00", day(0))}),
            ),
        ),
        "getChatsV2" => (
            Method::GET,
            format!("/messenger/v2/accounts/{user}/chats"),
            &[("limit", "100"), ("offset", "0"), ("chat_types", "u2i,u2u")],
            None,
        ),
        "getChatByIdV2" => (
            Method::GET,
            format!("/messenger/v2/accounts/{user}/chats/u2i-chat~1"),
            &[],
            None,
        ),
        "getMessagesV3" => (
            Method::GET,
            format!("/messenger/v3/accounts/{user}/chats/u2i-chat~1/messages/"),
            &[("limit", "100"), ("offset", "0")],
            None,
        ),
        "balanceInfoV3" => (
            Method::POST,
            "/cpa/v3/balanceInfo".into(),
            &[],
            json_body(serde_json::json!({})),
        ),
        "getRatingsInfoV1" => (Method::GET, "/ratings/v1/info".into(), &[], None),
        "getReviewsV1" => (
            Method::GET,
            "/ratings/v1/reviews".into(),
            &[("offset", "0"), ("limit", "20")],
            None,
        ),
        "createReviewAnswerV1" => (
            Method::POST,
            "/ratings/v1/answers".into(),
            &[],
            json_body(serde_json::json!({"reviewId": 1, "message": "Спасибо за отзыв"})),
        ),
        other => panic!("no sample request for {other}"),
    };
    let headers = if operation == "balanceInfoV3" {
        vec![("X-Source", "sandbox-tests".to_owned())]
    } else {
        Vec::new()
    };
    Sample {
        operation,
        method,
        path,
        query: query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        headers,
        body,
    }
}

/// Sends `sample` to `base` with a bearer `token` (none for `/token`).
pub async fn send_sample(http: &Client, base: &str, token: Option<&str>, sample: &Sample) -> Resp {
    let mut rb = http
        .request(sample.method.clone(), format!("{base}{}", sample.path))
        .query(&sample.query);
    if let Some(t) = token.filter(|_| sample.operation != "getAccessToken") {
        rb = rb.bearer_auth(t);
    }
    for (k, v) in &sample.headers {
        rb = rb.header(*k, v);
    }
    rb = match &sample.body {
        Some(SampleBody::Json(v)) => rb.json(v),
        Some(SampleBody::Form(pairs)) => rb.form(pairs),
        None => rb,
    };
    let r = rb.send().await.expect("request");
    Resp {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        text: r.text().await.expect("body"),
    }
}
