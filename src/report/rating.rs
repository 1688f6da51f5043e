//! The rating's line: the score Avito gives now, its change since the period began (from the
//! worker's daily snapshots: the API gives only the current score), and the reviews written
//! within the period. Pure: the requests are in `fetch`, the snapshots in `crate::db::ratings`.

use std::collections::HashSet;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::avito::plausible::Checked;
use crate::avito::ratings::{RatingInfo, Review};
use crate::db::ratings::RatingSnapshot;
use crate::domain::dates::start_of_day;

use super::metrics::Metric;
use super::model::{MetricLine, Missing, NewReviews, RatingDetail, Value};
use super::period::Period;

/// Review pages a report scans for the period's new reviews (50 a page: 1,000 reviews).
/// Avito does not document their order, so every page up to this is read and filtered by date.
pub const REVIEW_PAGES: usize = 20;

/// The reviews a report scanned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReviewScan {
    pub reviews: Vec<Review>,
    /// The scan stopped at [`REVIEW_PAGES`] full pages: there may be more.
    pub capped: bool,
}

/// What was fetched for the rating.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingFetch {
    pub info: RatingInfo,
    /// `None` when the reviews could not be listed (the score still shows).
    pub reviews: Option<ReviewScan>,
}

/// The instants a period covers in its time zone, as Unix seconds: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewWindow {
    pub from: i64,
    pub to: i64,
}

impl ReviewWindow {
    /// From the start of the period's first day to the start of the day after its last.
    pub fn of(period: Period, tz: Tz) -> Option<Self> {
        let from = start_of_day(period.from, tz)?;
        let to = start_of_day(period.to.succ_opt()?, tz)?;
        Some(Self { from, to })
    }

    fn holds(self, t: i64) -> bool {
        self.from <= t && t < self.to
    }
}

/// What the rating's line is made from besides the fetch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingContext {
    /// `None`: the period's instants could not be told (then no new reviews are counted).
    pub window: Option<ReviewWindow>,
    /// The snapshot at or before the period's first day; `None`: no change is shown.
    pub baseline: Option<RatingSnapshot>,
}

/// The snapshot to store of what Avito said: only a believable score is kept.
pub fn snapshot_of(info: &RatingInfo, day: NaiveDate, taken_at: i64) -> Option<RatingSnapshot> {
    if info.enabled == Some(false) {
        return None;
    }
    let rating = info.rating.as_ref()?;
    Some(RatingSnapshot {
        day,
        score: rating.checked_score().plausible()?,
        reviews_count: rating.checked_reviews_count().plausible(),
        reviews_with_score_count: rating.checked_reviews_with_score_count().plausible(),
        taken_at,
    })
}

/// The rating's line: n/a with the reason when the rating is off, not there yet or cannot be
/// true (never 0); the change only against a stored snapshot (never a made-up 0).
pub fn rating_line(fetch: &RatingFetch, context: &RatingContext) -> MetricLine {
    let missing = |m| MetricLine::new(Metric::Rating, Value::Missing(m), None);
    if fetch.info.enabled == Some(false) {
        return missing(Missing::RatingOff);
    }
    let Some(rating) = &fetch.info.rating else {
        return missing(Missing::NoRating);
    };
    let score = match rating.checked_score() {
        Checked::Plausible(s) => s,
        Checked::Implausible(_) => return missing(Missing::Implausible),
        Checked::Missing => return missing(Missing::NoRating),
    };
    let previous = context.baseline.as_ref().map(|b| Value::Stars(b.score));
    let mut line = MetricLine::new(Metric::Rating, Value::Stars(score), previous);
    line.rating = Some(RatingDetail {
        reviews: rating.checked_reviews_count().plausible(),
        counted: rating.checked_reviews_with_score_count().plausible(),
        new_reviews: match (&fetch.reviews, context.window) {
            (Some(scan), Some(window)) => Some(new_reviews(scan, window)),
            _ => None,
        },
    });
    line
}

/// The reviews written within `window` (each once, however paging moved them) and the average
/// of their believable stars.
pub fn new_reviews(scan: &ReviewScan, window: ReviewWindow) -> NewReviews {
    let mut seen = HashSet::new();
    let within: Vec<&Review> = scan
        .reviews
        .iter()
        .filter(|r| r.created_at.is_some_and(|t| window.holds(t)))
        .filter(|r| seen.insert(r.id))
        .collect();
    let stars: Vec<i64> = within
        .iter()
        .filter_map(|r| r.checked_score().plausible())
        .collect();
    let average = (!stars.is_empty())
        .then(|| round_tenth(stars.iter().sum::<i64>() as f64 / stars.len() as f64));
    NewReviews {
        count: within.len() as i64,
        average,
        at_least: scan.capped,
    }
}

fn round_tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The rating of several profiles: their scores averaged, each weighted by the reviews that
/// make it (a score of 2 reviews moves the total less than one of 200); a profile that does
/// not say how many is left out of the average. New reviews add up, their average weighted by
/// their number. n/a when no profile has a score (switched off when all are off).
pub fn combined_line(lines: &[&MetricLine]) -> MetricLine {
    let details: Vec<&RatingDetail> = lines.iter().filter_map(|l| l.rating.as_ref()).collect();
    let (mut weighted, mut weight) = (0.0, 0i64);
    for line in lines {
        if let (Value::Stars(s), Some(n)) =
            (&line.value, line.rating.as_ref().and_then(|d| d.counted))
        {
            weighted += s * n as f64;
            weight += n;
        }
    }
    let value = if weight > 0 {
        Value::Stars(round_tenth(weighted / weight as f64))
    } else if !lines.is_empty()
        && lines
            .iter()
            .all(|l| l.value == Value::Missing(Missing::RatingOff))
    {
        Value::Missing(Missing::RatingOff)
    } else {
        Value::Missing(Missing::NoRating)
    };
    let mut line = MetricLine::new(Metric::Rating, value, None);
    if line.value.missing() {
        return line;
    }
    let sum = |pick: fn(&RatingDetail) -> Option<i64>| -> Option<i64> {
        details.iter().map(|d| pick(d)).sum()
    };
    line.rating = Some(RatingDetail {
        reviews: sum(|d| d.reviews),
        counted: sum(|d| d.counted),
        new_reviews: combined_new(&details),
    });
    line
}

/// The profiles' new reviews together; `None` when some profile's could not be listed.
fn combined_new(details: &[&RatingDetail]) -> Option<NewReviews> {
    let all: Option<Vec<&NewReviews>> = details.iter().map(|d| d.new_reviews.as_ref()).collect();
    let all = all?;
    let count = all.iter().map(|n| n.count).sum();
    let (mut weighted, mut weight) = (0.0, 0i64);
    for n in &all {
        if let Some(a) = n.average {
            weighted += a * n.count as f64;
            weight += n.count;
        }
    }
    Some(NewReviews {
        count,
        average: (weight > 0).then(|| round_tenth(weighted / weight as f64)),
        at_least: all.iter().any(|n| n.at_least),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::ratings::Rating;
    use crate::report::model::Change;
    use serde_json::json;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).expect("date")
    }

    fn info(enabled: Option<bool>, score: Option<f64>) -> RatingInfo {
        RatingInfo {
            enabled,
            rating: score.map(|s| Rating {
                score: Some(s),
                reviews_count: Some(21),
                reviews_with_score_count: Some(12),
            }),
        }
    }

    fn review(id: i64, score: i64, at: i64) -> Review {
        serde_json::from_value(json!({"id": id, "score": score, "createdAt": at})).expect("review")
    }

    fn snapshot(score: f64) -> RatingSnapshot {
        RatingSnapshot {
            day: d(1),
            score,
            reviews_count: Some(20),
            reviews_with_score_count: Some(11),
            taken_at: 0,
        }
    }

    const WINDOW: ReviewWindow = ReviewWindow {
        from: 1000,
        to: 2000,
    };

    fn context(baseline: Option<RatingSnapshot>) -> RatingContext {
        RatingContext {
            window: Some(WINDOW),
            baseline,
        }
    }

    #[test]
    fn the_score_shows_its_counts_its_change_and_the_periods_new_reviews() {
        let scan = ReviewScan {
            // One before the period, one after it, a duplicate from paging, a bad score.
            reviews: vec![
                review(1, 5, 1000),
                review(2, 2, 1999),
                review(2, 2, 1999),
                review(3, 4, 1500),
                review(4, 1, 999),
                review(5, 5, 2000),
                review(6, 9, 1200),
            ],
            capped: false,
        };
        let fetch = RatingFetch {
            info: info(Some(true), Some(4.3)),
            reviews: Some(scan),
        };
        let line = rating_line(&fetch, &context(Some(snapshot(4.2))));
        assert_eq!(line.value, Value::Stars(4.3));
        assert_eq!(line.change, Some(Change::Up(0.1)));
        let detail = line.rating.expect("detail");
        assert_eq!((detail.reviews, detail.counted), (Some(21), Some(12)));
        assert_eq!(
            detail.new_reviews,
            Some(NewReviews {
                count: 4,
                average: Some(3.7),
                at_least: false
            })
        );
    }

    #[test]
    fn no_snapshot_means_no_change_never_a_zero() {
        let fetch = RatingFetch {
            info: info(None, Some(4.0)),
            reviews: None,
        };
        let line = rating_line(&fetch, &context(None));
        assert_eq!((line.previous.clone(), line.change), (None, None));
        assert_eq!(line.rating.expect("detail").new_reviews, None);
    }

    #[test]
    fn a_rating_off_missing_or_impossible_is_na_with_the_reason() {
        let line = |info| {
            rating_line(
                &RatingFetch {
                    info,
                    reviews: Some(ReviewScan::default()),
                },
                &context(Some(snapshot(4.0))),
            )
        };
        assert_eq!(
            line(info(Some(false), Some(4.5))).value,
            Value::Missing(Missing::RatingOff)
        );
        assert_eq!(
            line(info(Some(true), None)).value,
            Value::Missing(Missing::NoRating)
        );
        let na = line(info(Some(true), Some(7.0)));
        assert_eq!(na.value, Value::Missing(Missing::Implausible));
        assert_eq!((na.change, na.rating), (None, None));
    }

    #[test]
    fn a_capped_scan_counts_at_least_and_no_scores_have_no_average() {
        let scan = ReviewScan {
            reviews: vec![review(1, 0, 1500)],
            capped: true,
        };
        let new = new_reviews(&scan, WINDOW);
        assert_eq!(
            new,
            NewReviews {
                count: 1,
                average: None,
                at_least: true
            }
        );
    }

    #[test]
    fn only_a_believable_enabled_score_is_stored() {
        assert_eq!(
            snapshot_of(&info(Some(true), Some(4.3)), d(5), 7).map(|s| s.score),
            Some(4.3)
        );
        assert_eq!(snapshot_of(&info(Some(false), Some(4.3)), d(5), 7), None);
        assert_eq!(snapshot_of(&info(Some(true), Some(0.2)), d(5), 7), None);
        assert_eq!(snapshot_of(&info(Some(true), None), d(5), 7), None);
    }

    #[test]
    fn the_window_is_the_periods_days_in_its_zone() {
        let w =
            ReviewWindow::of(Period::new(d(1), d(2)), chrono_tz::Europe::Moscow).expect("window");
        // 2026-11-01 00:00 MSK = 2026-10-31 21:00 UTC; two days long.
        assert_eq!(w.from, 1_793_480_400);
        assert_eq!(w.to - w.from, 2 * 86_400);
    }

    #[test]
    fn profiles_combine_weighted_by_the_reviews_that_make_each_score() {
        let with = |score: f64, counted: i64, new: i64, avg: f64| {
            let mut l = MetricLine::new(Metric::Rating, Value::Stars(score), None);
            l.rating = Some(RatingDetail {
                reviews: Some(counted + 1),
                counted: Some(counted),
                new_reviews: Some(NewReviews {
                    count: new,
                    average: Some(avg),
                    at_least: false,
                }),
            });
            l
        };
        let (a, b) = (with(5.0, 30, 1, 5.0), with(3.0, 10, 3, 3.0));
        let off = MetricLine::new(Metric::Rating, Value::Missing(Missing::RatingOff), None);
        let total = combined_line(&[&a, &b, &off]);
        assert_eq!(total.value, Value::Stars(4.5));
        let detail = total.rating.expect("detail");
        assert_eq!((detail.reviews, detail.counted), (Some(42), Some(40)));
        let new = detail.new_reviews.expect("new");
        assert_eq!((new.count, new.average), (4, Some(3.5)));
        assert_eq!(
            combined_line(&[&off]).value,
            Value::Missing(Missing::RatingOff)
        );
        assert_eq!(combined_line(&[]).value, Value::Missing(Missing::NoRating));
    }
}
