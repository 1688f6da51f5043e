//! The HTTP surface: one route per spec path (plus `/token/`, the form the docs' curl uses),
//! the control endpoints, and a fallback that records paths the spec does not have.

mod account;
mod gate;
mod items;
mod messenger;
mod ratings;
mod reply;
mod stats;
mod token;

use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::json;

use super::error::json_response;
use super::ops::Op;
use super::state::AppState;
use gate::gate;

pub(crate) fn router(state: AppState) -> Router {
    let op = |op: Op, route: MethodRouter<AppState>| {
        route.layer(from_fn_with_state((state.clone(), op), gate))
    };
    Router::new()
        .route(
            "/token",
            op(Op::GetAccessToken, post(token::get_access_token)),
        )
        .route(
            "/token/",
            op(Op::GetAccessToken, post(token::get_access_token)),
        )
        .route(
            "/core/v1/accounts/self",
            op(Op::GetUserInfoSelf, get(account::user_info_self)),
        )
        .route(
            "/core/v1/accounts/{user_id}/balance/",
            op(Op::GetUserBalance, get(account::user_balance)),
        )
        .route(
            "/core/v1/items",
            op(Op::GetItemsInfo, get(items::items_info)),
        )
        .route(
            "/core/v1/accounts/{user_id}/items/{item_id}/",
            op(Op::GetItemInfo, get(items::item_info)),
        )
        .route(
            "/stats/v1/accounts/{user_id}/items",
            op(Op::ItemStatsShallow, post(stats::item_stats_shallow)),
        )
        .route(
            "/stats/v2/accounts/{user_id}/items",
            op(Op::ItemAnalytics, post(stats::item_analytics)),
        )
        .route(
            "/stats/v2/accounts/{user_id}/spendings",
            op(Op::AccountSpendings, post(stats::account_spendings)),
        )
        .route(
            "/core/v1/accounts/{user_id}/calls/stats/",
            op(Op::PostCallsStats, post(stats::calls_stats)),
        )
        .route(
            "/core/v1/accounts/operations_history/",
            op(Op::PostOperationsHistory, post(account::operations_history)),
        )
        .route(
            "/messenger/v2/accounts/{user_id}/chats",
            op(Op::GetChatsV2, get(messenger::chats)),
        )
        .route(
            "/messenger/v2/accounts/{user_id}/chats/{chat_id}",
            op(Op::GetChatByIdV2, get(messenger::chat)),
        )
        .route(
            "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/",
            op(Op::GetMessagesV3, get(messenger::messages)),
        )
        .route(
            "/cpa/v3/balanceInfo",
            op(Op::BalanceInfoV3, post(account::cpa_balance)),
        )
        .merge(rating_routes(op))
        .merge(super::control::router())
        .fallback(not_in_spec)
        .method_not_allowed_fallback(method_not_in_spec)
        .with_state(state)
}

/// The ratings and reviews operations, each behind `op`'s gate.
fn rating_routes(
    op: impl Fn(Op, MethodRouter<AppState>) -> MethodRouter<AppState>,
) -> Router<AppState> {
    Router::new()
        .route(
            "/ratings/v1/info",
            op(Op::GetRatingsInfoV1, get(ratings::rating_info)),
        )
        .route(
            "/ratings/v1/reviews",
            op(Op::GetReviewsV1, get(ratings::reviews)),
        )
        .route(
            "/ratings/v1/answers",
            op(Op::CreateReviewAnswerV1, post(ratings::create_answer)),
        )
}

async fn not_in_spec(
    axum::extract::State(s): axum::extract::State<AppState>,
    method: Method,
    uri: Uri,
) -> Response {
    s.record_failure(format!("{method} {}: no such path in the spec", uri.path()));
    json_response(
        StatusCode::NOT_FOUND,
        json!({"error": {"code": 404, "message": "not found"}}),
    )
}

async fn method_not_in_spec(
    axum::extract::State(s): axum::extract::State<AppState>,
    method: Method,
    uri: Uri,
) -> Response {
    s.record_failure(format!(
        "{method} {}: method not allowed by the spec",
        uri.path()
    ));
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(json!({"error": {"code": 405, "message": "method not allowed"}})),
    )
        .into_response()
}
