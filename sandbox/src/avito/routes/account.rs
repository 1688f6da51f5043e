//! Account-level reads: self, wallet balance, operations history, CPA balance.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::ok;
use crate::avito::error::ApiError;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::state::{AppState, Shared};
use crate::avito::validate::date_time;
use crate::sync::lock;

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
    // The week and the year back are checked with the request.
    let from = date_time(&body, "dateTimeFrom")?;
    let to = date_time(&body, "dateTimeTo")?;
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
