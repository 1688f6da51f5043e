//! Ads: the list (`getItemsInfo`) and one ad (`getItemInfo`).

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::reply::ok;
use crate::avito::data::{Item, ItemStatus, moscow_midnight, moscow_rfc3339, shift};
use crate::avito::error::ApiError;
use crate::avito::live::LiveAccount;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::state::{AppState, Shared};
use crate::sync::lock;

pub(crate) async fn items_info(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetItemsInfo, list(&s, &req))
}

fn list(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let op = Op::GetItemsInfo;
    // Ranges (per_page 1..=100, page from 1) are checked with the request.
    let (acc, input) = s.begin(op, req)?;
    let per_page = input.query_i64("per_page").unwrap_or(25);
    let page = input.query_i64("page").unwrap_or(1);
    // Default per the spec: active only. A given list matched the spec's pattern of
    // comma-separated statuses.
    let statuses = match input.query.get("status").and_then(Value::as_str) {
        Some(list) => list.split(',').filter_map(ItemStatus::parse).collect(),
        None => vec![ItemStatus::Active],
    };
    let updated_from = match input.query.get("updatedAtFrom").and_then(Value::as_str) {
        None => None,
        Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ApiError::Invalid(format!("updatedAtFrom: {d:?} is not a YYYY-MM-DD date"))
        })?),
    };
    let category = input.query_i64("category");
    let rate = s.rate(op, acc)?;
    let live = lock(&s.live);
    let live = live.account(acc);
    let resources: Vec<Value> = s.data.accounts()[acc]
        .items
        .iter()
        .map(|it| (it, LiveAccount::status(live, it)))
        .filter(|(_, status)| statuses.contains(status))
        .filter(|(it, _)| updated_from.is_none_or(|d| it.updated >= d))
        .filter(|(it, _)| category.is_none_or(|c| it.category.id == c))
        .skip(
            (page - 1)
                .saturating_mul(per_page)
                .try_into()
                .unwrap_or(usize::MAX),
        )
        .take(per_page as usize)
        .map(resource)
        .collect();
    Ok(ok(
        json!({"meta": {"page": page, "per_page": per_page}, "resources": resources}),
        rate,
    ))
}

fn resource((it, status): (&Item, ItemStatus)) -> Value {
    json!({
        "id": it.id,
        "title": it.title,
        "address": it.address,
        "price": it.price,
        "status": status.as_str(),
        "url": it.url,
        "category": {"id": it.category.id, "name": it.category.name},
    })
}

pub(crate) async fn item_info(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetItemInfo, info(&s, &req))
}

fn info(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let op = Op::GetItemInfo;
    let (acc, input) = s.begin(op, req)?;
    let id = input
        .path_i64("item_id")
        .ok_or_else(|| ApiError::Invalid("item_id is required".into()))?;
    let rate = s.rate(op, acc)?;
    let account = &s.data.accounts()[acc];
    let today = s.data.today();
    let live = lock(&s.live);
    let body = match account.item(id) {
        Some(it) => details(it, LiveAccount::status(live.account(acc), it), today),
        None if s.data.accounts().iter().any(|a| a.item(id).is_some()) => {
            empty_info("another_user")
        }
        None => empty_info("not_found"),
    };
    Ok(ok(body, rate))
}

fn empty_info(status: &str) -> Value {
    json!({"status": status, "url": null, "start_time": null, "finish_time": null,
           "autoload_item_id": null, "vas": null})
}

fn details(it: &Item, status: ItemStatus, today: NaiveDate) -> Value {
    // Avito publishes for 30-day terms; an active ad ends at the end of its current term.
    let finish = it.finished.unwrap_or_else(|| {
        let age = (today - it.started).num_days();
        shift(it.started, (age / 30 + 1) * 30)
    });
    let vas: Vec<Value> = it
        .vas
        .iter()
        .map(|v| {
            json!({"vas_id": v.vas_id,
                   "schedule": v.schedule.as_ref().map(|s| s.iter().map(|&t| moscow_rfc3339(t)).collect::<Vec<_>>()),
                   "finish_time": v.finish_time.map(moscow_rfc3339)})
        })
        .collect();
    json!({
        "status": status.as_str(),
        "url": it.url,
        "start_time": moscow_rfc3339(moscow_midnight(it.started) + 9 * 3600),
        "finish_time": moscow_rfc3339(moscow_midnight(finish) + 9 * 3600),
        "autoload_item_id": it.autoload_id,
        "vas": if vas.is_empty() { Value::Null } else { Value::Array(vas) },
    })
}
