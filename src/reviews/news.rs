//! Which reviews the new-review rule tells, decided without I/O. A review the rule has not
//! dealt with yet is told, marked seen without a word, or left for later; the job records the
//! choice (the record of a told review is its notice's claim).

use chrono::{DateTime, Utc};

use crate::avito::ratings::{AnswerStatus, Review};

/// What the rule knows when it looks at a review it has not dealt with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watching {
    /// The first pass since the rule was switched on: what existed then is not news.
    pub first_pass: bool,
    /// Unix seconds: when the rule was switched on (or the profile added with it on).
    pub since: i64,
    /// The most stars a review may have to be told (5: every review; 3: only 1–3★).
    pub max_stars: i64,
    /// Quiet hours now: notices wait for them to end.
    pub quiet: bool,
}

/// What to do with a review the rule has not dealt with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// A notice, once.
    Tell,
    /// Seen, no notice: it existed before the rule watched, or has more stars than the bar.
    Mark,
    /// Quiet hours: the first check after them tells it.
    Wait,
}

pub fn decide(review: &Review, w: Watching, now: DateTime<Utc>) -> News {
    let written = review.checked_created_at(now).plausible();
    // On the first pass only a review written after the switch counts; one with no readable
    // time is taken as old there (nothing old floods in), and as new later (it was not there
    // on the first pass).
    let old = w.first_pass && written.is_none_or(|t| t < w.since);
    // A review of unreadable stars is told: the seller should judge it.
    let above_bar = review
        .checked_score()
        .plausible()
        .is_some_and(|stars| stars > w.max_stars);
    match () {
        _ if old || above_bar => News::Mark,
        _ if w.quiet => News::Wait,
        _ => News::Tell,
    }
}

/// Whether the seller can still answer `review` and has not.
pub fn unanswered(review: &Review) -> bool {
    review.can_answer && review.answer.is_none()
}

/// Moderation's verdict on an answer, when it has given one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Published,
    Rejected(Vec<String>),
}

/// The verdict on the seller's answer to `review`, if there is an answer and a verdict.
pub fn verdict(review: &Review) -> Option<Verdict> {
    let answer = review.answer.as_ref()?;
    match answer.status {
        AnswerStatus::Published => Some(Verdict::Published),
        AnswerStatus::Rejected => Some(Verdict::Rejected(answer.reject_reasons.clone())),
        AnswerStatus::Moderation | AnswerStatus::Other(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::ratings::{ReviewAnswer, ReviewStage};

    const SINCE: i64 = 1_790_000_000;

    fn review(score: i64, created_at: i64) -> Review {
        Review {
            id: 1,
            score: Some(score),
            stage: ReviewStage::Done,
            text: String::new(),
            used_in_score: Some(true),
            can_answer: true,
            created_at: Some(created_at),
            item: None,
            sender_name: None,
            answer: None,
        }
    }

    fn watching(first_pass: bool, max_stars: i64, quiet: bool) -> Watching {
        Watching {
            first_pass,
            since: SINCE,
            max_stars,
            quiet,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(SINCE + 3600, 0).expect("time")
    }

    #[test]
    fn the_first_pass_marks_what_was_there_and_tells_what_came_after() {
        let w = watching(true, 5, false);
        assert_eq!(decide(&review(2, SINCE - 1), w, now()), News::Mark);
        assert_eq!(decide(&review(2, SINCE + 1), w, now()), News::Tell);
        let mut timeless = review(2, 0);
        timeless.created_at = None;
        assert_eq!(decide(&timeless, w, now()), News::Mark);
        // Later passes: whatever the rule has not seen is new, however old it says it is
        // (a review can come out of Avito's moderation days after it was written).
        let later = watching(false, 5, false);
        assert_eq!(decide(&review(2, SINCE - 86_400), later, now()), News::Tell);
        assert_eq!(decide(&timeless, later, now()), News::Tell);
    }

    #[test]
    fn the_bar_marks_happy_reviews_and_quiet_hours_hold_the_rest() {
        let low = watching(false, 3, false);
        assert_eq!(decide(&review(4, SINCE), low, now()), News::Mark);
        assert_eq!(decide(&review(3, SINCE), low, now()), News::Tell);
        let mut odd = review(0, SINCE);
        odd.score = Some(9);
        assert_eq!(decide(&odd, low, now()), News::Tell, "unreadable stars");
        let quiet = watching(false, 5, true);
        assert_eq!(decide(&review(1, SINCE), quiet, now()), News::Wait);
        assert_eq!(
            decide(&review(1, SINCE - 10), watching(true, 5, true), now()),
            News::Mark
        );
    }

    #[test]
    fn verdicts_and_unanswered_reviews() {
        let mut r = review(2, SINCE);
        assert!(unanswered(&r));
        assert_eq!(verdict(&r), None);
        r.answer = Some(ReviewAnswer {
            status: AnswerStatus::Moderation,
            ..ReviewAnswer::default()
        });
        assert!(!unanswered(&r));
        assert_eq!(verdict(&r), None);
        r.answer = Some(ReviewAnswer {
            status: AnswerStatus::Rejected,
            reject_reasons: vec!["Оскорбления".into()],
            ..ReviewAnswer::default()
        });
        assert_eq!(
            verdict(&r),
            Some(Verdict::Rejected(vec!["Оскорбления".into()]))
        );
        r.can_answer = false;
        r.answer = None;
        assert!(!unanswered(&r));
    }
}
