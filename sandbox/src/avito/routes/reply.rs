//! The 200 answer of an operation.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::avito::error::{json_response, with_rate_headers};
use crate::avito::limits::RateInfo;

/// 200 with a JSON body and, for rate-limited operations, the `X-RateLimit-*` headers.
pub(crate) fn ok(body: Value, rate: Option<RateInfo>) -> Response {
    with_rate_headers(json_response(StatusCode::OK, body), rate)
}
