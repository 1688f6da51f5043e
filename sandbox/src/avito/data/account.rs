//! One account's generated data: its ads, chats and reviews, and the statistics computed
//! from them on demand.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::calendar::{days, moscow_midnight};
use super::catalog::{self, Item};
use super::messenger::{self, Chat};
use super::metrics::Totals;
use super::reviews::{self, Review};
use super::stats::{self, DayStats, ItemFilter};
use crate::avito::config::AccountSpec;
use crate::avito::rng::{SplitMix64, mix};

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

impl AccountData {
    pub(super) fn generate(seed: u64, today: NaiveDate, spec: AccountSpec) -> AccountData {
        let key = mix(&[seed, spec.user_id as u64]);
        let items: Vec<Item> = (0..spec.items)
            .map(|i| catalog::item(key, spec.user_id, i, today, spec.listings))
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
            for d in days(from, to) {
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
