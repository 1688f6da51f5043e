//! Ratings and reviews: the seller's rating, its reviews page by page, and answering a review.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::ok;
use crate::avito::data::Review;
use crate::avito::error::ApiError;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::review_state::Refusal;
use crate::avito::state::{AppState, Shared};
use crate::sync::lock;

pub(crate) async fn rating_info(State(s): State<AppState>, req: ApiRequest) -> Response {
    let op = Op::GetRatingsInfoV1;
    s.finish(
        op,
        (|| {
            let (acc, _) = s.begin(op, &req)?;
            let rating = lock(&s.reviews).rating(&s.data, acc);
            Ok(ok(rating.to_json(), None))
        })(),
    )
}

pub(crate) async fn reviews(State(s): State<AppState>, req: ApiRequest) -> Response {
    s.finish(Op::GetReviewsV1, page(&s, &req))
}

/// Newest first; `offset` and `limit` are required and range-checked by the spec (0…, 1…50).
fn page(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::GetReviewsV1, req)?;
    let offset = usize::try_from(input.query_i64("offset").unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(input.query_i64("limit").unwrap_or(1)).unwrap_or(1);
    let state = lock(&s.reviews);
    let all = state.reviews(&s.data, acc);
    let reviews: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| Review::to_json(r))
        .collect();
    Ok(ok(json!({"total": all.len(), "reviews": reviews}), None))
}

pub(crate) async fn create_answer(State(s): State<AppState>, req: ApiRequest) -> Response {
    // Counted before anything can refuse it: tests assert how many attempts reached us.
    if let Some(id) = named_review(&req.body) {
        lock(&s.reviews).count_answer_request(id);
    }
    s.finish(Op::CreateReviewAnswerV1, answer(&s, &req))
}

/// The `reviewId` a request body names, read as loosely as possible.
fn named_review(body: &[u8]) -> Option<i64> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let id = v.get("reviewId")?;
    id.as_i64()
        .or_else(|| id.as_str().and_then(|t| t.trim().parse().ok()))
}

fn answer(s: &Shared, req: &ApiRequest) -> Result<Response, ApiError> {
    let (acc, input) = s.begin(Op::CreateReviewAnswerV1, req)?;
    let body = input.body_or_empty();
    // Both are required integers/strings per the schema, checked by `begin`.
    let review_id = body.get("reviewId").and_then(Value::as_i64).unwrap_or(0);
    let message = body.get("message").and_then(Value::as_str).unwrap_or("");
    // The spec does not say; an answer with nothing in it is refused as the site refuses one.
    if message.trim().is_empty() {
        return Err(ApiError::Invalid("message must not be empty".into()));
    }
    let now = chrono::Utc::now().timestamp();
    let written = lock(&s.reviews)
        .answer(&s.data, acc, review_id, message, now)
        .map_err(|refusal| match refusal {
            Refusal::NotFound => ApiError::NotFound(format!("review {review_id} not found")),
            Refusal::CannotAnswer => {
                ApiError::Forbidden(format!("review {review_id} cannot be answered"))
            }
        })?;
    Ok(ok(
        json!({"id": written.id, "createdAt": written.created_at}),
        None,
    ))
}
