//! The raw parts of a request, extracted without ever rejecting: malformed input must become a
//! spec-shaped 400 (and a recorded validation failure), not axum's plain-text rejection.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::HeaderMap;

/// Largest accepted body; Avito requests are small JSON documents.
const BODY_LIMIT: usize = 4 << 20;

#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub path: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Why some part could not be read (bad percent-encoding, oversized body, ...).
    pub problem: Option<String>,
}

impl ApiRequest {
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for ApiRequest {
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let mut problem = None;
        let path = match RawPathParams::from_request_parts(&mut parts, state).await {
            Ok(p) => p
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            Err(e) => {
                problem = Some(format!("bad path: {}", e.body_text()));
                Vec::new()
            }
        };
        let query = match parts.uri.query() {
            None => Vec::new(),
            Some(q) => serde_urlencoded::from_str(q).unwrap_or_else(|e| {
                problem = Some(format!("bad query string: {e}"));
                Vec::new()
            }),
        };
        let body = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .unwrap_or_else(|e| {
                problem = Some(format!("unreadable body: {e}"));
                Bytes::new()
            });
        Ok(ApiRequest {
            path,
            query,
            headers: parts.headers,
            body,
            problem,
        })
    }
}
