//! A report as data: serialisable, rendered later in any language and format.

use serde::Serialize;

use super::metrics::{Metric, Unit};
use super::period::Period;
use crate::avito::money::Kopecks;
use crate::domain::AccountId;

/// Why a value is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum Missing {
    /// Avito left the metric out (not available to this account).
    NotProvided,
    /// Avito refused access (e.g. no CPA or no subscription).
    NoAccess,
    /// A ratio whose denominator is zero.
    NoBase,
    /// Avito returned a value that cannot be true (negative views, a wallet of 10¹⁷ ₽).
    Implausible,
    /// Fetching failed.
    Failed(Failure),
    /// The seller's rating is switched off on Avito (`isEnabled: false`).
    RatingOff,
    /// The seller has no rating yet (too few reviews, a new account).
    NoRating,
}

/// A metric's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Value {
    Count(i64),
    /// A percentage, e.g. 4.5 for 4.5 %.
    Percent(f64),
    Money(Kopecks),
    /// A score of one to five stars.
    Stars(f64),
    Missing(Missing),
}

impl Value {
    pub fn missing(&self) -> bool {
        matches!(self, Value::Missing(_))
    }

    /// The number behind the value, for comparison and totals.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Count(n) => Some(*n as f64),
            Value::Percent(p) => Some(*p),
            Value::Money(k) => Some(k.0 as f64),
            Value::Stars(s) => Some(*s),
            Value::Missing(_) => None,
        }
    }

    /// A value of `unit` from a number.
    pub fn of(unit: Unit, number: f64) -> Value {
        match unit {
            Unit::Count => Value::Count(number.round() as i64),
            Unit::Percent => Value::Percent(number),
            Unit::Money => Value::Money(Kopecks::from_api(number)),
            Unit::Stars => Value::Stars(number),
        }
    }
}

/// How a value moved against the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "direction", content = "by", rename_all = "snake_case")]
pub enum Change {
    /// Relative change in percent (percentage points for percentages, stars for scores).
    Up(f64),
    Down(f64),
    Same,
    /// The previous period had nothing.
    New,
}

impl Change {
    /// Compares two values of `unit`; `None` when either is missing.
    pub fn between(unit: Unit, current: &Value, previous: &Value) -> Option<Change> {
        let (cur, prev) = (current.number()?, previous.number()?);
        // Points and stars move in absolute steps; counts and money relative to the base.
        let absolute = matches!(unit, Unit::Percent | Unit::Stars);
        let delta = if absolute {
            cur - prev
        } else if prev == 0.0 {
            return Some(if cur == 0.0 {
                Change::Same
            } else {
                Change::New
            });
        } else {
            (cur - prev) / prev.abs() * 100.0
        };
        // Rounded as shown (whole percent; tenths of a point for percentages): a change that
        // rounds to zero is no change.
        let shown = if absolute {
            (delta * 10.0).round() / 10.0
        } else {
            delta.round()
        };
        Some(if shown == 0.0 {
            Change::Same
        } else if shown > 0.0 {
            Change::Up(shown)
        } else {
            Change::Down(-shown)
        })
    }
}

/// A sub-value shown under a metric (contacts by phone, spending by type, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Contacts who viewed the phone and did not write.
    ContactsPhoneOnly,
    /// Contacts who wrote and did not view the phone.
    ContactsChatOnly,
    ContactsPhoneAndChat,
    /// The rest of the contacts (replies to discount offers).
    ContactsOther,
    CallsAnswered,
    CallsMissed,
    SpendingPresence,
    SpendingPromo,
    SpendingCommission,
    SpendingRest,
    SpendingBonus,
    WalletBonus,
}

/// One metric of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricLine {
    pub metric: Metric,
    pub value: Value,
    /// The previous period's value, where the metric is compared.
    pub previous: Option<Value>,
    pub change: Option<Change>,
    pub parts: Vec<PartValue>,
    /// The rating's figures besides its score (the rating's line only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingDetail>,
}

/// What the rating's line shows besides the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingDetail {
    /// Active reviews; `None` when Avito left the figure out or it could not be true.
    pub reviews: Option<i64>,
    /// Active reviews that make the score.
    pub counted: Option<i64>,
    /// Reviews written within the period; `None` when the reviews could not be listed.
    pub new_reviews: Option<NewReviews>,
}

/// The reviews written within a report's period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewReviews {
    pub count: i64,
    /// The average of their stars; `None` when none had a readable score.
    pub average: Option<f64>,
    /// The listing was cut short (see `report::rating::REVIEW_PAGES`): at least `count`.
    pub at_least: bool,
}

/// A sub-value of a metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartValue {
    pub part: Part,
    pub value: Value,
}

impl MetricLine {
    pub fn new(metric: Metric, value: Value, previous: Option<Value>) -> Self {
        let change = previous
            .as_ref()
            .and_then(|p| Change::between(metric.unit(), &value, p));
        Self {
            metric,
            value,
            previous,
            change,
            parts: Vec::new(),
            rating: None,
        }
    }

    pub fn with_parts(mut self, parts: Vec<(Part, Value)>) -> Self {
        self.parts = parts
            .into_iter()
            .map(|(part, value)| PartValue { part, value })
            .collect();
        self
    }
}

/// An item among the period's best.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopItem {
    pub id: i64,
    pub title: String,
    pub url: Option<String>,
    pub views: i64,
    pub contacts: i64,
}

/// "Listings to look at": what became of the section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ListingsSection {
    Ready(Box<ListingGroups>),
    /// No recent answer to reuse and no time to ask: it comes with the next report.
    Later,
    /// The account's listings took `pages` requests last time: more than are asked ahead of
    /// a slot, so not asked for (and not coming with the next report either).
    Beyond {
        pages: u32,
    },
    Failed {
        error: Failure,
    },
}

/// The groups with a listing in them (an empty group is an empty list, shown as nothing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListingGroups {
    /// "Many views": the bar used, and the median listing's views it came from.
    pub many_views: u64,
    pub median_views: u64,
    /// The account's price of a contact.
    pub account_cost: Option<Kopecks>,
    pub silent: Vec<ListingLine>,
    pub costly: Vec<ListingLine>,
    pub fallen: Vec<ListingLine>,
    pub flagged: Vec<ListingLine>,
    /// Blocked and rejected listings in all (more than are listed).
    pub flagged_total: usize,
}

impl ListingGroups {
    pub fn is_empty(&self) -> bool {
        self.silent.is_empty()
            && self.costly.is_empty()
            && self.fallen.is_empty()
            && self.flagged.is_empty()
    }
}

/// One listing of a group: its name (`None`: only its number is known), its link, and the
/// figure that put it there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListingLine {
    pub id: i64,
    pub title: Option<String>,
    pub url: String,
    pub figure: ListingFigure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ListingFigure {
    Views { views: u64 },
    Cost { cost: Kopecks },
    Fell { before: u64, now: u64 },
    Blocked,
    Rejected,
}

/// Something the reader should know about the report as a whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// The previous period lies beyond what Avito keeps: no comparison.
    NoComparison,
    /// Top items were ranked among the first `ranked` active items only.
    TopItemsPartial { ranked: usize },
}

/// One day's figures behind a report's totals, for its charts. `None`: Avito left the figure
/// out that day or it could not be true (never drawn as zero); a day Avito listed nothing for
/// counts as zeros, as it does in the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct DayFigures {
    pub date: chrono::NaiveDate,
    pub views: Option<i64>,
    pub contacts: Option<i64>,
    pub spending: Option<Kopecks>,
    /// Spending by type (listing, promotion, commission, other, bonuses), in that order: the
    /// types add up to `spending`.
    pub spending_parts: Vec<(Part, Option<Kopecks>)>,
}

/// The per-day figures a report's charts draw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyFigures {
    /// The days the charts show: the report's period, or the last 14 days of a one-day
    /// report (as far back as Avito keeps statistics).
    pub days: Vec<DayFigures>,
    /// The previous period's days, under the period's (empty for a one-day report or when
    /// there is no comparison).
    pub previous: Vec<DayFigures>,
}

/// The report of one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileReport {
    pub profile: String,
    pub account_id: Option<AccountId>,
    pub period: Period,
    pub previous: Option<Period>,
    pub time_zone: String,
    pub lines: Vec<MetricLine>,
    pub top_items: Vec<TopItem>,
    /// `None` when the section is not selected or the period is shorter than a week.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listings: Option<ListingsSection>,
    pub notes: Vec<Note>,
    /// For the charts only: not part of the text or the JSON. `None` when the statistics
    /// could not be fetched (or no metric needed them).
    #[serde(skip)]
    pub daily: Option<DailyFigures>,
}

impl ProfileReport {
    /// The failures of metrics that could not be fetched, one per line that failed.
    pub fn fetch_failures(&self) -> Vec<&Failure> {
        self.lines
            .iter()
            .filter_map(|l| match &l.value {
                Value::Missing(Missing::Failed(f)) => Some(f),
                _ => None,
            })
            .collect()
    }
}

/// A profile's part of a combined report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Section {
    Ok { report: ProfileReport },
    Failed { profile: String, error: Failure },
}

/// Why a profile (or one of its sources) could not be reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Failure {
    /// Avito refused the profile's client id / secret.
    Credentials,
    /// Avito did not answer (after retries) or kept rate limiting: a later try may succeed.
    Unavailable(String),
    /// Avito refused the request (400, 404, …) or answered what cannot be read: the same
    /// request later gets the same answer.
    Other(String),
}

impl Failure {
    /// Whether trying again later could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::Unavailable(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Credentials => f.write_str("Avito refused the client credentials"),
            Failure::Unavailable(detail) | Failure::Other(detail) => f.write_str(detail),
        }
    }
}

impl From<&crate::avito::AvitoError> for Failure {
    fn from(e: &crate::avito::AvitoError) -> Self {
        use crate::avito::AvitoError;
        match e {
            AvitoError::InvalidCredentials => Failure::Credentials,
            AvitoError::Unavailable { .. } | AvitoError::RateLimited { .. } => {
                Failure::Unavailable(e.to_string())
            }
            // Only a recent answer would have done: a later report asks again.
            AvitoError::NotCached { .. } => Failure::Unavailable(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}

/// A report over several profiles: a section each and a total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombinedReport {
    pub period: Period,
    pub previous: Option<Period>,
    pub time_zone: String,
    pub sections: Vec<Section>,
    /// Totals over the profiles that reported; `partial` when some did not.
    pub total: Vec<MetricLine>,
    pub partial: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_relative_for_counts_and_points_for_percentages() {
        let c = |u, a, b| Change::between(u, &Value::of(u, a), &Value::of(u, b));
        assert_eq!(c(Unit::Count, 112.0, 100.0), Some(Change::Up(12.0)));
        assert_eq!(c(Unit::Count, 95.0, 100.0), Some(Change::Down(5.0)));
        assert_eq!(c(Unit::Count, 100.0, 100.0), Some(Change::Same));
        assert_eq!(
            c(Unit::Count, 1000.0, 999.0),
            Some(Change::Same),
            "0.1 % rounds to nothing"
        );
        assert_eq!(c(Unit::Count, 5.0, 0.0), Some(Change::New));
        assert_eq!(c(Unit::Count, 0.0, 0.0), Some(Change::Same));
        assert_eq!(c(Unit::Percent, 4.5, 4.2), Some(Change::Up(0.3)));
        assert_eq!(c(Unit::Money, 5000.0, 10000.0), Some(Change::Down(50.0)));
        assert_eq!(c(Unit::Stars, 4.3, 4.2), Some(Change::Up(0.1)));
        assert_eq!(c(Unit::Stars, 4.0, 4.04), Some(Change::Same));
        assert_eq!(c(Unit::Stars, 3.5, 4.0), Some(Change::Down(0.5)));
        let na = Value::Missing(Missing::NotProvided);
        assert_eq!(Change::between(Unit::Count, &na, &Value::Count(1)), None);
    }
}
