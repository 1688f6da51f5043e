//! Control endpoints for reviews, answers and the rating (not part of the Avito API, not
//! counted). Each names the account by `user_id`; a field that is missing or of the wrong kind
//! is a 400 naming it, as in [`super::control`].
//!
//! * `POST /_control/review` — `{"user_id": 1000001, "score": 2, "stage": "fell_through",
//!   "text": "…", "item_id": N, "sender": "Иван", "can_answer": true, "used_in_score": true,
//!   "created_at": UNIX}` → `{"review_id": N}`. Only `user_id` and `score` (1–5) are required;
//!   defaults: stage `done`, a stock text, no item, no sender, answerable, counted in the
//!   score, created now.
//! * `POST /_control/rating` — `{"user_id": 1000001, "enabled": true, "rating": {"score": 4.7,
//!   "reviews_count": 12, "reviews_with_score_count": 10}}`; `"rating": null` is a seller with
//!   no rating (`rating` must be given; `enabled` defaults to true). Any finite score and whole
//!   counts are served as given, so tests can serve implausible ones.
//! * `POST /_control/moderate` — `{"user_id": 1000001, "review_id": N, "status": "rejected",
//!   "reasons": ["Оскорбления"]}` (`status`: `published`, `rejected` or `moderation`; reasons
//!   only for `rejected`, default one stock reason).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

use super::control::{Body, Rejected, answer, applied, now};
use super::data::{Rating, RatingInfo, Stage};
use super::review_state::{NewReview, Verdict};
use super::server::{AppState, lock};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/_control/review", post(add_review))
        .route("/_control/rating", post(set_rating))
        .route("/_control/moderate", post(moderate))
}

fn optional_bool(b: &Body, field: &str) -> Result<Option<bool>, Rejected> {
    match b.0.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| Rejected(format!("{field} must be true or false"))),
    }
}

fn required_i64(v: &Value, field: &str) -> Result<i64, Rejected> {
    v.get(field)
        .and_then(Value::as_i64)
        .ok_or_else(|| Rejected(format!("{field} (integer) is required")))
}

fn new_review(b: &Body) -> Result<NewReview, Rejected> {
    let score = required_i64(&b.0, "score")?;
    let stage = match b.optional_str("stage")? {
        None => Stage::Done,
        Some(s) => Stage::parse(s).ok_or_else(|| {
            Rejected(format!(
                "stage {s:?}: expected done, fell_through, not_agree or not_communicate"
            ))
        })?,
    };
    let text = b
        .optional_str("text")?
        .unwrap_or("Всё прошло хорошо, спасибо продавцу!");
    Ok(NewReview {
        stage,
        item_id: b.optional_i64("item_id")?,
        sender: b.optional_str("sender")?.map(str::to_owned),
        can_answer: optional_bool(b, "can_answer")?.unwrap_or(true),
        used_in_score: optional_bool(b, "used_in_score")?.unwrap_or(true),
        created_at: b.optional_i64("created_at")?.unwrap_or_else(now),
        ..NewReview::new(score, text)
    })
}

async fn add_review(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let review = new_review(&b)?;
        Ok(applied(
            lock(&s.reviews)
                .add_review(&s.data, user, review)
                .map(|id| json!({"review_id": id})),
        ))
    })())
}

fn rating(b: &Body) -> Result<RatingInfo, Rejected> {
    let enabled = optional_bool(b, "enabled")?.unwrap_or(true);
    let rating = match b.0.get("rating") {
        None => {
            return Err(Rejected(
                "rating (an object, or null for none) is required".into(),
            ));
        }
        Some(Value::Null) => None,
        Some(r) => Some(Rating {
            score: r
                .get("score")
                .and_then(Value::as_f64)
                .ok_or_else(|| Rejected("rating.score (number) is required".into()))?,
            reviews_count: required_i64(r, "reviews_count")
                .map_err(|Rejected(m)| Rejected(format!("rating.{m}")))?,
            reviews_with_score_count: required_i64(r, "reviews_with_score_count")
                .map_err(|Rejected(m)| Rejected(format!("rating.{m}")))?,
        }),
    };
    Ok(RatingInfo { enabled, rating })
}

async fn set_rating(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let info = rating(&b)?;
        Ok(applied(
            lock(&s.reviews)
                .set_rating(&s.data, user, info)
                .map(|()| json!({"ok": true})),
        ))
    })())
}

fn verdict(b: &Body) -> Result<Verdict, Rejected> {
    let reasons = match b.0.get("reasons") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Rejected("reasons must be a list of strings".into()))?,
        Some(_) => return Err(Rejected("reasons must be a list of strings".into())),
    };
    match b.optional_str("status")? {
        Some("published") => Ok(Verdict::Published),
        Some("rejected") => Ok(Verdict::Rejected(reasons)),
        Some("moderation") => Ok(Verdict::Moderation),
        Some(other) => Err(Rejected(format!(
            "status {other:?}: expected published, rejected or moderation"
        ))),
        None => Err(Rejected(
            "status (published, rejected or moderation) is required".into(),
        )),
    }
}

async fn moderate(State(s): State<AppState>, body: Bytes) -> Response {
    answer((|| {
        let b = Body::parse(&body)?;
        let user = b.user_id()?;
        let review = required_i64(&b.0, "review_id")?;
        let verdict = verdict(&b)?;
        Ok(applied(
            lock(&s.reviews)
                .moderate(&s.data, user, review, verdict)
                .map(|()| json!({"ok": true})),
        ))
    })())
}
