//! Statistics: stats v1 (views/contacts/favourites per item), stats v2 (profile analytics),
//! spendings, and calls.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::reply::ok;
use crate::avito::data::{
    AccountData, DayStats, Item, ItemFilter, Period, Totals, days, metric_value, moscow,
};
use crate::avito::error::ApiError;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::rng::SplitMix64;
use crate::avito::state::{AppState, Shared};
use crate::avito::validate::{date_field, int_list};
use crate::sync::lock;

// Ranges, depth (270 days), item-id counts, metric slugs and spending types are checked with
// the request (`validate`), before a handler runs.
const V1_FIELDS: [&str; 6] = [
    "views",
    "uniqViews",
    "contacts",
    "uniqContacts",
    "favorites",
    "uniqFavorites",
];

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::Invalid(msg.into())
}

/// A non-empty filter list; `[]` and `null` mean "no filter".
fn filter_list(v: Option<&Value>) -> Option<Vec<i64>> {
    int_list(v).filter(|l| !l.is_empty())
}

fn utc_midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default()
}

pub(crate) async fn item_stats_shallow(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::ItemStatsShallow, shallow(&s, &req))
}

fn shallow(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::ItemStatsShallow, req)?;
    let body = input
        .body
        .ok_or_else(|| invalid("body with itemIds, dateFrom and dateTo is required"))?;
    let ids = int_list(body.get("itemIds")).unwrap_or_default();
    let (from, to) = (date_field(&body, "dateFrom")?, date_field(&body, "dateTo")?);
    let today = s.data.today();
    let fields: Vec<&str> = match body.get("fields").and_then(Value::as_array) {
        Some(f) => f.iter().filter_map(Value::as_str).collect(),
        None => vec!["uniqViews", "uniqContacts", "uniqFavorites"],
    };
    let period = body
        .get("periodGrouping")
        .and_then(Value::as_str)
        .and_then(Period::parse)
        .unwrap_or(Period::Day);
    let account = &s.data.accounts()[acc];
    let mut items = Vec::new();
    let mut errors = Map::new();
    let mut seen = Vec::new();
    for id in ids {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        match account.item(id) {
            Some(it) => items.push(json!({"itemId": id, "stats": shallow_rows(account, it, from, to.min(today), period, &fields)})),
            None => {
                errors.insert(id.to_string(), json!("item not found"));
            }
        }
    }
    let mut out = json!({"result": {"items": items}});
    if !errors.is_empty()
        && let Some(o) = out.as_object_mut()
    {
        o.insert("errors".into(), Value::Object(errors));
    }
    Ok(ok(out, None))
}

/// One row per period in which the item was published; `date` is the period's first day.
fn shallow_rows(
    a: &AccountData,
    it: &Item,
    from: NaiveDate,
    to: NaiveDate,
    p: Period,
    fields: &[&str],
) -> Vec<Value> {
    let today = a.today();
    p.split(from, to)
        .into_iter()
        .filter(|(_, f, t)| it.alive_between(*f, *t, today))
        .map(|(label, f, t)| {
            let sum = a.sum(&[it], f, t);
            let mut row = Map::new();
            row.insert("date".into(), json!(label.format("%Y-%m-%d").to_string()));
            for field in V1_FIELDS.iter().filter(|f| fields.contains(f)) {
                row.insert((*field).into(), json!(v1_value(field, &sum)));
            }
            Value::Object(row)
        })
        .collect()
}

fn v1_value(field: &str, s: &DayStats) -> u64 {
    match field {
        "views" => s.views_total,
        "uniqViews" => s.views,
        "contacts" => s.contacts_total(),
        "uniqContacts" => s.contacts(),
        "favorites" => s.favorites_total,
        _ => s.favorites,
    }
}

pub(crate) async fn item_analytics(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::ItemAnalytics, analytics(&s, &req))
}

fn analytics(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let op = Op::ItemAnalytics;
    let (acc, input) = s.begin(op, req)?;
    let body = input.body_or_empty();
    let (from, to) = (date_field(&body, "dateFrom")?, date_field(&body, "dateTo")?);
    let today = s.data.today();
    let metrics: Vec<&str> = body
        .get("metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let grouping = body
        .get("grouping")
        .and_then(Value::as_str)
        .unwrap_or("totals");
    let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(1000) as usize;
    let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let sort = body.get("sort").filter(|v| !v.is_null());
    let filter = ItemFilter {
        categories: filter_list(body.pointer("/filter/categoryIDs")),
        items: None,
    };
    let rate = s.rate(op, acc)?;

    let account = &s.data.accounts()[acc];
    let items: Vec<&Item> = account.matching_items(&filter);
    let mut groups = analytics_groups(s, acc, &items, grouping, from, to.min(today))?;
    if let Some(sort) = sort {
        sort_groups(&mut groups, sort);
    }
    let omitted = &account.spec.omit_metrics;
    let total_count = groups.len();
    let groupings: Vec<Value> = groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, t)| {
            let values: Vec<Value> = metrics
                .iter()
                .filter(|m| !omitted.iter().any(|o| o == *m))
                .filter_map(|m| metric_value(m, t).map(|v| json!({"slug": m, "value": v})))
                .collect();
            json!({"id": id, "type": grouping, "metrics": values})
        })
        .collect();
    let timestamp = chrono::Utc::now()
        .with_timezone(&moscow())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    Ok(ok(
        json!({"result": {"dataTotalCount": total_count, "timestamp": timestamp, "groupings": groupings}}),
        rate,
    ))
}

/// The totals of `items` over `[from, end]` per group of `grouping` (`totals`, `item` or a
/// period), each with its id: 0, the item's id, or the period's first day (UTC midnight).
fn analytics_groups(
    s: &Shared,
    acc: usize,
    items: &[&Item],
    grouping: &str,
    from: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<(i64, Totals)>, ApiError> {
    let account = &s.data.accounts()[acc];
    let today = s.data.today();
    Ok(match grouping {
        "totals" => vec![(0, account.totals(items, from, end))],
        "item" => items
            .iter()
            .filter(|it| it.alive_between(from, end, today))
            .map(|it| (it.id, account.totals(&[*it], from, end)))
            .collect(),
        other => {
            let period = Period::parse(other)
                .ok_or_else(|| invalid(format!("unknown grouping {other:?}")))?;
            // No periods after today: there is no data in the future.
            let live = lock(&s.live);
            let live = live.account(acc);
            period
                .split(from, end)
                .into_iter()
                .map(|(label, f, t)| {
                    let mut totals = account.totals(items, f, t.min(today));
                    // A live demand change lies over a day's figures (grouped by day only).
                    if let Some(live) = live.filter(|_| f == t) {
                        live.scale_demand(f, &mut totals.stats);
                    }
                    (utc_midnight(label), totals)
                })
                .collect()
        }
    })
}

/// Orders groups by the metric `sort.key` (`sort.order`: `desc` or ascending), ties by id.
fn sort_groups(groups: &mut [(i64, Totals)], sort: &Value) {
    let key = sort.get("key").and_then(Value::as_str).unwrap_or("");
    let desc = sort.get("order").and_then(Value::as_str) == Some("desc");
    groups.sort_by(|a, b| {
        let (x, y) = (
            metric_value(key, &a.1).unwrap_or(0.0),
            metric_value(key, &b.1).unwrap_or(0.0),
        );
        let ord = x.total_cmp(&y).then(a.0.cmp(&b.0));
        if desc { ord.reverse() } else { ord }
    });
}

pub(crate) async fn account_spendings(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::AccountSpendings, spendings(&s, &req))
}

fn spendings(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let op = Op::AccountSpendings;
    let (acc, input) = s.begin(op, req)?;
    let body = input.body_or_empty();
    let (from, to) = (date_field(&body, "dateFrom")?, date_field(&body, "dateTo")?);
    let today = s.data.today();
    let types: Vec<&str> = body
        .get("spendingTypes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let period = body
        .get("grouping")
        .and_then(Value::as_str)
        .and_then(Period::parse)
        .unwrap_or(Period::Day);
    let filter = ItemFilter {
        categories: filter_list(body.pointer("/filter/categoryIDs")),
        items: filter_list(body.pointer("/filter/itemIDs")),
    };
    let rate = s.rate(op, acc)?;

    let account = &s.data.accounts()[acc];
    let items: Vec<&Item> = account.matching_items(&filter);
    let groupings: Vec<Value> = period
        .split(from, to.min(today))
        .into_iter()
        .map(|(label, f, t)| {
            let sum = account.sum(&items, f, t.min(today));
            let mut r = SplitMix64::at(&[account.key(), 20, utc_midnight(label) as u64]);
            let spendings: Vec<Value> = types.iter().map(|ty| spending_entry(ty, &sum, &mut r)).collect();
            json!({"date": label.format("%Y-%m-%d").to_string(), "type": period.as_str(), "spendings": spendings})
        })
        .collect();
    Ok(ok(
        json!({"result": {"groupings": groupings, "timestamp": chrono::Utc::now().timestamp()}}),
        rate,
    ))
}

/// Kopecks → roubles. SPEC QUIRK: the operation text says kopecks, the schema says roubles
/// (example 123.95); the emulator follows the schema.
fn rub(kop: u64) -> f64 {
    kop as f64 / 100.0
}

/// One spending type with its services; services always add up to the type's value.
fn spending_entry(ty: &str, s: &DayStats, r: &mut SplitMix64) -> Value {
    let services: Vec<(&str, u64)> = match ty {
        "all" => vec![
            ("promotion", s.promo_spending),
            ("presence", s.presence_spending),
            ("commission", s.commission),
            ("rest", s.rest_spending),
        ],
        "promotion" => {
            let xl = s.promo_spending / 100 * r.range(0, 100) as u64 / 100 * 100;
            vec![("xl", xl), ("highlight", s.promo_spending - xl)]
        }
        "presence" => {
            let placement = s.presence_spending / 100 * r.range(50, 100) as u64 / 100 * 100;
            vec![
                ("placement", placement),
                ("targetActions", s.presence_spending - placement),
            ]
        }
        _ => Vec::new(),
    };
    let total = match ty {
        "all" => s.spending(),
        "promotion" => s.promo_spending,
        "presence" => s.presence_spending,
        "commission" => s.commission,
        _ => s.rest_spending,
    };
    let services: Vec<Value> = services
        .into_iter()
        .map(|(slug, v)| json!({"slug": slug, "value": rub(v)}))
        .collect();
    json!({"slug": ty, "value": rub(total), "services": services})
}

pub(crate) async fn calls_stats(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::PostCallsStats, calls(&s, &req))
}

fn calls(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::PostCallsStats, req)?;
    let body = input.body_or_empty();
    let (from, to) = (date_field(&body, "dateFrom")?, date_field(&body, "dateTo")?);
    let today = s.data.today();
    let filter = ItemFilter {
        categories: None,
        items: filter_list(body.get("itemIds")),
    };
    let account = &s.data.accounts()[acc];
    let end = to.min(today);
    let live = lock(&s.live);
    let live = live.account(acc);
    let items: Vec<Value> = account
        .matching_items(&filter)
        .into_iter()
        .filter(|it| it.alive_between(from, end, today))
        .map(|it| {
            // From the ad's first day: no depth limit is documented, so `from` may be far back.
            let rows: Vec<Value> = days(from.max(it.started), end)
                .filter_map(|d| {
                    let missed = live.map_or(0, |l| l.missed(it.id, d));
                    match account.item_day(it, d) {
                        Some(st) => Some((d, st, missed)),
                        // A call added on a day the ad had no statistics still shows.
                        None => (missed > 0).then(|| (d, Default::default(), missed)),
                    }
                })
                .map(|(d, st, missed): (_, DayStats, u64)| {
                    json!({"date": d.format("%Y-%m-%d").to_string(), "calls": st.calls + missed,
                           "answered": st.calls_answered, "new": st.calls_new + missed,
                           "newAnswered": st.calls_new_answered})
                })
                .collect();
            json!({"itemId": it.id, "employeeId": 0, "days": rows})
        })
        .collect();
    Ok(ok(json!({"result": {"items": items}}), None))
}
