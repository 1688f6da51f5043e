//! The seller's rating and reviews, and answering a review.

use serde::Deserialize;
use serde_json::{Value, json};

use super::json::parse;
use crate::avito::client::Account;
use crate::avito::error::{AvitoError, AvitoResult};
use crate::avito::operation::Operation;
use crate::avito::ratings::{AnswerCreated, RatingInfo, Review, ReviewsPage};
use crate::avito::transport::Request;

/// Reviews per page: the most the API gives.
pub const REVIEWS_PAGE: usize = 50;
/// Guard against an API that never gives a short page: 100,000 reviews.
const MAX_REVIEW_PAGES: usize = 2_000;
const REVIEWS_PATH: &str = "/ratings/v1/reviews";

impl Account {
    /// `GET /ratings/v1/info`: whether the rating is on, and its figures.
    pub async fn rating_info(&self) -> AvitoResult<RatingInfo> {
        let op = Operation::GetRatingsInfoV1;
        let value = self
            .call(Request::get(op, "/ratings/v1/info".into()))
            .await?;
        parse(op, &value)
    }

    /// `GET /ratings/v1/reviews`: `limit` (1–50, as the API takes) reviews from `offset`.
    pub async fn reviews_page(&self, offset: usize, limit: usize) -> AvitoResult<ReviewsPage> {
        let op = Operation::GetReviewsV1;
        if !(1..=REVIEWS_PAGE).contains(&limit) {
            return Err(AvitoError::InvalidRequest(format!(
                "reviews are read 1 to {REVIEWS_PAGE} at a time, not {limit}"
            )));
        }
        let value = self
            .call(
                Request::get(op, REVIEWS_PATH.into())
                    .query("offset", offset)
                    .query("limit", limit),
            )
            .await?;
        Ok(page(&value))
    }

    /// Every review, page after page (see [`ReviewPages`]).
    pub async fn all_reviews(&self) -> AvitoResult<Vec<Review>> {
        let mut reviews: Vec<Review> = Vec::new();
        let mut pages = self.review_pages();
        while let Some(page) = pages.next().await? {
            reviews.extend(page.reviews);
        }
        Ok(reviews)
    }

    /// The reviews a page at a time, so that a seller with thousands of them is read without
    /// holding them all.
    pub fn review_pages(&self) -> ReviewPages<'_> {
        ReviewPages {
            account: self,
            page: 0,
            done: false,
            seen: std::collections::HashSet::new(),
        }
    }

    /// `POST /ratings/v1/answers`: publishes `message` as the answer to review `review_id`
    /// (after Avito's moderation). Sent once: a timeout or a 5xx is
    /// [`AvitoError::OutcomeUnknown`] — read the review before anything else; 403 means it
    /// cannot be answered (answered already, say), 404 that there is no such review. Cached
    /// review pages of the account are dropped whatever happens, so the next read is fresh.
    pub async fn create_review_answer(
        &self,
        review_id: i64,
        message: &str,
    ) -> AvitoResult<AnswerCreated> {
        let op = Operation::CreateReviewAnswerV1;
        if review_id <= 0 {
            return Err(AvitoError::InvalidRequest(format!(
                "{review_id} is not a review id"
            )));
        }
        if message.trim().is_empty() {
            return Err(AvitoError::InvalidRequest(
                "an answer to a review needs some text".to_owned(),
            ));
        }
        let body = json!({"reviewId": review_id, "message": message});
        let result = self
            .call(Request::post(op, "/ratings/v1/answers".into(), body))
            .await;
        self.transport.forget_reads(&self.creds, REVIEWS_PATH);
        let value = result?;
        // Taken is taken: an unreadable answer body is an answer without id and time.
        Ok(AnswerCreated::deserialize(value.as_ref()).unwrap_or_else(|e| {
            tracing::warn!(operation = %op, error = %e, "Avito took the answer but its reply is unreadable");
            AnswerCreated::default()
        }))
    }
}

/// Reviews a page at a time until a short page. A review that moves between pages while
/// paging (a new one pushes the others on) comes once: only the ids seen are kept.
pub struct ReviewPages<'a> {
    account: &'a Account,
    page: usize,
    done: bool,
    seen: std::collections::HashSet<i64>,
}

impl ReviewPages<'_> {
    /// The next page (`None`: all were read).
    pub async fn next(&mut self) -> AvitoResult<Option<ReviewsPage>> {
        if self.done {
            return Ok(None);
        }
        if self.page >= MAX_REVIEW_PAGES {
            return Err(AvitoError::Unexpected {
                operation: Operation::GetReviewsV1,
                status: 200,
                detail: format!("more than {MAX_REVIEW_PAGES} full pages of reviews"),
            });
        }
        let offset = self.page * REVIEWS_PAGE;
        let mut page = self.account.reviews_page(offset, REVIEWS_PAGE).await?;
        self.page += 1;
        // Paging follows what came; `total` only saves asking for an empty last page.
        self.done = page.received() < REVIEWS_PAGE
            || page
                .total
                .is_some_and(|t| (offset + page.received()) as i64 >= t);
        page.reviews.retain(|r| self.seen.insert(r.id));
        Ok(Some(page))
    }
}

/// A page read tolerantly: `total` as a count, the reviews that can be read, and how many
/// could not (logged).
fn page(value: &Value) -> ReviewsPage {
    let op = Operation::GetReviewsV1;
    // A bare list is read too (the messages operation has that quirk; this one may).
    let list = match value {
        Value::Array(_) => value,
        _ => value.get("reviews").unwrap_or(&Value::Null),
    };
    if !list.is_array() {
        tracing::warn!(operation = %op, "Avito answer has no list of reviews; read as empty");
    }
    let (reviews, skipped) = crate::avito::lenient::list::<Review>(list);
    if skipped > 0 {
        tracing::warn!(operation = %op, skipped, "reviews without a usable id; skipped them");
    }
    ReviewsPage {
        total: value
            .get("total")
            .and_then(crate::avito::lenient::to_rounded),
        reviews,
        skipped,
    }
}
