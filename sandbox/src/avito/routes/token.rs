//! `POST /token` (`getAccessToken`): OAuth2 client credentials.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::ok;
use crate::avito::error::ApiError;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::state::{AppState, Shared};
use crate::avito::validate::validate;
use crate::sync::lock;

pub(crate) async fn get_access_token(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetAccessToken, issue(&s, &req))
}

fn issue(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    // The form is checked against `GetTokenRequest` (all three fields required).
    let input = validate(s.spec, Op::GetAccessToken.id(), req, s.data.today())?;
    let body = input.body.ok_or_else(|| {
        ApiError::Invalid("grant_type, client_id and client_secret are required".into())
    })?;
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    // The spec documents no error responses; these are RFC 6749 §5.2 errors with status 400.
    if field("grant_type") != "client_credentials" {
        return Err(ApiError::OAuth {
            code: "unsupported_grant_type",
            description: format!("grant_type {:?} is not supported here", field("grant_type")),
        });
    }
    let account = s
        .data
        .account_by_client(field("client_id"))
        .filter(|&i| s.data.accounts()[i].spec.client_secret == field("client_secret"))
        .ok_or_else(|| ApiError::OAuth {
            code: "invalid_client",
            description: "Client authentication failed".into(),
        })?;
    let mut tokens = lock(&s.tokens);
    let token = tokens.issue(account);
    Ok(ok(
        json!({"access_token": token, "expires_in": tokens.ttl().as_secs(), "token_type": "Bearer"}),
        None,
    ))
}
