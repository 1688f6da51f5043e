//! The emulator's switches and counters: faults, token expiry, latency, request counts.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::bad;
use crate::avito::error::json_response;
use crate::avito::faults::{Fault, parse_fault_spec};
use crate::avito::ops::Op;
use crate::avito::state::AppState;
use crate::sync::lock;

pub(crate) async fn set_faults(State(s): State<AppState>, body: Bytes) -> Response {
    let (specs, clear): (Vec<String>, bool) = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => (
            v.get("faults")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            v.get("clear").and_then(Value::as_bool).unwrap_or(false),
        ),
        Err(_) => (
            String::from_utf8_lossy(&body)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            false,
        ),
    };
    // Parse everything before applying anything, so a bad spec changes nothing.
    let parsed: Result<Vec<(String, Fault)>, String> =
        specs.iter().map(|s| parse_fault_spec(s)).collect();
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let mut table = lock(&s.faults);
    if clear {
        table.clear();
    }
    for (op, fault) in parsed {
        table.set(&op, fault);
    }
    json_response(StatusCode::OK, json!({"ok": true}))
}

pub(crate) async fn clear_faults(State(s): State<AppState>) -> Response {
    lock(&s.faults).clear();
    json_response(StatusCode::OK, json!({"ok": true}))
}

pub(crate) async fn expire_tokens(State(s): State<AppState>) -> Response {
    lock(&s.tokens).expire_all();
    json_response(StatusCode::OK, json!({"ok": true}))
}

pub(crate) async fn set_latency(State(s): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("ms").and_then(Value::as_u64))
    {
        Some(ms) => {
            *lock(&s.latency) = Duration::from_millis(ms);
            json_response(StatusCode::OK, json!({"ok": true}))
        }
        None => bad("expected {\"ms\": N}".into()),
    }
}

pub(crate) async fn counts(State(s): State<AppState>) -> Response {
    let counts = lock(&s.counts).clone();
    let all: serde_json::Map<String, Value> = Op::ALL
        .iter()
        .map(|op| {
            (
                op.id().to_owned(),
                json!(counts.get(op.id()).copied().unwrap_or(0)),
            )
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({
            "counts": all,
            "token_requests": counts.get(Op::GetAccessToken.id()).copied().unwrap_or(0),
            "validation_failures": lock(&s.failures).clone(),
            "answer_requests": lock(&s.reviews).answer_requests_by_review(),
        }),
    )
}
