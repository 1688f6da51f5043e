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
