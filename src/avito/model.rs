//! Typed answers of the Avito API, read tolerantly (see [`super::lenient`]): ids as numbers or
//! strings, numbers where integers are documented, optional fields absent, null or of another
//! type. A field the client cannot read is `None` — a metric Avito left out is never 0 — and
//! only a list element that lacks what identifies it (an item without an id) is skipped.
//! Whether a value is believable is judged later ([`super::plausible`]), where it is shown.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::{
    self, opt_bool, opt_date, opt_f64, opt_i64, opt_object, opt_rounded, opt_text, opt_value,
    vec_of,
};
use super::money::{Kopecks, Roubles};
use crate::domain::AccountId;

/// A required id: an element without a readable one is skipped by the list that holds it.
pub(crate) fn id_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = lenient::Scalar::deserialize(d)?;
    value
        .to_i64()
        .ok_or_else(|| serde::de::Error::custom(format!("id {value} is not a whole number")))
}

/// A required text id (chats, messages).
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = lenient::Scalar::deserialize(d)?;
    if value == lenient::Scalar::Other {
        return Err(serde::de::Error::custom("id is null, a list or an object"));
    }
    value
        .into_id_text()
        .ok_or_else(|| serde::de::Error::custom("id is empty"))
}

/// `GET /core/v1/accounts/self`. No field is required by the spec; `id` is what the bot needs
/// (every per-account operation takes it), and it is `None` when missing or not a positive
/// whole number.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct AccountSelf {
    #[serde(default, deserialize_with = "account_id")]
    pub id: Option<AccountId>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub email: Option<String>,
    /// Typed string, but the spec's own example is a bare number.
    #[serde(default, deserialize_with = "opt_text")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub profile_url: Option<String>,
}

fn account_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AccountId>, D::Error> {
    Ok(opt_i64(d)?.filter(|id| *id > 0).map(AccountId))
}

/// An Avito user (an account, ours or the other side of a chat), leniently.
fn opt_account<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AccountId>, D::Error> {
    Ok(opt_i64(d)?.map(AccountId))
}

/// `GET /core/v1/accounts/{user_id}/balance/`: wallet money and bonuses, in roubles; `None`
/// where Avito left a figure out.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct WalletBalance {
    #[serde(default, deserialize_with = "opt_f64")]
    pub real: Option<f64>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub bonus: Option<f64>,
}

impl WalletBalance {
    pub fn real(&self) -> Option<Roubles> {
        self.real.map(Roubles)
    }

    pub fn bonus(&self) -> Option<Roubles> {
        self.bonus.map(Roubles)
    }
}

/// Status of an item (listing); anything unknown (or not a string) is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Active,
    Removed,
    Old,
    Blocked,
    Rejected,
    NotFound,
    AnotherUser,
    Other,
}

impl<'de> Deserialize<'de> for ItemStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(match value.as_str().map(str::trim) {
            Some("active") => ItemStatus::Active,
            Some("removed") => ItemStatus::Removed,
            Some("old") => ItemStatus::Old,
            Some("blocked") => ItemStatus::Blocked,
            Some("rejected") => ItemStatus::Rejected,
            Some("not_found") => ItemStatus::NotFound,
            Some("another_user") => ItemStatus::AnotherUser,
            _ => ItemStatus::Other,
        })
    }
}

impl ItemStatus {
    /// The statuses the items listing can be asked for (its `status` parameter); the others
    /// only come in answers: `not_found` and `another_user` from one ad's info, `Other` for a
    /// status Avito has added since.
    pub const LISTABLE: [ItemStatus; 5] = [
        ItemStatus::Active,
        ItemStatus::Removed,
        ItemStatus::Old,
        ItemStatus::Blocked,
        ItemStatus::Rejected,
    ];

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

fn item_status<'de, D: Deserializer<'de>>(d: D) -> Result<ItemStatus, D::Error> {
    ItemStatus::deserialize(d)
}

fn default_status() -> ItemStatus {
    ItemStatus::Other
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Category {
    #[serde(default, deserialize_with = "opt_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
}

/// One of the account's own items, from `GET /core/v1/items`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Item {
    #[serde(deserialize_with = "id_i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub price: Option<f64>,
    #[serde(default = "default_status", deserialize_with = "item_status")]
    pub status: ItemStatus,
    #[serde(default, deserialize_with = "opt_text")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    pub category: Option<Category>,
}

/// `GET /core/v1/accounts/{user_id}/items/{item_id}/`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ItemInfo {
    #[serde(default = "default_status", deserialize_with = "item_status")]
    pub status: ItemStatus,
    #[serde(default, deserialize_with = "opt_text")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub start_time: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub finish_time: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub autoload_item_id: Option<String>,
    #[serde(default, deserialize_with = "vec_of")]
    pub vas: Vec<serde_json::Value>,
}

/// One day (or week / month) of an item's counters from stats v1; a point without a readable
/// date cannot be placed and is skipped.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStatsPoint {
    #[serde(deserialize_with = "required_date")]
    pub date: NaiveDate,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub uniq_views: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub uniq_contacts: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub uniq_favorites: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub views: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub contacts: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub favorites: Option<i64>,
}

fn required_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    opt_date(d)?.ok_or_else(|| serde::de::Error::custom("no readable date"))
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStats {
    #[serde(deserialize_with = "id_i64")]
    pub item_id: i64,
    #[serde(default, deserialize_with = "vec_of")]
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
            #[serde(default, deserialize_with = "opt_text")]
            slug: Option<String>,
            #[serde(default, deserialize_with = "opt_f64")]
            value: Option<f64>,
        }
        #[derive(Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "id_i64")]
            id: i64,
            #[serde(rename = "type", default, deserialize_with = "opt_text")]
            kind: Option<String>,
            #[serde(default, deserialize_with = "vec_of")]
            metrics: Vec<RawMetric>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Self {
            id: raw.id,
            kind: raw.kind.unwrap_or_default(),
            metrics: raw
                .metrics
                .into_iter()
                .filter_map(|m| Some((m.slug?, m.value?)))
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
    #[serde(default, deserialize_with = "opt_text")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub value: Option<f64>,
}

/// Spending of one type; the schema states roubles (see NOTES.md on the units quirk).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Spending {
    #[serde(default, deserialize_with = "opt_text")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub value: Option<f64>,
    #[serde(default, deserialize_with = "vec_of")]
    pub services: Vec<SpendingService>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SpendingGroup {
    #[serde(deserialize_with = "required_date")]
    pub date: NaiveDate,
    #[serde(rename = "type", default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "vec_of")]
    pub spendings: Vec<Spending>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct Spendings {
    #[serde(default, deserialize_with = "vec_of")]
    pub groupings: Vec<SpendingGroup>,
}

/// One day of calls; a day without a readable date is skipped, a counter Avito left out is
/// `None`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallsDay {
    #[serde(deserialize_with = "required_date")]
    pub date: NaiveDate,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub calls: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub answered: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub new: Option<i64>,
    #[serde(default, deserialize_with = "opt_rounded")]
    pub new_answered: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallsItem {
    /// 0 = not attributed to an item.
    #[serde(default, deserialize_with = "opt_i64")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub employee_id: Option<i64>,
    #[serde(default, deserialize_with = "vec_of")]
    pub days: Vec<CallsDay>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct CallsStats {
    #[serde(default, deserialize_with = "vec_of")]
    pub items: Vec<CallsItem>,
}

/// One wallet operation (operations history).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletOperation {
    #[serde(default, deserialize_with = "opt_f64")]
    pub amount_bonus: Option<f64>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub amount_rub: Option<f64>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub amount_total: Option<f64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub operation_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub operation_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub paid_at: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub service_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub service_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub service_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
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
    #[serde(default, deserialize_with = "opt_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub price_string: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "opt_account")]
    pub user_id: Option<AccountId>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ChatContext {
    #[serde(rename = "type", default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    pub value: Option<ChatItemContext>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PublicProfile {
    #[serde(default, deserialize_with = "opt_text")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ChatUser {
    #[serde(default, deserialize_with = "opt_account")]
    pub id: Option<AccountId>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    pub public_user_profile: Option<PublicProfile>,
}

/// A Messenger chat with its last message; a chat without a usable id cannot be read and is
/// skipped.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Chat {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_i64")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub updated: Option<i64>,
    #[serde(default, deserialize_with = "opt_object")]
    pub context: Option<ChatContext>,
    #[serde(default, deserialize_with = "vec_of")]
    pub users: Vec<ChatUser>,
    #[serde(default, deserialize_with = "opt_object")]
    pub last_message: Option<Message>,
}

/// Message content; every field is nullable in the spec, and unknown kinds come as `{}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct MessageContent {
    #[serde(default, deserialize_with = "opt_text")]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "opt_value")]
    pub image: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_value")]
    pub link: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_value")]
    pub item: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_value")]
    pub location: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_value")]
    pub call: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_value")]
    pub voice: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_text")]
    pub flow_id: Option<String>,
}

/// A message; one without a usable id is skipped.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Message {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_account")]
    pub author_id: Option<AccountId>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub direction: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub is_read: Option<bool>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub read: Option<i64>,
    #[serde(default, deserialize_with = "opt_object")]
    pub content: Option<MessageContent>,
    #[serde(default, deserialize_with = "opt_value")]
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
        let i: Item = serde_json::from_str(r#"{"id":2.0,"status":7}"#).expect("item");
        assert_eq!((i.id, i.status), (2, ItemStatus::Other));
    }

    #[test]
    fn the_spec_example_of_the_account_reads() {
        // The spec's own example: `phone` is a bare number though typed string.
        let me: AccountSelf = serde_json::from_str(
            r#"{"email":"mail@mail.ru","id":94235311,"name":"Иван","phone":71112223344,"phones":["71112223344"],"profile_url":"http://avito.ru/user/abc/profile"}"#,
        )
        .expect("account");
        assert_eq!(me.id, Some(AccountId(94_235_311)));
        assert_eq!(me.phone.as_deref(), Some("71112223344"));
        let me: AccountSelf =
            serde_json::from_str(r#"{"id":-5,"name":null,"email":{"x":1}}"#).expect("odd");
        assert_eq!(me, AccountSelf::default(), "a negative id is no id");
    }

    #[test]
    fn odd_fields_never_fail_a_message_or_a_chat() {
        let m: Message = serde_json::from_str(
            r#"{"id":7,"author_id":"12","created":1700000000.0,"direction":5,"type":null,"is_read":"true","content":"oops","quote":null}"#,
        )
        .expect("message");
        assert_eq!(m.id, "7");
        assert_eq!(m.author_id, Some(AccountId(12)));
        assert_eq!(m.created, Some(1_700_000_000));
        assert_eq!(m.direction.as_deref(), Some("5"));
        assert_eq!(m.is_read, Some(true));
        assert_eq!(m.content, None);
        let c: Chat = serde_json::from_str(
            r#"{"id":"c1","users":[{"id":"x"},5,{"id":3,"name":"Пётр"}],"context":[],"last_message":{"no":"id"}}"#,
        )
        .expect("chat");
        assert_eq!(
            c.users.len(),
            2,
            "the unreadable user is skipped, the one without id kept"
        );
        assert_eq!(c.last_message, None);
        assert!(
            serde_json::from_str::<Chat>(r#"{"id":""}"#).is_err(),
            "no usable id"
        );
    }
}
