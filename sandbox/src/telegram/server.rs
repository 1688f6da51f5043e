//! HTTP routing: `/bot<token>/<method>`, `/file/bot<token>/<file_path>` and `/_driver/...`.
//!
//! Bot API paths are matched by hand in a fallback handler because the token is glued to the
//! `bot` prefix inside one path segment, which axum's router cannot capture.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::driver;
use super::error::{ApiError, ok_envelope};
use super::faults::Fault;
use super::methods;
use super::params::{MAX_BODY_BYTES, Params};
use super::state::Shared;
use crate::sync::lock;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .nest("/_driver", driver::routes())
        .fallback(bot_api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

async fn bot_api(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let result = if let Some(rest) = path.strip_prefix("/file/bot") {
        download(&shared, rest)
    } else if let Some(rest) = path.strip_prefix("/bot") {
        let arrived = std::time::Instant::now();
        super::methods::ARRIVED
            .scope(arrived, method_call(&shared, rest, req))
            .await
    } else {
        Err(ApiError::NotFound("method not found".into()))
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn method_call(shared: &Arc<Shared>, rest: &str, req: Request) -> Result<Response, ApiError> {
    let (token, method) = rest.split_once('/').unwrap_or((rest, ""));
    let bot_id = bot_id(token)?;
    if method.is_empty() || method.contains('/') {
        return Err(ApiError::NotFound("method not found".into()));
    }
    let method = method.to_ascii_lowercase();
    let params = Params::from_request(req).await?;
    let fault = lock(&shared.faults)
        .get_mut(&method)
        .and_then(|queue| queue.pop_front());
    match fault {
        None => {}
        Some(Fault::Status(code)) => return Err(ApiError::Server(code)),
        Some(Fault::RetryAfter(secs)) => {
            shared.store().rate_limited += 1;
            return Err(ApiError::TooManyRequests(secs));
        }
        Some(Fault::Hang(duration)) => tokio::time::sleep(duration).await,
        Some(Fault::StoredThen(code)) => {
            // The call takes effect, and the bot is told it failed.
            methods::call(shared, bot_id, &method, params).await?;
            return Err(ApiError::Server(code));
        }
        Some(Fault::StoredThenHang(duration)) => {
            let result = methods::call(shared, bot_id, &method, params).await?;
            tokio::time::sleep(duration).await;
            return Ok(ok_envelope(result));
        }
    }
    let result = methods::call(shared, bot_id, &method, params).await?;
    Ok(ok_envelope(result))
}

fn download(shared: &Shared, rest: &str) -> Result<Response, ApiError> {
    let (token, file_path) = rest.split_once('/').unwrap_or((rest, ""));
    bot_id(token)?;
    // teloxide sends the file path as one percent-encoded segment (`documents%2Ffile_1.xlsx`).
    let file_path = percent_decode(file_path);
    let store = shared.store();
    let file = store
        .files
        .values()
        .find(|f| f.file_path == file_path)
        .ok_or(ApiError::FileNotFound)?;
    let response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, file.mime_type.clone())],
        Body::from(file.bytes.to_vec()),
    );
    Ok(response.into_response())
}

/// Accepts any well-formed `<digits>:<secret>` token; the digits are the bot's id.
pub(crate) fn bot_id(token: &str) -> Result<i64, ApiError> {
    let (digits, secret) = token.split_once(':').ok_or(ApiError::Unauthorized)?;
    let well_formed = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !secret.is_empty()
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::Unauthorized);
    }
    digits.parse().map_err(|_| ApiError::Unauthorized)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
