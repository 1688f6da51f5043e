//! A review as a person reads it: when, how many stars, about which deal and listing, from
//! whom, what it says and where the seller's answer stands. Pure: the reviews come in, text
//! or JSON goes out.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::texts::R;
use crate::avito::ratings::{AnswerStatus, Review, ReviewStage};
use crate::domain::Period;
use crate::domain::dates::start_of_day;
use crate::i18n::{self, Lang};

/// A review's stars as five signs: ★★★☆☆; `?` when Avito gave none that can be believed.
pub fn stars(score: Option<i64>) -> String {
    match score {
        Some(n @ 1..=5) => {
            let n = n as usize;
            format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
        }
        _ => "?".to_owned(),
    }
}

/// The deal's stage in words.
pub fn stage(lang: Lang, stage: &ReviewStage) -> &'static str {
    i18n::text(
        lang,
        match stage {
            ReviewStage::Done => R::StageDone,
            ReviewStage::FellThrough => R::StageFellThrough,
            ReviewStage::NotAgree => R::StageNotAgree,
            ReviewStage::NotCommunicate => R::StageNotCommunicate,
            ReviewStage::Other(_) => R::StageUnknown,
        },
    )
}

/// Where the seller's answer stands, in words.
pub fn answer_status(lang: Lang, status: &AnswerStatus) -> &'static str {
    i18n::text(
        lang,
        match status {
            AnswerStatus::Moderation => R::AnswerModeration,
            AnswerStatus::Published => R::AnswerPublished,
            AnswerStatus::Rejected => R::AnswerRejected,
            AnswerStatus::Other(_) => R::AnswerUnknown,
        },
    )
}

/// A review read for listing: the fields a person looks at, in their words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewLine {
    pub id: i64,
    /// Local time it was written, `YYYY-MM-DD HH:MM`; empty when Avito did not say.
    pub written: String,
    pub stars: Option<i64>,
    pub stage: String,
    pub item: Option<String>,
    pub item_id: Option<i64>,
    pub sender: Option<String>,
    pub text: String,
    pub can_answer: bool,
    pub answer: Option<AnswerLine>,
}

/// The seller's answer to a review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerLine {
    pub text: String,
    /// `moderation`, `published`, `rejected` (or what Avito said).
    pub status: AnswerStatus,
    /// Why moderation refused it; empty unless it was refused.
    pub reject_reasons: Vec<String>,
}

/// The reasons worth showing: a refused answer's (Avito's own example lists reasons beside a
/// published answer, which would read as a refusal).
pub fn refused_for(status: &AnswerStatus, reasons: &[String]) -> Vec<String> {
    match status {
        AnswerStatus::Rejected => reasons.to_vec(),
        _ => Vec::new(),
    }
}

impl ReviewLine {
    pub fn of(review: &Review, lang: Lang, tz: Tz, now: DateTime<Utc>) -> Self {
        let written = review
            .checked_created_at(now)
            .plausible()
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let item = review.item.as_ref();
        Self {
            id: review.id,
            written,
            stars: review.checked_score().plausible(),
            stage: stage(lang, &review.stage).to_owned(),
            item: item.and_then(|i| i.title.clone()),
            item_id: item.and_then(|i| i.id),
            sender: review.sender_name.clone(),
            text: review.text.clone(),
            can_answer: review.can_answer,
            answer: review.answer.as_ref().map(|a| AnswerLine {
                text: a.text.clone(),
                status: a.status.clone(),
                reject_reasons: refused_for(&a.status, &a.reject_reasons),
            }),
        }
    }
}

/// Whether `review` was written on `since` (a day in `tz`) or later; one with no readable
/// time is kept (it may be new).
pub fn written_since(review: &Review, since: NaiveDate, tz: Tz, now: DateTime<Utc>) -> bool {
    let Some(start) = start_of_day(since, tz) else {
        return true;
    };
    review
        .checked_created_at(now)
        .plausible()
        .is_none_or(|t| t >= start)
}

/// Whether `review` was written within `period`'s days in `tz`; one with no readable time is
/// left out (it cannot be placed in the period).
pub fn written_within(review: &Review, period: Period, tz: Tz, now: DateTime<Utc>) -> bool {
    let until = period.to.succ_opt().and_then(|d| start_of_day(d, tz));
    let (Some(from), Some(until)) = (start_of_day(period.from, tz), until) else {
        return false;
    };
    review
        .checked_created_at(now)
        .plausible()
        .is_some_and(|t| t >= from && t < until)
}

/// Newest first: by time written, then by id (a later review has a larger id).
pub fn newest_first(reviews: &mut [Review]) {
    reviews.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
}

/// A review as lines of plain text.
pub fn text(line: &ReviewLine, lang: Lang) -> String {
    let t = |key| i18n::text(lang, key);
    let score = match line.stars {
        Some(n) => format!("{} {n}", stars(Some(n))),
        None => stars(None),
    };
    let mut out = format!(
        "{} {score} · {} · {} · {}",
        if line.written.is_empty() {
            "?"
        } else {
            &line.written
        },
        line.stage,
        line.item.as_deref().unwrap_or(t(R::NoItem)),
        line.sender.as_deref().unwrap_or(t(R::NoSender)),
    );
    for l in line.text.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str("\n  ");
        out.push_str(l.trim());
    }
    match &line.answer {
        Some(answer) => {
            let status = answer_status(lang, &answer.status);
            out.push_str(&format!("\n  ↳ {status}: {}", answer.text.trim()));
            if !answer.reject_reasons.is_empty() {
                out.push_str(&format!(
                    " ({}: {})",
                    t(R::RejectedFor),
                    answer.reject_reasons.join("; ")
                ));
            }
        }
        None if line.can_answer => out.push_str(&format!("\n  ↳ {}", t(R::Unanswered))),
        None => out.push_str(&format!("\n  ↳ {}", t(R::CannotAnswer))),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::ratings::{ReviewAnswer, ReviewItem};

    fn review(id: i64, score: i64, created_at: i64) -> Review {
        Review {
            id,
            score: Some(score),
            stage: ReviewStage::FellThrough,
            text: "Продавец не пришёл\n\nна встречу".into(),
            used_in_score: Some(true),
            can_answer: true,
            created_at: Some(created_at),
            item: Some(ReviewItem {
                id: Some(7),
                title: Some("Диван".into()),
            }),
            sender_name: Some("Ivan".into()),
            answer: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
            .single()
            .expect("now")
    }

    #[test]
    fn a_review_reads_with_its_stars_stage_listing_sender_and_answer() {
        let mut r = review(1, 2, 1_764_979_200); // 2025-12-06 00:00 UTC
        let tz: Tz = chrono_tz::Europe::Moscow;
        let line = ReviewLine::of(&r, Lang::En, tz, now());
        assert_eq!(
            text(&line, Lang::En),
            "2025-12-06 03:00 ★★☆☆☆ 2 · deal fell through · Диван · Ivan\n  \
             Продавец не пришёл\n  на встречу\n  ↳ not answered"
        );
        r.answer = Some(ReviewAnswer {
            id: Some(3),
            text: "Sorry".into(),
            status: AnswerStatus::Rejected,
            created_at: None,
            reject_reasons: vec!["Contacts in the text".into()],
        });
        r.item = None;
        r.sender_name = None;
        r.score = Some(9);
        let shown = text(&ReviewLine::of(&r, Lang::En, tz, now()), Lang::En);
        assert!(
            shown.contains("? · deal fell through · no listing · a buyer"),
            "{shown}"
        );
        assert!(
            shown.ends_with("↳ answer rejected: Sorry (refused for: Contacts in the text)"),
            "{shown}"
        );
        // Reasons beside a published answer (as in Avito's own example) are not a refusal.
        if let Some(answer) = r.answer.as_mut() {
            answer.status = AnswerStatus::Published;
        }
        let shown = text(&ReviewLine::of(&r, Lang::En, tz, now()), Lang::En);
        assert!(shown.ends_with("↳ answer published: Sorry"), "{shown}");
    }

    #[test]
    fn reviews_are_listed_newest_first_and_filtered_by_day() {
        let mut reviews = vec![
            review(1, 5, 1_000),
            review(3, 4, 2_000),
            review(2, 3, 2_000),
        ];
        newest_first(&mut reviews);
        let ids: Vec<i64> = reviews.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![3, 2, 1]);
        let tz: Tz = chrono_tz::Europe::Moscow;
        let day = NaiveDate::from_ymd_opt(2025, 12, 6).expect("day");
        // Written 2025-12-06 00:00 UTC = 03:00 Moscow: on the day.
        assert!(written_since(&review(1, 5, 1_764_979_200), day, tz, now()));
        // 2025-12-05 20:00 UTC = 23:00 Moscow, the day before.
        assert!(!written_since(&review(1, 5, 1_764_964_800), day, tz, now()));
        let mut timeless = review(1, 5, 0);
        timeless.created_at = None;
        assert!(written_since(&timeless, day, tz, now()));
        let period = Period { from: day, to: day };
        assert!(written_within(
            &review(1, 5, 1_764_979_200),
            period,
            tz,
            now()
        ));
        assert!(!written_within(
            &review(1, 5, 1_764_964_800),
            period,
            tz,
            now()
        ));
        // 2025-12-06 21:00 UTC is midnight in Moscow: the next day.
        assert!(!written_within(
            &review(1, 5, 1_765_054_800),
            period,
            tz,
            now()
        ));
        assert!(!written_within(&timeless, period, tz, now()));
    }
}
