//! The generated dataset. Items and chat headers are built at start (cheap); daily statistics,
//! messages and operations are pure functions of (seed, account, coordinates) and are computed
//! on demand, so large accounts start instantly and every value is reproducible.

mod catalog;
mod finance;
mod messenger;
mod metrics;
mod reviews;
mod stats;

use std::collections::HashMap;

use chrono::{Datelike, Duration as Days, FixedOffset, NaiveDate, TimeZone};

use super::config::AccountSpec;
use super::rng::{SplitMix64, mix};

pub use catalog::{CATEGORIES, Category};
pub use finance::{Operation, Wallet};
pub use messenger::{Chat, ChatType, Direction, Message, MessageType};
pub use metrics::{DOCUMENTED_METRICS, SUPPORTED_METRICS, Totals, additive_metric, metric_value};
pub use reviews::{
    AnswerStatus, MAX_REVIEWS, REJECT_REASONS, Rating, RatingInfo, RejectReason, Review,
    ReviewAnswer, ReviewItem, Stage, added_review_id,
};
pub use stats::{DayStats, ItemFilter, Period};

/// Largest account the id scheme supports (item ids must fit int32).
pub const MAX_ITEMS: usize = 33_000;

/// Dataset generation refuses configurations the wire format cannot carry.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("user_id {0} does not fit int32 (UserInfoSelf.id is int32 in the spec)")]
    UserIdRange(i64),
    #[error("account {0}: at most {MAX_ITEMS} items are supported")]
    TooManyItems(i64),
    #[error("account {0}: at most {MAX_REVIEWS} reviews are supported")]
    TooManyReviews(i64),
    #[error("duplicate {0}")]
    Duplicate(String),
}

/// Everything the emulator serves. Obtain it with `AvitoEmulator::data()`.
#[derive(Debug)]
pub struct Dataset {
    seed: u64,
    today: NaiveDate,
    accounts: Vec<AccountData>,
}

/// Moscow time: Avito's dates are Moscow dates.
pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// Unix seconds of 00:00 Moscow time on `date`.
pub fn moscow_midnight(date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    moscow()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp())
        .unwrap_or_default()
}

/// RFC 3339 in Moscow time, as Avito writes timestamps.
pub fn moscow_rfc3339(unix: i64) -> String {
    moscow()
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

impl Dataset {
    pub(crate) fn generate(
        seed: u64,
        today: NaiveDate,
        specs: &[AccountSpec],
    ) -> Result<Dataset, DataError> {
        let mut seen_users = HashMap::new();
        let mut seen_clients = HashMap::new();
        for s in specs {
            if i32::try_from(s.user_id).is_err() || s.user_id <= 0 {
                return Err(DataError::UserIdRange(s.user_id));
            }
            if s.items > MAX_ITEMS {
                return Err(DataError::TooManyItems(s.user_id));
            }
            if s.reviews > MAX_REVIEWS {
                return Err(DataError::TooManyReviews(s.user_id));
            }
            if seen_users
                .insert(s.user_id.rem_euclid(10_000), ())
                .is_some()
            {
                return Err(DataError::Duplicate(format!(
                    "user_id (mod 10000) {}",
                    s.user_id
                )));
            }
            if seen_clients.insert(s.client_id.clone(), ()).is_some() {
                return Err(DataError::Duplicate(format!("client_id {}", s.client_id)));
            }
        }
        let accounts = specs
            .iter()
            .map(|s| AccountData::generate(seed, today, s.clone()))
            .collect();
        Ok(Dataset {
            seed,
            today,
            accounts,
        })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The emulator's current Moscow date; statistics exist up to and including it.
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn accounts(&self) -> &[AccountData] {
        &self.accounts
    }

    pub fn account(&self, user_id: i64) -> Option<&AccountData> {
        self.accounts.iter().find(|a| a.spec.user_id == user_id)
    }

    pub(crate) fn account_index(&self, user_id: i64) -> Option<usize> {
        self.accounts.iter().position(|a| a.spec.user_id == user_id)
    }

    pub(crate) fn account_by_client(&self, client_id: &str) -> Option<usize> {
        self.accounts
            .iter()
            .position(|a| a.spec.client_id == client_id)
    }
}

/// One account's data.
#[derive(Debug)]
pub struct AccountData {
    pub spec: AccountSpec,
    /// Ordered by id.
    pub items: Vec<Item>,
    /// Ordered as the messenger lists them: most recently updated first.
    pub chats: Vec<Chat>,
    /// Newest first.
    pub reviews: Vec<Review>,
    key: u64,
    today: NaiveDate,
    item_index: HashMap<i64, usize>,
    chat_index: HashMap<String, usize>,
    review_index: HashMap<i64, usize>,
}

/// Status of an ad, as in `ItemsInfoWithCategoryAvito`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemStatus {
    Active,
    Removed,
    Old,
    Blocked,
    Rejected,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 5] = [
        ItemStatus::Active,
        ItemStatus::Removed,
        ItemStatus::Old,
        ItemStatus::Blocked,
        ItemStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Active => "active",
            ItemStatus::Removed => "removed",
            ItemStatus::Old => "old",
            ItemStatus::Blocked => "blocked",
            ItemStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ItemStatus> {
        ItemStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A paid service on an item (`InfoVas`).
#[derive(Debug, Clone, PartialEq)]
pub struct Vas {
    pub vas_id: &'static str,
    /// Unix seconds.
    pub schedule: Option<Vec<i64>>,
    pub finish_time: Option<i64>,
}

/// One ad.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub address: String,
    /// Roubles; `None` = price not stated.
    pub price: Option<i64>,
    pub status: ItemStatus,
    pub url: Option<String>,
    pub category: &'static Category,
    /// First day the ad was published (and had statistics).
    pub started: NaiveDate,
    /// Last day it was published; `None` while active.
    pub finished: Option<NaiveDate>,
    pub updated: NaiveDate,
    pub autoload_id: Option<String>,
    pub vas: Vec<Vas>,
    /// Mean unique views per day.
    pub popularity: u32,
    /// Probability of a promotion charge on a given day.
    pub promo_rate: f64,
}

impl Item {
    /// Whether the ad was published on `date` (and so has statistics for it).
    pub fn alive_on(&self, date: NaiveDate, today: NaiveDate) -> bool {
        self.started <= date && date <= self.finished.unwrap_or(today).min(today)
    }

    /// Whether the ad was published on at least one day of `[from, to]`.
    pub fn alive_between(&self, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> bool {
        self.started <= to.min(today)
            && from <= self.finished.unwrap_or(today).min(today)
            && from <= to
    }
}

impl AccountData {
    fn generate(seed: u64, today: NaiveDate, spec: AccountSpec) -> AccountData {
        let key = mix(&[seed, spec.user_id as u64]);
        let items: Vec<Item> = (0..spec.items)
            .map(|i| catalog::item(key, spec.user_id, i, today))
            .collect();
        let epoch = moscow_midnight(today);
        let mut chats: Vec<Chat> = (0..spec.chats)
            .map(|i| {
                messenger::chat(
                    key,
                    (spec.user_id, &spec.name),
                    i,
                    &items,
                    spec.messages_per_chat,
                    epoch,
                )
            })
            .collect();
        chats.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
        let item_index = items.iter().enumerate().map(|(i, it)| (it.id, i)).collect();
        let chat_index = chats
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let reviews =
            reviews::generate(key, spec.user_id, spec.reviews, spec.rating, &items, epoch);
        let review_index = reviews.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        AccountData {
            spec,
            items,
            chats,
            reviews,
            key,
            today,
            item_index,
            chat_index,
            review_index,
        }
    }

    pub fn user_id(&self) -> i64 {
        self.spec.user_id
    }

    /// The dataset's "today" (statistics exist up to and including it).
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn item(&self, id: i64) -> Option<&Item> {
        self.item_index.get(&id).map(|&i| &self.items[i])
    }

    pub fn chat(&self, id: &str) -> Option<&Chat> {
        self.chat_index.get(id).map(|&i| &self.chats[i])
    }

    /// A generated review, as generated (live changes are not applied).
    pub fn review(&self, id: i64) -> Option<&Review> {
        self.review_index.get(&id).map(|&i| &self.reviews[i])
    }

    pub fn email(&self) -> String {
        format!("seller{}@example.ru", self.spec.user_id)
    }

    pub fn phone(&self) -> String {
        let mut r = SplitMix64::at(&[self.key, 7]);
        format!("7{}", r.range(9_000_000_000, 9_999_999_999))
    }

    pub fn profile_url(&self) -> String {
        format!("https://www.avito.ru/user/{:x}/profile", self.key >> 16)
    }

    /// Per-day statistics of one item; `None` on days it was not published.
    pub fn item_day(&self, item: &Item, date: NaiveDate) -> Option<DayStats> {
        stats::item_day(self.key, item, date, self.today)
    }

    /// Items the filter selects (all items when the filter is empty).
    pub fn matching_items(&self, f: &ItemFilter) -> Vec<&Item> {
        self.items.iter().filter(|it| f.matches(it)).collect()
    }

    /// Sum of per-day statistics over `[from, to]` for the selected items.
    pub fn sum(&self, items: &[&Item], from: NaiveDate, to: NaiveDate) -> DayStats {
        let mut total = DayStats::default();
        for it in items {
            for d in stats::days(from, to) {
                if let Some(s) = self.item_day(it, d) {
                    total.add(&s);
                }
            }
        }
        total
    }

    /// Statistics plus item counts over `[from, to]`, the unit stats v2 metrics are computed from.
    pub fn totals(&self, items: &[&Item], from: NaiveDate, to: NaiveDate) -> Totals {
        let alive: Vec<&&Item> = items
            .iter()
            .filter(|it| it.alive_between(from, to, self.today))
            .collect();
        let new = alive
            .iter()
            .filter(|it| it.started >= from && it.started <= to)
            .count() as u64;
        Totals {
            stats: self.sum(items, from, to),
            active_items: alive.len() as u64,
            new_active_items: new,
        }
    }

    pub(crate) fn key(&self) -> u64 {
        self.key
    }
}

/// Days `from..=to` (empty when `from > to`).
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    stats::days(from, to)
}

pub(crate) fn shift(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_signed(Days::days(n)).unwrap_or(d)
}

pub(crate) fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}
