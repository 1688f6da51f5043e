//! Control endpoints for out-of-process tests (not part of the Avito API, not counted):
//!
//! * `POST /_control/faults` — body `{"faults": ["itemAnalytics=status:500", ...], "clear": true}`
//!   (`clear` first drops existing faults), or plain text with one fault spec per line.
//! * `DELETE /_control/faults` — clear all faults.
//! * `POST /_control/expire_tokens` — expire every issued token.
//! * `POST /_control/latency` — body `{"ms": 100}`: delay added to every request.
//! * `GET /_control/counts` — `{"counts": {operationId: n}, "token_requests": n, "validation_failures": [...]}`.
//!
//! Live changes to an account (each names it by `user_id`; 400 with the reason when refused):
//! * `POST /_control/wallet` — `{"user_id": 1000001, "real": 450.0}`: the wallet's money, ₽.
//! * `POST /_control/cpa_balance` — `{"user_id": 1000001, "roubles": -20.5}`.
//! * `POST /_control/spending` — `{"user_id": 1000001, "roubles": 900, "at": UNIX}` (`at`
//!   defaults to now): a promotion charge in the operations history.
//! * `POST /_control/chat_message` — `{"user_id": 1000001, "chat_id": "u2i~…", "direction":
//!   "in", "text": "…", "created": UNIX}` (chat: default the newest; direction: default `in`;
//!   created: default now) → `{"chat_id": "…"}`.
//! * `POST /_control/missed_call` — `{"user_id": 1000001, "item_id": 1, "date": "2026-12-03"}`
//!   (item: default one alive that day; date: default today in Moscow) → `{"item_id": N}`.
//!
//! Reviews, answers and the rating: see `review_control`. `counts` also carries
//! `"answer_requests": {review_id: n}` (`createReviewAnswerV1` requests per review).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::data::{Direction, moscow};
use super::error::json_response;
use super::faults::{Fault, parse_fault_spec};
use super::live::{LiveError, NewMessage};
use super::ops::Op;
use super::server::{AppState, lock};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/_control/faults", post(set_faults).delete(clear_faults))
        .route("/_control/expire_tokens", post(expire_tokens))
        .route("/_control/latency", post(set_latency))
        .route("/_control/counts", get(counts))
        .route("/_control/wallet", post(set_wallet))
        .route("/_control/cpa_balance", post(set_cpa))
        .route("/_control/spending", post(add_spending))
        .route("/_control/chat_message", post(add_chat_message))
        .route("/_control/missed_call", post(add_missed_call))
        .route("/_control/demand", post(set_demand))
}

fn bad(msg: String) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"error": msg}))
}

async fn set_faults(State(s): State<AppState>, body: Bytes) -> Response {
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

async fn clear_faults(State(s): State<AppState>) -> Response {
    lock(&s.faults).clear();
    json_response(StatusCode::OK, json!({"ok": true}))
}

async fn expire_tokens(State(s): State<AppState>) -> Response {
    lock(&s.tokens).expire_all();
    json_response(StatusCode::OK, json!({"ok": true}))
}

async fn set_latency(State(s): State<AppState>, body: Bytes) -> Response {
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

async fn counts(State(s): State<AppState>) -> Response {
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

/// A live change's JSON body: fields by name, with what was wrong said in the 400.
pub(crate) struct Body(pub(crate) Value);

impl Body {
    pub(crate) fn parse(bytes: &Bytes) -> Result<Body, Rejected> {
        serde_json::from_slice::<Value>(bytes)
            .ok()
            .filter(Value::is_object)
            .map(Body)
            .ok_or_else(|| Rejected("expected a JSON object".into()))
    }

    pub(crate) fn user_id(&self) -> Result<i64, Rejected> {
        self.0
            .get("user_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Rejected("user_id (integer) is required".into()))
    }

    fn money(&self, field: &str) -> Result<f64, Rejected> {
        self.0
            .get(field)
            .and_then(Value::as_f64)
            .ok_or_else(|| Rejected(format!("{field} (number of roubles) is required")))
    }

    pub(crate) fn optional_i64(&self, field: &str) -> Result<Option<i64>, Rejected> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| Rejected(format!("{field} must be an integer"))),
        }
    }

    /// `date` (YYYY-MM-DD), today in Moscow when absent.
    fn date(&self) -> Result<chrono::NaiveDate, Rejected> {
        match self.optional_str("date")? {
            Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Rejected(format!("date {d:?}: expected YYYY-MM-DD"))),
            None => Ok(chrono::Utc::now().with_timezone(&moscow()).date_naive()),
        }
    }

    pub(crate) fn optional_str(&self, field: &str) -> Result<Option<&str>, Rejected> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| Rejected(format!("{field} must be a string"))),
        }
    }
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn applied(result: Result<Value, LiveError>) -> Response {
    match result {
        Ok(v) => json_response(StatusCode::OK, v),
        Err(e) => bad(e.to_string()),
    }
}

/// What was wrong with a live change's body, answered as a 400.
pub(crate) struct Rejected(pub(crate) String);

pub(crate) fn answer(result: Result<Response, Rejected>) -> Response {
    result.unwrap_or_else(|Rejected(why)| bad(why))
}

async fn set_wallet(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let (user, real) = (b.user_id()?, b.money("real")?);
        Ok(applied(
            lock(&s.live)
                .set_wallet(&s.data, user, real)
                .map(|()| json!({"ok": true})),
        ))
    })())
}

async fn set_cpa(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let (user, roubles) = (b.user_id()?, b.money("roubles")?);
        Ok(applied(
            lock(&s.live)
                .set_cpa(&s.data, user, roubles)
                .map(|()| json!({"ok": true})),
        ))
    })())
}

async fn add_spending(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let (user, roubles) = (b.user_id()?, b.money("roubles")?);
        let at = b.optional_i64("at")?.unwrap_or_else(now);
        Ok(applied(
            lock(&s.live)
                .add_spending(&s.data, user, roubles, at)
                .map(|()| json!({"ok": true})),
        ))
    })())
}

async fn add_chat_message(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let direction = match b.optional_str("direction")? {
            None | Some("in") => Direction::In,
            Some("out") => Direction::Out,
            Some(other) => {
                return Err(Rejected(format!("direction {other:?}: expected in or out")));
            }
        };
        let message = NewMessage {
            chat_id: b.optional_str("chat_id")?.map(str::to_owned),
            direction,
            text: b
                .optional_str("text")?
                .unwrap_or("Здравствуйте!")
                .to_owned(),
            created: b.optional_i64("created")?.unwrap_or_else(now),
        };
        Ok(applied(
            lock(&s.live)
                .add_message(&s.data, user, message)
                .map(|id| json!({"chat_id": id})),
        ))
    })())
}

async fn add_missed_call(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let day = b.date()?;
        let item = b.optional_i64("item_id")?;
        Ok(applied(
            lock(&s.live)
                .add_missed_call(&s.data, user, item, day)
                .map(|id| json!({"item_id": id})),
        ))
    })())
}

async fn set_demand(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let day = b.date()?;
        let percent = b
            .optional_i64("percent")?
            .and_then(|p| u32::try_from(p).ok())
            .ok_or_else(|| Rejected("percent (a whole number, 0 or more) is required".into()))?;
        Ok(applied(
            lock(&s.live)
                .set_demand(&s.data, user, day, percent)
                .map(|()| json!({"ok": true})),
        ))
    })())
}
