//! Request parameters, validated before anything is sent.

use serde::Serialize;

use super::error::AvitoError;

pub use crate::domain::dates::{DateRange, MAX_DAYS_BACK, RangeError, avito_today, earliest_day};

impl From<RangeError> for AvitoError {
    fn from(e: RangeError) -> Self {
        AvitoError::InvalidRequest(e.to_string())
    }
}

/// How stats v2 analytics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    Day,
    Week,
    Month,
    Item,
    Totals,
}

/// How stats v1 and spendings are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeGrouping {
    Day,
    Week,
    Month,
}

/// A stats v2 analytics request (`POST /stats/v2/accounts/{user_id}/items`).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsQuery {
    pub range: DateRange,
    pub metrics: Vec<String>,
    pub grouping: Grouping,
    pub category_ids: Vec<i64>,
}

/// The order of stats v2 groups (`sort`: both fields are required when it is sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalyticsSort {
    /// A metric slug, e.g. `views`.
    pub key: String,
    pub order: SortOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// A spendings request (`POST /stats/v2/accounts/{user_id}/spendings`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpendingsQuery {
    pub range: DateRange,
    /// all, promotion, presence, commission, rest.
    pub spending_types: Vec<String>,
    pub grouping: TimeGrouping,
}
