//! Live changes to the generated accounts, for alert tests and the demo: a balance moved, money
//! spent, a message arrived, a call missed. The generated dataset stays immutable (it is a pure
//! function of the seed); these changes lie over it and the routes read both.
//!
//! Every change names the account by its `user_id` and is refused (`LiveError`) for an account
//! the emulator does not serve, so a typo in a test fails loudly instead of changing nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::json;

use super::data::{
    AccountData, Dataset, Direction, Item, ItemStatus, Message, MessageType, Operation, Wallet,
};
use super::rng::mix;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LiveError {
    #[error("no account with user_id {0}")]
    NoAccount(i64),
    #[error("account {0} has no chat {1:?}")]
    NoChat(i64, String),
    #[error("account {0} has no chats to add a message to")]
    NoChats(i64),
    #[error("account {0} has no item {1}")]
    NoItem(i64, i64),
    #[error("account {0} has no items to charge or call about")]
    NoItems(i64),
    #[error("{0} is not a usable amount of money")]
    Money(f64),
    #[error("demand of {0}% is beyond belief (0 to 10000)")]
    Percent(u32),
    #[error("account {0} has no review {1}")]
    NoReview(i64, i64),
    #[error("review {0} has no answer to moderate")]
    NoAnswer(i64),
    #[error("score {0}: a review has 1 to 5 stars")]
    Score(i64),
    #[error("account {0} cannot take more reviews")]
    TooManyReviews(i64),
    #[error("{0:?} is not a listing status (active, removed, old, blocked or rejected)")]
    Status(String),
    #[error("{0} is not a usable rating score")]
    RatingScore(f64),
}

/// A missed call added to an item's calls statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CallKey {
    pub item_id: i64,
    pub day: NaiveDate,
}

#[derive(Debug, Default)]
pub(crate) struct LiveAccount {
    pub wallet: Option<Wallet>,
    /// Kopecks.
    pub cpa: Option<i64>,
    /// Oldest first.
    pub operations: Vec<Operation>,
    /// Messages added to a chat, oldest first, after its generated ones.
    pub messages: HashMap<String, Vec<Message>>,
    pub missed_calls: HashMap<CallKey, u64>,
    /// Demand of a day (Moscow) as a percentage of the generated one: views and contacts of
    /// `itemAnalytics` grouped by day are scaled by it.
    pub demand: HashMap<NaiveDate, u32>,
    /// Listings whose status was changed, by item id.
    pub statuses: HashMap<i64, ItemStatus>,
}

impl LiveAccount {
    /// Scales a day's views and contacts by the demand set for it, if any.
    pub fn scale_demand(&self, day: NaiveDate, stats: &mut super::data::DayStats) {
        let Some(percent) = self.demand.get(&day) else {
            return;
        };
        let scale = |v: &mut u64| *v = *v * u64::from(*percent) / 100;
        for v in [
            &mut stats.views,
            &mut stats.views_total,
            &mut stats.contacts_show_phone,
            &mut stats.contacts_messenger,
            &mut stats.contacts_show_phone_and_messenger,
            &mut stats.contacts_sbc_discount,
        ] {
            scale(v);
        }
    }
}

/// The changes of all accounts, by account index.
#[derive(Debug, Default)]
pub(crate) struct Live {
    accounts: HashMap<usize, LiveAccount>,
    /// Makes added message ids unique.
    added: u64,
}

/// A message to add to a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// `None`: the account's most recently updated chat about an item.
    pub chat_id: Option<String>,
    pub direction: Direction,
    pub text: String,
    /// Unix seconds.
    pub created: i64,
}

fn valid_money(roubles: f64) -> Result<f64, LiveError> {
    if roubles.is_finite() && roubles.abs() < 1e12 {
        Ok(roubles)
    } else {
        Err(LiveError::Money(roubles))
    }
}

pub(crate) fn index(data: &Dataset, user_id: i64) -> Result<usize, LiveError> {
    data.account_index(user_id)
        .ok_or(LiveError::NoAccount(user_id))
}

impl Live {
    pub fn account(&self, index: usize) -> Option<&LiveAccount> {
        self.accounts.get(&index)
    }

    pub fn set_wallet(&mut self, data: &Dataset, user_id: i64, real: f64) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        let real = valid_money(real)?;
        let bonus = self.wallet(data, i).bonus;
        self.accounts.entry(i).or_default().wallet = Some(Wallet { real, bonus });
        Ok(())
    }

    pub fn set_cpa(&mut self, data: &Dataset, user_id: i64, roubles: f64) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        let kopecks = (valid_money(roubles)? * 100.0).round() as i64;
        self.accounts.entry(i).or_default().cpa = Some(kopecks);
        Ok(())
    }

    /// Sets a day's demand (views and contacts) to `percent` of the generated figures.
    pub fn set_demand(
        &mut self,
        data: &Dataset,
        user_id: i64,
        day: NaiveDate,
        percent: u32,
    ) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        if percent > 10_000 {
            return Err(LiveError::Percent(percent));
        }
        self.accounts
            .entry(i)
            .or_default()
            .demand
            .insert(day, percent);
        Ok(())
    }

    /// Changes a listing's status from now on (`getItemsInfo`, `getItemInfo`).
    pub fn set_item_status(
        &mut self,
        data: &Dataset,
        user_id: i64,
        item_id: i64,
        status: &str,
    ) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        data.accounts()[i]
            .item(item_id)
            .ok_or(LiveError::NoItem(user_id, item_id))?;
        let status = ItemStatus::parse(status).ok_or_else(|| LiveError::Status(status.into()))?;
        self.accounts
            .entry(i)
            .or_default()
            .statuses
            .insert(item_id, status);
        Ok(())
    }

    /// The wallet as served: the live one, else the generated one.
    pub fn wallet(&self, data: &Dataset, i: usize) -> Wallet {
        self.account(i)
            .and_then(|a| a.wallet)
            .unwrap_or_else(|| data.accounts()[i].wallet())
    }

    pub fn cpa(&self, data: &Dataset, i: usize) -> i64 {
        self.account(i)
            .and_then(|a| a.cpa)
            .unwrap_or_else(|| data.accounts()[i].cpa_balance())
    }

    /// A charge for a promotion of the account's first item at `at` (unix seconds); a negative
    /// amount is a refund to the wallet.
    pub fn add_spending(
        &mut self,
        data: &Dataset,
        user_id: i64,
        roubles: f64,
        at: i64,
    ) -> Result<(), LiveError> {
        let i = index(data, user_id)?;
        let roubles = valid_money(roubles)?;
        let item = data.accounts()[i]
            .items
            .first()
            .ok_or(LiveError::NoItems(user_id))?;
        let operation_type = if roubles < 0.0 {
            "возврат зарзервированных средств на баланс кошелька"
        } else {
            "резервирование средств под услугу"
        };
        let op = Operation {
            at,
            amount_rub: roubles.abs(),
            amount_bonus: 0.0,
            item_id: item.id,
            operation_name: format!("Услуга «Выделить объявление» для объявления №{}", item.id),
            operation_type,
            service_id: 3,
            service_name: "Выделить объявление",
            service_type: "vas",
        };
        let ops = &mut self.accounts.entry(i).or_default().operations;
        ops.push(op);
        ops.sort_by_key(|o| o.at);
        Ok(())
    }

    /// Adds a text message; returns the chat's id.
    pub fn add_message(
        &mut self,
        data: &Dataset,
        user_id: i64,
        m: NewMessage,
    ) -> Result<String, LiveError> {
        let i = index(data, user_id)?;
        let account = &data.accounts()[i];
        let chat = match &m.chat_id {
            Some(id) => account
                .chat(id)
                .ok_or_else(|| LiveError::NoChat(user_id, id.clone()))?,
            // The newest chat about an item: the chat list shows those by default.
            None => account
                .chats
                .iter()
                .find(|c| c.chat_type == super::data::ChatType::U2i)
                .or(account.chats.first())
                .ok_or(LiveError::NoChats(user_id))?,
        };
        self.added += 1;
        let author_id = match m.direction {
            Direction::In => chat.buyer_id,
            Direction::Out => chat.seller_id,
        };
        let message = Message {
            id: format!("{:016x}", mix(&[account.key(), 9, self.added])),
            author_id,
            created: m.created,
            direction: m.direction,
            kind: MessageType::Text,
            is_read: m.direction == Direction::Out,
            read: (m.direction == Direction::Out).then_some(m.created),
            content: json!({"text": m.text}),
            quote: None,
        };
        let id = chat.id.clone();
        let list = self
            .accounts
            .entry(i)
            .or_default()
            .messages
            .entry(id.clone())
            .or_default();
        list.push(message);
        list.sort_by_key(|m| m.created);
        Ok(id)
    }

    /// A missed call about `item_id` (default: the first item alive that day) on `day`.
    pub fn add_missed_call(
        &mut self,
        data: &Dataset,
        user_id: i64,
        item_id: Option<i64>,
        day: NaiveDate,
    ) -> Result<i64, LiveError> {
        let i = index(data, user_id)?;
        let account = &data.accounts()[i];
        let item = match item_id {
            Some(id) => account.item(id).ok_or(LiveError::NoItem(user_id, id))?,
            None => account
                .items
                .iter()
                .find(|it| it.alive_on(day, account.today()))
                .or(account.items.first())
                .ok_or(LiveError::NoItems(user_id))?,
        };
        let key = CallKey {
            item_id: item.id,
            day,
        };
        *self
            .accounts
            .entry(i)
            .or_default()
            .missed_calls
            .entry(key)
            .or_default() += 1;
        Ok(item.id)
    }
}

impl LiveAccount {
    /// Messages added to `chat_id`, oldest first.
    pub fn messages_of(&self, chat_id: &str) -> &[Message] {
        self.messages.get(chat_id).map_or(&[], Vec::as_slice)
    }

    /// A listing's status as served: the changed one, else the generated one.
    pub fn status(live: Option<&LiveAccount>, item: &Item) -> ItemStatus {
        live.and_then(|l| l.statuses.get(&item.id).copied())
            .unwrap_or(item.status)
    }

    pub fn missed(&self, item_id: i64, day: NaiveDate) -> u64 {
        self.missed_calls
            .get(&CallKey { item_id, day })
            .copied()
            .unwrap_or(0)
    }
}

/// Chats as the messenger lists them (most recently updated first), with their last message,
/// added messages taken into account.
pub(crate) fn chats_in_order<'a>(
    account: &'a AccountData,
    live: Option<&LiveAccount>,
) -> Vec<(&'a super::data::Chat, Message)> {
    let mut chats: Vec<(&super::data::Chat, Message)> = account
        .chats
        .iter()
        .map(|c| {
            let last = live
                .and_then(|l| l.messages_of(&c.id).last().cloned())
                .unwrap_or_else(|| c.last_message());
            (c, last)
        })
        .collect();
    // Stable: untouched chats keep the generated order.
    chats.sort_by_key(|c| std::cmp::Reverse(c.1.created));
    chats
}
