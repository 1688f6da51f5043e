//! Telegram-style API errors and their wire envelope.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// An error as the Bot API reports it: an HTTP status, `error_code` and `description`.
///
/// The `Display` text is exactly Telegram's `description`, so bot code matching on it behaves
/// as it would against the real API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Bad Request: {0}")]
    BadRequest(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("Forbidden: {0}")]
    Forbidden(String),
    #[error("Not Found: {0}")]
    NotFound(String),
    /// A file download path that names no file.
    #[error("Not Found")]
    FileNotFound,
    #[error("Too Many Requests: retry after {0}")]
    TooManyRequests(u64),
    #[error("Request Entity Too Large")]
    TooLarge,
    /// A server-side failure (502 Bad Gateway and the like), as Telegram's front answers.
    #[error("{}", server_error_text(*.0))]
    Server(u16),
}

fn server_error_text(code: u16) -> &'static str {
    match code {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Server Error",
    }
}

impl ApiError {
    pub(crate) fn bad(description: impl Into<String>) -> Self {
        Self::BadRequest(description.into())
    }

    pub(crate) fn forbidden(description: impl Into<String>) -> Self {
        Self::Forbidden(description.into())
    }

    pub(crate) fn chat_not_found() -> Self {
        Self::bad("chat not found")
    }

    /// The numeric `error_code`, which is also the HTTP status Telegram answers with.
    pub fn code(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) | Self::FileNotFound => 404,
            Self::TooManyRequests(_) => 429,
            Self::TooLarge => 413,
            Self::Server(code) => *code,
        }
    }

    /// The JSON body Telegram sends for this error.
    pub fn envelope(&self) -> serde_json::Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code(),
            "description": self.to_string(),
        });
        if let Self::TooManyRequests(retry_after) = self {
            body["parameters"] = json!({ "retry_after": retry_after });
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.envelope())).into_response()
    }
}

/// `{"ok":true,"result":...}`.
pub(crate) fn ok_envelope(result: serde_json::Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}
