//! Typed answers of the Avito API, parsed tolerantly where the spec is inconsistent
//! (`shared/avito/NOTES.md`, "SPEC QUIRK"): ids as numbers or strings, optional fields absent
//! or null, and a metric the API leaves out is `None`, never 0.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use super::money::{Kopecks, Roubles};

/// An integer id that may come as a JSON number or a string.
pub(crate) fn id_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(n) => Ok(n),
        Raw::Float(f) if f.fract() == 0.0 => Ok(f as i64),
        Raw::Float(f) => Err(serde::de::Error::custom(format!("id {f} is not whole"))),
        Raw::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("id '{s}' is not a number"))),
    }
}

/// An id that may come as a number or a string, kept as text (chat and message ids).
pub(crate) fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Int(n) => n.to_string(),
        Raw::Text(s) => s,
    })
}

fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(f64),
        Text(String),
        Null,
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::Num(n)) => Some(n),
        Some(Raw::Text(s)) => s.trim().parse().ok(),
        Some(Raw::Null) | None => None,
    })
}

/// `GET /core/v1/accounts/self`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AccountSelf {
    #[serde(deserialize_with = "id_number")]
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub profile_url: Option<String>,
}

/// `GET /core/v1/accounts/{user_id}/balance/`: wallet money and bonuses, in roubles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalletBalance {
    pub real: Roubles,
    pub bonus: Roubles,
}

impl<'de> Deserialize<'de> for WalletBalance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "opt_number")]
            real: Option<f64>,
            #[serde(default, deserialize_with = "opt_number")]
            bonus: Option<f64>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Self {
            real: Roubles(raw.real.unwrap_or_default()),
            bonus: Roubles(raw.bonus.unwrap_or_default()),
        })
    }
}

/// Status of an item (listing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Active,
    Removed,
    Old,
    Blocked,
    Rejected,
    NotFound,
    AnotherUser,
    #[serde(other)]
    Other,
}

impl ItemStatus {
    pub fn as_query(self) -> &'static str {
        match self {
            ItemStatus::Active => "active",
            ItemStatus::Removed => "removed",
            ItemStatus::Old => "old",
            ItemStatus::Blocked => "blocked",
            ItemStatus::Rejected => "rejected",
            ItemStatus::NotFound => "not_found",
            ItemStatus::AnotherUser => "another_user",
            ItemStatus::Other => "active",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Category {
    #[serde(deserialize_with = "id_number")]
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
}

/// One of the account's own items, from `GET /core/v1/items`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Item {
    #[serde(deserialize_with = "id_number")]
    pub id: i64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "opt_number")]
    pub price: Option<f64>,
    pub status: ItemStatus,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
}

/// `GET /core/v1/accounts/{user_id}/items/{item_id}/`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ItemInfo {
    pub status: ItemStatus,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub finish_time: Option<String>,
    #[serde(default)]
    pub autoload_item_id: Option<String>,
    #[serde(default)]
    pub vas: Option<Vec<serde_json::Value>>,
}

/// One day (or week / month) of an item's counters from stats v1.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStatsPoint {
    pub date: NaiveDate,
    #[serde(default)]
    pub uniq_views: Option<i64>,
    #[serde(default)]
    pub uniq_contacts: Option<i64>,
    #[serde(default)]
    pub uniq_favorites: Option<i64>,
    #[serde(default)]
    pub views: Option<i64>,
    #[serde(default)]
    pub contacts: Option<i64>,
    #[serde(default)]
    pub favorites: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStats {
    #[serde(deserialize_with = "id_number")]
    pub item_id: i64,
    #[serde(default)]
    pub stats: Vec<ItemStatsPoint>,
}

/// One group of stats v2 analytics: a day, week, month, item, or the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalyticsGroup {
    /// A unix timestamp for time groupings, an item id for item grouping.
    pub id: i64,
    pub kind: String,
    /// Only the metrics Avito returned: a metric it left out is absent.
    pub metrics: BTreeMap<String, f64>,
}

impl AnalyticsGroup {
    pub fn metric(&self, slug: &str) -> Option<f64> {
        self.metrics.get(slug).copied()
    }

    /// A money metric (stats v2 gives money in kopecks).
    pub fn money(&self, slug: &str) -> Option<Kopecks> {
        self.metric(slug).map(Kopecks::from_api)
    }

    /// The group's date, for time groupings (`id` is a unix timestamp).
    pub fn date(&self) -> Option<NaiveDate> {
        chrono::DateTime::from_timestamp(self.id, 0).map(|t| t.date_naive())
    }
}

impl<'de> Deserialize<'de> for AnalyticsGroup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawMetric {
            slug: String,
            #[serde(default, deserialize_with = "opt_number")]
            value: Option<f64>,
        }
        #[derive(Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "id_number")]
            id: i64,
            #[serde(rename = "type", default)]
            kind: Option<String>,
            #[serde(default)]
            metrics: Vec<RawMetric>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Self {
            id: raw.id,
            kind: raw.kind.unwrap_or_default(),
            metrics: raw
                .metrics
                .into_iter()
                .filter_map(|m| m.value.map(|v| (m.slug, v)))
                .collect(),
        })
    }
}

/// All pages of a stats v2 analytics query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analytics {
    pub groups: Vec<AnalyticsGroup>,
    pub timestamp: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SpendingService {
    pub slug: String,
    #[serde(deserialize_with = "roubles")]
    pub value: Roubles,
}

fn roubles<'de, D: Deserializer<'de>>(d: D) -> Result<Roubles, D::Error> {
    Ok(Roubles(opt_number(d)?.unwrap_or_default()))
}

/// Spending of one type; the schema states roubles (see NOTES.md on the units quirk).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Spending {
    pub slug: String,
    #[serde(deserialize_with = "roubles")]
    pub value: Roubles,
    #[serde(default)]
    pub services: Vec<SpendingService>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SpendingGroup {
    pub date: NaiveDate,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub spendings: Vec<Spending>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Spendings {
    #[serde(default)]
    pub groupings: Vec<SpendingGroup>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallsDay {
    pub date: NaiveDate,
    #[serde(default)]
    pub calls: i64,
    #[serde(default)]
    pub answered: i64,
    #[serde(default)]
    pub new: i64,
    #[serde(default)]
    pub new_answered: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallsItem {
    /// 0 = not attributed to an item.
    #[serde(deserialize_with = "id_number")]
    pub item_id: i64,
    #[serde(default, deserialize_with = "id_number_or_zero")]
    pub employee_id: i64,
    #[serde(default)]
    pub days: Vec<CallsDay>,
}

fn id_number_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    id_number(d)
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CallsStats {
    #[serde(default)]
    pub items: Vec<CallsItem>,
}

/// One wallet operation (operations history).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletOperation {
    #[serde(default, deserialize_with = "opt_number")]
    pub amount_bonus: Option<f64>,
    #[serde(default, deserialize_with = "opt_number")]
    pub amount_rub: Option<f64>,
    #[serde(default, deserialize_with = "opt_number")]
    pub amount_total: Option<f64>,
    #[serde(default)]
    pub item_id: Option<i64>,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub operation_type: Option<String>,
    #[serde(default)]
    pub paid_at: Option<String>,
    #[serde(default)]
    pub service_id: Option<i64>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub service_type: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Messenger chat type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatType {
    U2i,
    U2u,
    A2u,
}

impl ChatType {
    pub fn as_query(self) -> &'static str {
        match self {
            ChatType::U2i => "u2i",
            ChatType::U2u => "u2u",
            ChatType::A2u => "a2u",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ChatItemContext {
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub price_string: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    pub user_id: Option<i64>,
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(opt_number(d)?.map(|f| f as i64))
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ChatContext {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub value: Option<ChatItemContext>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PublicProfile {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ChatUser {
    #[serde(deserialize_with = "id_number")]
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub public_user_profile: Option<PublicProfile>,
}

/// A Messenger chat with its last message.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Chat {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub updated: Option<i64>,
    #[serde(default)]
    pub context: Option<ChatContext>,
    #[serde(default)]
    pub users: Vec<ChatUser>,
    #[serde(default)]
    pub last_message: Option<Message>,
}

/// Message content; every field is nullable in the spec, and unknown kinds come as `{}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct MessageContent {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub image: Option<serde_json::Value>,
    #[serde(default)]
    pub link: Option<serde_json::Value>,
    #[serde(default)]
    pub item: Option<serde_json::Value>,
    #[serde(default)]
    pub location: Option<serde_json::Value>,
    #[serde(default)]
    pub call: Option<serde_json::Value>,
    #[serde(default)]
    pub voice: Option<serde_json::Value>,
    #[serde(default)]
    pub flow_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Message {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_id")]
    pub author_id: Option<i64>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_read: Option<bool>,
    #[serde(default)]
    pub read: Option<i64>,
    #[serde(default)]
    pub content: Option<MessageContent>,
    #[serde(default)]
    pub quote: Option<serde_json::Value>,
}

/// A listing that may have stopped at the API's paging ceiling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// The API would not page further (offset ceiling) although more may exist.
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_from_numbers_and_strings() {
        let s: ItemStats =
            serde_json::from_str(r#"{"itemId":"123","stats":[]}"#).expect("string id");
        assert_eq!(s.item_id, 123);
        let s: ItemStats = serde_json::from_str(r#"{"itemId":456}"#).expect("number id");
        assert_eq!(s.item_id, 456);
        assert!(serde_json::from_str::<ItemStats>(r#"{"itemId":"abc"}"#).is_err());
        let c: Chat = serde_json::from_str(r#"{"id":42}"#).expect("numeric chat id");
        assert_eq!(c.id, "42");
    }

    #[test]
    fn a_metric_left_out_is_none_not_zero() {
        let g: AnalyticsGroup = serde_json::from_str(
            r#"{"id":1742860800,"type":"dates","metrics":[{"slug":"views","value":10},{"slug":"contacts","value":null}]}"#,
        )
        .expect("group");
        assert_eq!(g.metric("views"), Some(10.0));
        assert_eq!(g.metric("contacts"), None);
        assert_eq!(g.metric("favorites"), None);
        assert_eq!(g.date(), NaiveDate::from_ymd_opt(2025, 3, 25));
    }

    #[test]
    fn money_metrics_are_kopecks() {
        let g: AnalyticsGroup = serde_json::from_str(
            r#"{"id":0,"type":"totals","metrics":[{"slug":"allSpending","value":123456}]}"#,
        )
        .expect("group");
        assert_eq!(g.money("allSpending"), Some(Kopecks(123_456)));
        assert_eq!(
            g.money("allSpending").map(Kopecks::to_roubles),
            Some(Roubles(1234.56))
        );
    }

    #[test]
    fn unknown_item_status_does_not_fail_parsing() {
        let i: Item = serde_json::from_str(r#"{"id":1,"status":"archived"}"#).expect("item");
        assert_eq!(i.status, ItemStatus::Other);
    }
}
