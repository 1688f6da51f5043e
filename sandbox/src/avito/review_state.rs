//! Reviews and ratings as served: the generated ones with what happened since start lying over
//! them — reviews added, answers written through `createReviewAnswerV1`, answers moderated, a
//! rating set by a test — and how many answer requests reached each review.
//!
//! Live changes name the account by its `user_id` and are refused ([`LiveError`]) when it or the
//! review does not exist, as the other live changes are.

use std::collections::HashMap;

use super::data::{
    AnswerStatus, Dataset, RatingInfo, RejectReason, Review, ReviewAnswer, ReviewItem, Stage,
    added_review_id,
};
use super::live::{LiveError, index};

/// Ids of answers written while running start above this (generated ones are below 2·10⁹).
const WRITTEN_ANSWER_IDS: i64 = 2_000_000_000;
/// Reviews an account may hold, generated and added: its review ids span 100,000.
const MAX_HELD: usize = 99_999;

/// A review to add while running (`AvitoEmulator::add_review`, `POST /_control/review`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    /// 1–5.
    pub score: i64,
    pub stage: Stage,
    pub text: String,
    /// One of the account's items; `None`: about no ad.
    pub item_id: Option<i64>,
    /// The buyer's name; `None`: no sender.
    pub sender: Option<String>,
    pub can_answer: bool,
    pub used_in_score: bool,
    /// Unix seconds.
    pub created_at: i64,
}

impl NewReview {
    /// A review written now: the deal done, answerable, counted in the score, about no item,
    /// from no named sender.
    pub fn new(score: i64, text: &str) -> NewReview {
        NewReview {
            score,
            stage: Stage::Done,
            text: text.to_owned(),
            item_id: None,
            sender: None,
            can_answer: true,
            used_in_score: true,
            created_at: chrono::Utc::now().timestamp(),
        }
    }
}

/// Moderation's verdict on an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Published,
    /// With the reasons' titles (none given: "Ответ не относится к отзыву").
    Rejected(Vec<String>),
    /// Back to moderation.
    Moderation,
}

/// Why `createReviewAnswerV1` refused an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 404: no such review of this account.
    NotFound,
    /// 403: `canAnswer` is false (answered already, or closed to answers).
    CannotAnswer,
}

/// `CreateAnswerResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    pub id: i64,
    pub created_at: i64,
}

#[derive(Debug, Default)]
pub(crate) struct ReviewState {
    accounts: HashMap<usize, Changes>,
    /// `createReviewAnswerV1` requests that named each review id, whatever came of them.
    answer_requests: HashMap<i64, usize>,
    answers_written: i64,
}

/// One account's changes.
#[derive(Debug, Default)]
struct Changes {
    added: Vec<Review>,
    /// Generated reviews as they are now (answered, moderated), by id.
    changed: HashMap<i64, Review>,
    rating: Option<RatingInfo>,
}

impl ReviewState {
    /// Every review of account `i` as served: newest first, the higher id first on a tie.
    pub fn reviews<'a>(&'a self, data: &'a Dataset, i: usize) -> Vec<&'a Review> {
        let changes = self.accounts.get(&i);
        let mut all: Vec<&Review> = data.accounts()[i]
            .reviews
            .iter()
            .map(|r| changes.and_then(|c| c.changed.get(&r.id)).unwrap_or(r))
            .collect();
        if let Some(c) = changes.filter(|c| !c.added.is_empty()) {
            all.extend(c.added.iter());
            all.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then_with(|| b.id.cmp(&a.id))
            });
        }
        all
    }

    /// The rating of account `i`: the one a test set, else the one its reviews make.
    pub fn rating(&self, data: &Dataset, i: usize) -> RatingInfo {
        if let Some(set) = self.accounts.get(&i).and_then(|c| c.rating.clone()) {
            return set;
        }
        RatingInfo::of(
            data.accounts()[i].spec.rating,
            self.reviews(data, i).into_iter(),
        )
    }

    pub fn count_answer_request(&mut self, review_id: i64) {
        *self.answer_requests.entry(review_id).or_default() += 1;
    }

    pub fn answer_requests(&self, review_id: i64) -> usize {
        self.answer_requests.get(&review_id).copied().unwrap_or(0)
    }

    /// Answer requests per review id, for `GET /_control/counts`.
    pub fn answer_requests_by_review(&self) -> std::collections::BTreeMap<String, usize> {
        self.answer_requests
            .iter()
            .map(|(id, n)| (id.to_string(), *n))
            .collect()
    }

    /// Stores `text` as the answer to `review_id` of account `i`: in moderation, and the review
    /// can no longer be answered.
    pub fn answer(
        &mut self,
        data: &Dataset,
        i: usize,
        review_id: i64,
        text: &str,
        now: i64,
    ) -> Result<Written, Refusal> {
        let id = WRITTEN_ANSWER_IDS + self.answers_written + 1;
        let review = self
            .review_mut(data, i, review_id)
            .ok_or(Refusal::NotFound)?;
        if !review.can_answer {
            return Err(Refusal::CannotAnswer);
        }
        review.answer = Some(ReviewAnswer {
            id,
            text: text.to_owned(),
            status: AnswerStatus::Moderation,
            created_at: now,
            reject_reasons: Vec::new(),
        });
        review.can_answer = false;
        self.answers_written += 1;
        Ok(Written {
            id,
            created_at: now,
        })
    }

    /// A review of account `i` to change: an added one, or a generated one copied on first
    /// change.
    fn review_mut(&mut self, data: &Dataset, i: usize, id: i64) -> Option<&mut Review> {
        let changes = self.accounts.entry(i).or_default();
        if let Some(pos) = changes.added.iter().position(|r| r.id == id) {
            return changes.added.get_mut(pos);
        }
        let generated = data.accounts().get(i)?.review(id)?;
        Some(
            changes
                .changed
                .entry(id)
                .or_insert_with(|| generated.clone()),
        )
    }

    /// A review as served now.
    pub fn review(&self, data: &Dataset, user_id: i64, review_id: i64) -> Option<Review> {
        let i = data.account_index(user_id)?;
        let changes = self.accounts.get(&i);
        changes
            .and_then(|c| {
                c.added
                    .iter()
                    .find(|r| r.id == review_id)
                    .or_else(|| c.changed.get(&review_id))
            })
            .or_else(|| data.accounts()[i].review(review_id))
            .cloned()
    }

    /// Adds a review; returns its id.
    pub fn add_review(
        &mut self,
        data: &Dataset,
        user_id: i64,
        new: NewReview,
    ) -> Result<i64, LiveError> {
        let i = index(data, user_id)?;
        if !(1..=5).contains(&new.score) {
            return Err(LiveError::Score(new.score));
        }
        let account = &data.accounts()[i];
        let item = match new.item_id {
            Some(id) => {
                let it = account.item(id).ok_or(LiveError::NoItem(user_id, id))?;
                Some(ReviewItem {
                    id: it.id,
                    title: it.title.clone(),
                })
            }
            None => None,
        };
        let changes = self.accounts.entry(i).or_default();
        let held = account.reviews.len() + changes.added.len();
        if held >= MAX_HELD {
            return Err(LiveError::TooManyReviews(user_id));
        }
        let id = added_review_id(user_id, account.reviews.len(), changes.added.len() + 1);
        changes.added.push(Review {
            id,
            score: new.score,
            stage: new.stage,
            text: new.text,
            used_in_score: new.used_in_score,
            can_answer: new.can_answer,
            created_at: new.created_at,
            item,
            sender: new.sender,
            answer: None,
            images: 0,
            vin: None,
        });
        Ok(id)
    }

    /// Sets what `getRatingsInfoV1` answers for the account, whatever its reviews.
    pub fn set_rating(
        &mut self,
        data: &Dataset,
        user_id: i64,
        rating: RatingInfo,
    ) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        if let Some(r) = rating.rating.as_ref().filter(|r| !r.score.is_finite()) {
            return Err(LiveError::RatingScore(r.score));
        }
        self.accounts.entry(i).or_default().rating = Some(rating);
        Ok(())
    }

    /// Moderation decides on the answer to `review_id`: a rejected answer carries its reasons
    /// and the review can be answered again; a published one is final.
    pub fn moderate(
        &mut self,
        data: &Dataset,
        user_id: i64,
        review_id: i64,
        verdict: Verdict,
    ) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        let review = self
            .review_mut(data, i, review_id)
            .ok_or(LiveError::NoReview(user_id, review_id))?;
        let answer = review
            .answer
            .as_mut()
            .ok_or(LiveError::NoAnswer(review_id))?;
        let (status, reasons) = match verdict {
            Verdict::Published => (AnswerStatus::Published, Vec::new()),
            Verdict::Moderation => (AnswerStatus::Moderation, Vec::new()),
            Verdict::Rejected(titles) if titles.is_empty() => (
                AnswerStatus::Rejected,
                vec![RejectReason::titled("Ответ не относится к отзыву", 0)],
            ),
            Verdict::Rejected(titles) => (
                AnswerStatus::Rejected,
                titles
                    .iter()
                    .enumerate()
                    .map(|(n, t)| RejectReason::titled(t, n))
                    .collect(),
            ),
        };
        answer.status = status;
        answer.reject_reasons = reasons;
        review.can_answer = status == AnswerStatus::Rejected;
        Ok(())
    }
}
