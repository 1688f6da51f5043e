//! Typed failures of a request and their wire form, per operation (see [`ErrorShape`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::AuthError;
use super::limits::RateInfo;
use super::ops::{ErrorShape, Op};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 400: the spec does not allow this request. Recorded in `validation_failures()`.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 429.
    #[error("too many requests")]
    RateLimited(RateInfo),
    /// Token endpoint: RFC 6749 §5.2 error (`invalid_client`, `unsupported_grant_type`, ...).
    #[error("{code}: {description}")]
    OAuth {
        code: &'static str,
        description: String,
    },
    /// An injected status.
    #[error("injected fault")]
    Injected(u16),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) | ApiError::OAuth { .. } => StatusCode::BAD_REQUEST,
            ApiError::Auth(AuthError::Expired) | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Auth(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Injected(code) => {
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The response `op` gives for this error.
    pub fn render(&self, op: Op) -> Response {
        let status = self.status();
        let message = self.to_string();
        match self {
            ApiError::OAuth { code, description } => json_response(
                status,
                json!({"error": code, "error_description": description}),
            ),
            ApiError::RateLimited(info) => rate_limited(op, *info),
            _ => match op.error_shape() {
                ErrorShape::Field => json_response(
                    status,
                    json!({"code": status.as_u16().to_string(), "message": message}),
                ),
                // The token endpoint documents no errors at all: use the RFC 6749 shape, which
                // OAuth2 clients (the `oauth2` crate) parse as a typed server error.
                ErrorShape::OAuth => {
                    let code = if status.is_server_error() {
                        "server_error"
                    } else {
                        "invalid_request"
                    };
                    json_response(status, json!({"error": code, "error_description": message}))
                }
                ErrorShape::Review => json_response(
                    status,
                    json!({"error": {"code": review_code(status), "message": message}}),
                ),
                ErrorShape::Nested => json_response(
                    status,
                    json!({"error": {"code": status.as_u16(), "message": message}}),
                ),
            },
        }
    }
}

/// `ReviewError.code` is a string; the spec's one example is `validation` (for a 400).
fn review_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "validation",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        429 => "too_many_requests",
        _ => "internal",
    }
}

pub fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Adds `X-RateLimit-*` headers.
pub fn with_rate_headers(mut resp: Response, info: Option<RateInfo>) -> Response {
    if let Some(info) = info {
        let h = resp.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(info.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(info.remaining));
    }
    resp
}

/// The documented 429 of each operation. No `Retry-After`: the spec documents none.
pub fn rate_limited(op: Op, info: RateInfo) -> Response {
    let status = StatusCode::TOO_MANY_REQUESTS;
    let resp = match op {
        // 429 declared with headers only, no body.
        Op::GetItemsInfo => status.into_response(),
        // `tooManyRequests`: an empty object.
        Op::GetItemInfo => json_response(status, json!({})),
        // `tooManyRequestsError`.
        Op::BalanceInfoV3 => json_response(status, json!({"error": {"code": 429}})),
        Op::GetAccessToken => json_response(
            status,
            json!({"error": "slow_down", "error_description": "too many requests"}),
        ),
        _ => json_response(
            status,
            json!({"error": {"code": 429, "message": "Слишком много запросов"}}),
        ),
    };
    with_rate_headers(resp, Some(info))
}

/// 200 with a truncated JSON body.
pub fn malformed() -> Response {
    let mut resp = (
        StatusCode::OK,
        "{\"result\": {\"items\": [{\"id\": 12, \"title\": \"Див",
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
