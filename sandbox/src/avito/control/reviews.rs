//! Reviews, answers and the rating, changed by a test: each names the account by `user_id`.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::{Body, Rejected, answer, applied, now};
use crate::avito::data::{Rating, RatingInfo, Stage};
use crate::avito::review_state::{NewReview, Verdict};
use crate::avito::state::AppState;
use crate::sync::lock;

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

pub(crate) async fn add_review(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn set_rating(State(s): State<AppState>, body: Bytes) -> Response {
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

pub(crate) async fn moderate(State(s): State<AppState>, body: Bytes) -> Response {
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
