//! Live changes to an account: balances, spending, chat messages, missed calls, demand, a
//! listing's status.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::body::{Body, Rejected, answer, applied, now};
use crate::avito::data::Direction;
use crate::avito::live::NewMessage;
use crate::avito::state::AppState;
use crate::sync::lock;

pub(crate) async fn set_wallet(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn set_cpa(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn add_spending(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn add_chat_message(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn add_missed_call(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn set_demand(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn set_item_status(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let item = b
            .optional_i64("item_id")?
            .ok_or_else(|| Rejected("item_id is required".into()))?;
        let status = b
            .optional_str("status")?
            .ok_or_else(|| Rejected("status is required".into()))?;
        Ok(applied(
            lock(&s.live)
                .set_item_status(&s.data, user, item, status)
                .map(|()| json!({"ok": true})),
        ))
    })())
}
