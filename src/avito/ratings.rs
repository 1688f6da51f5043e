//! The seller's rating and reviews (`/ratings/v1/*`), read tolerantly as every answer is (see
//! [`super::model`]): a field that is absent, null or of another type is `None` (or empty), an
//! unknown stage or status is kept as `Other`, and only a review without a usable id is
//! skipped. Whether a figure is believable is said by the `checked_*` methods
//! ([`super::plausible`]): an implausible one is flagged, never shown as if true.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::lenient::{self, opt_bool, opt_f64, opt_i64, opt_object, opt_rounded};
use super::model::id_i64;
use super::plausible::{self, Checked};

/// `GET /ratings/v1/info`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct RatingInfo {
    /// `isEnabled`: the rating is switched on; `None` when Avito did not say.
    #[serde(rename = "isEnabled", default, deserialize_with = "opt_bool")]
    pub enabled: Option<bool>,
    /// `None`: no rating yet (a new seller), none given, or none readable.
    #[serde(default, deserialize_with = "opt_object")]
    pub rating: Option<Rating>,
}

/// The rating's figures; `None` where Avito left one out.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    #[serde(default, deserialize_with = "opt_f64")]
    pub score: Option<f64>,
    /// Active reviews.
    #[serde(default, deserialize_with = "opt_rounded")]
    pub reviews_count: Option<i64>,
    /// Active reviews that make the score.
    #[serde(default, deserialize_with = "opt_rounded")]
    pub reviews_with_score_count: Option<i64>,
}

impl Rating {
    /// One to five stars.
    pub fn checked_score(&self) -> Checked<f64> {
        Checked::of(self.score, |s| plausible::rating_score(*s))
    }

    pub fn checked_reviews_count(&self) -> Checked<i64> {
        Checked::of(self.reviews_count, |n| plausible::count(*n as f64))
    }

    pub fn checked_reviews_with_score_count(&self) -> Checked<i64> {
        Checked::of(self.reviews_with_score_count, |n| {
            plausible::count(*n as f64)
        })
    }
}

/// Text of an enum-like field: the string, or the JSON of anything else; empty when absent.
fn enum_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// `as_str`, `Default` (an empty `Other`), and reading and writing as text for an enum of the
/// listed values plus `Other(String)`, which keeps any other value as it came.
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = enum_text(&Value::deserialize(d)?);
                Ok(match text.as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Other(text),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// Stage of the deal a review is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReviewStage {
    /// Сделка состоялась.
    Done,
    /// Сделка сорвалась.
    FellThrough,
    /// Не договорились.
    NotAgree,
    /// Не общались.
    NotCommunicate,
    /// A value the spec does not list, as it came (empty when absent).
    Other(String),
}

text_enum!(ReviewStage {
    Done => "done",
    FellThrough => "fell_through",
    NotAgree => "not_agree",
    NotCommunicate => "not_communicate",
});

/// Where the seller's answer to a review stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnswerStatus {
    /// Waiting for Avito's moderation.
    Moderation,
    Published,
    /// Refused by moderation; see `reject_reasons`.
    Rejected,
    /// A value the spec does not list, as it came (empty when absent).
    Other(String),
}

text_enum!(AnswerStatus {
    Moderation => "moderation",
    Published => "published",
    Rejected => "rejected",
});

/// Text that may be absent or of another type: empty then.
fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::opt_text(d)?.unwrap_or_default())
}

/// A yes/no the bot acts on: anything but a readable `true` is no (never offer what may fail).
fn yes<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)? == Some(true))
}

/// `sender: {name}` (or a bare name) as the name.
fn sender_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Value::deserialize(d)?;
    let name = value.get("name").unwrap_or(&value);
    Ok(lenient::to_id_text(name))
}

/// `reject_reasons: [{id, title}]` as the titles (bare strings too); a reason without a title
/// is left out.
fn reason_titles<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| lenient::to_id_text(r.get("title").unwrap_or(r)))
        .collect())
}

/// The ad a review is about.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ReviewItem {
    #[serde(default, deserialize_with = "opt_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub title: Option<String>,
}

/// The seller's answer to a review. Its presence is what matters (the review is answered),
/// so an answer missing its id or time is still an answer.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewAnswer {
    #[serde(default, deserialize_with = "opt_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "text_or_empty")]
    pub text: String,
    #[serde(default)]
    pub status: AnswerStatus,
    #[serde(default, deserialize_with = "opt_i64")]
    pub created_at: Option<i64>,
    /// Titles of the reasons a rejected answer was refused for.
    #[serde(rename = "reject_reasons", default, deserialize_with = "reason_titles")]
    pub reject_reasons: Vec<String>,
}

/// One review of the seller; one without a usable id is skipped by the page that holds it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    #[serde(deserialize_with = "id_i64")]
    pub id: i64,
    /// Stars, 1–5 (see [`Review::checked_score`]).
    #[serde(default, deserialize_with = "opt_i64")]
    pub score: Option<i64>,
    #[serde(default)]
    pub stage: ReviewStage,
    #[serde(default, deserialize_with = "text_or_empty")]
    pub text: String,
    #[serde(default, deserialize_with = "opt_bool")]
    pub used_in_score: Option<bool>,
    /// Whether an answer can be written now; false unless Avito says true.
    #[serde(default, deserialize_with = "yes")]
    pub can_answer: bool,
    /// Unix seconds.
    #[serde(default, deserialize_with = "opt_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "opt_object")]
    pub item: Option<ReviewItem>,
    #[serde(rename = "sender", default, deserialize_with = "sender_name")]
    pub sender_name: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    pub answer: Option<ReviewAnswer>,
}

impl Review {
    /// Whole stars, one to five.
    pub fn checked_score(&self) -> Checked<i64> {
        Checked::of(self.score, |n| plausible::stars(*n))
    }

    /// When it was written: between Avito's start and shortly after `now`.
    pub fn checked_created_at(&self, now: DateTime<Utc>) -> Checked<i64> {
        Checked::of(self.created_at, |t| plausible::unix_time(*t, now))
    }
}

/// One page of `GET /ratings/v1/reviews`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ReviewsPage {
    /// All active reviews of the seller, as Avito counts them.
    pub total: Option<i64>,
    /// The readable reviews of the page, in Avito's order (not documented: do not assume
    /// newest first).
    pub reviews: Vec<Review>,
    /// Elements of the page that could not be read (no usable id) and were left out.
    pub skipped: usize,
}

impl ReviewsPage {
    /// Elements the page held, read or not: what paging goes by.
    pub fn received(&self) -> usize {
        self.reviews.len() + self.skipped
    }

    pub fn checked_total(&self) -> Checked<i64> {
        Checked::of(self.total, |n| plausible::count(*n as f64))
    }
}

/// `POST /ratings/v1/answers`: the answer Avito took. Taken is what matters: an answer with
/// no readable id or time (even an unreadable body) was still taken.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerCreated {
    #[serde(default, deserialize_with = "opt_i64")]
    pub id: Option<i64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "opt_i64")]
    pub created_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_fields_never_fail_a_review() {
        let r: Review = serde_json::from_value(json!({
            "id": "42", "score": 4.0, "stage": "cancelled", "text": null, "usedInScore": "true",
            "canAnswer": 1, "createdAt": "1700000000", "item": [], "sender": {"name": ""},
            "answer": {"text": "Спасибо", "status": 3, "reject_reasons": [{"id": 1}, "Спам", {"title": "Оскорбления"}]}
        }))
        .expect("review");
        assert_eq!(r.id, 42);
        assert_eq!(r.score, Some(4));
        assert_eq!(r.stage, ReviewStage::Other("cancelled".into()));
        assert_eq!(r.text, "");
        assert_eq!(r.used_in_score, Some(true));
        assert!(r.can_answer);
        assert_eq!(r.created_at, Some(1_700_000_000));
        assert_eq!((r.item, r.sender_name), (None, None));
        let answer = r.answer.expect("an answer without id is an answer");
        assert_eq!(answer.status, AnswerStatus::Other("3".into()));
        assert_eq!(answer.reject_reasons, vec!["Спам", "Оскорбления"]);
        let bare: Review =
            serde_json::from_value(json!({"id": 7, "sender": "Пётр"})).expect("bare");
        assert_eq!(bare.stage, ReviewStage::Other(String::new()));
        assert!(!bare.can_answer, "not said: cannot");
        assert_eq!(bare.sender_name.as_deref(), Some("Пётр"));
        assert!(serde_json::from_value::<Review>(json!({"score": 5})).is_err());
    }

    #[test]
    fn a_review_reads_back_what_it_writes() {
        let r: Review = serde_json::from_value(json!({
            "id": 1, "score": 2, "stage": "fell_through", "text": "Плохо", "usedInScore": true,
            "canAnswer": false, "createdAt": 1_700_000_000, "item": {"id": 5, "title": "Диван"},
            "sender": {"name": "Анна"},
            "answer": {"id": 9, "text": "Жаль", "status": "rejected", "createdAt": 1_700_000_100,
                       "reject_reasons": [{"id": 102, "title": "Оскорбления"}]}
        }))
        .expect("review");
        let again: Review =
            serde_json::from_value(serde_json::to_value(&r).expect("json")).expect("again");
        assert_eq!(again, r);
        assert_eq!(r.stage, ReviewStage::FellThrough);
        assert_eq!(r.answer.map(|a| a.status), Some(AnswerStatus::Rejected));
    }

    #[test]
    fn implausible_figures_are_flagged() {
        let rating = Rating {
            score: Some(7.5),
            reviews_count: Some(-1),
            reviews_with_score_count: None,
        };
        assert_eq!(rating.checked_score(), Checked::Implausible(7.5));
        assert_eq!(rating.checked_reviews_count(), Checked::Implausible(-1));
        assert_eq!(rating.checked_reviews_with_score_count(), Checked::Missing);
        let review: Review =
            serde_json::from_value(json!({"id": 1, "score": 0, "createdAt": 5})).expect("review");
        assert_eq!(review.checked_score(), Checked::Implausible(0));
        assert_eq!(
            review.checked_created_at(Utc::now()),
            Checked::Implausible(5)
        );
        let info: RatingInfo =
            serde_json::from_value(json!({"isEnabled": true, "rating": null})).expect("info");
        assert_eq!((info.enabled, info.rating), (Some(true), None));
    }
}
