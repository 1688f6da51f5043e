//! Account-level reads: self, wallet balance, operations history, CPA balance.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, TimeZone};
use serde_json::{Value, json};

use super::ok;
use crate::avito::data::{moscow, moscow_midnight, shift};
use crate::avito::error::ApiError;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::server::{AppState, Shared, lock};

pub(crate) async fn user_info_self(State(s): State<AppState>, req: ApiRequest) -> Response {
    let op = Op::GetUserInfoSelf;
    s.finish(op, (|| {
        let (acc, _) = s.begin(op, &req)?;
        let a = &s.data.accounts()[acc];
        Ok(ok(
            json!({"id": a.user_id(), "name": a.spec.name, "email": a.email(), "phone": a.phone(),
                   "phones": [a.phone()], "profile_url": a.profile_url()}),
            None,
        ))
    })())
}

pub(crate) async fn user_balance(State(s): State<AppState>, req: ApiRequest) -> Response {
    let op = Op::GetUserBalance;
    s.finish(
        op,
        (|| {
            let (acc, _) = s.begin(op, &req)?;
            let w = lock(&s.live).wallet(&s.data, acc);
            Ok(ok(json!({"real": w.real, "bonus": w.bonus}), None))
        })(),
    )
}

pub(crate) async fn cpa_balance(State(s): State<AppState>, req: ApiRequest) -> Response {
    let op = Op::BalanceInfoV3;
    s.finish(
        op,
        (|| {
            let (acc, _) = s.begin(op, &req)?;
            let rate = s.rate(op, acc)?;
            Ok(ok(
                json!({"balance": lock(&s.live).cpa(&s.data, acc)}),
                rate,
            ))
        })(),
    )
}

pub(crate) async fn operations_history(State(s): State<AppState>, req: ApiRequest) -> Response {
    let op = Op::PostOperationsHistory;
    s.finish(op, history(&s, &req))
}

fn history(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::PostOperationsHistory, req)?;
    let body = input.body_or_empty();
    let from = date_time(&body, "dateTimeFrom")?;
    let to = date_time(&body, "dateTimeTo")?;
    if from > to {
        return Err(ApiError::Invalid("dateTimeFrom is after dateTimeTo".into()));
    }
    if to - from > 7 * 86_400 {
        return Err(ApiError::Invalid(
            "the range must not exceed one week".into(),
        ));
    }
    let year_ago = moscow_midnight(shift(s.data.today(), -365));
    if from < year_ago {
        return Err(ApiError::Invalid(
            "dateTimeFrom must be within the last year".into(),
        ));
    }
    let mut ops = s.data.accounts()[acc].operations_between(from, to);
    if let Some(live) = lock(&s.live).account(acc) {
        ops.extend(
            live.operations
                .iter()
                .filter(|o| from <= o.at && o.at <= to)
                .cloned(),
        );
        ops.sort_by_key(|o| o.at);
    }
    let ops: Vec<Value> = ops.iter().map(|o| o.to_json()).collect();
    // The schema wraps operations in `result` (the spec's example does not; clients accept both).
    Ok(ok(json!({"result": {"operations": ops}}), None))
}

/// Unix seconds of a date-time field; one without an offset (the spec's example) is Moscow time.
fn date_time(body: &Value, field: &str) -> Result<i64, ApiError> {
    let s = body
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::Invalid(format!("{field} is required")))?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .and_then(|n| moscow().from_local_datetime(&n).single())
        .map(|t| t.timestamp())
        .ok_or_else(|| ApiError::Invalid(format!("{field}: {s:?} is not a date-time")))
}
