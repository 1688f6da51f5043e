//! The generated dataset. Items and chat headers are built at start (cheap); daily statistics,
//! messages and operations are pure functions of (seed, account, coordinates) and are computed
//! on demand, so large accounts start instantly and every value is reproducible.

mod account;
mod calendar;
mod catalog;
mod finance;
mod messenger;
mod metrics;
mod reviews;
mod stats;

use std::collections::HashMap;

use chrono::NaiveDate;

use super::config::AccountSpec;

pub use account::AccountData;
pub(crate) use calendar::shift;
pub use calendar::{days, moscow, moscow_midnight, moscow_rfc3339};
pub use catalog::{CATEGORIES, Category, Item, ItemStatus, TROUBLE_EVERY, Trait, Vas};
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
