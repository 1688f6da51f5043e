//! The statistics export's data: what is asked, what the workbook shows, and the progress
//! counters. A leaf: the collector (`mod.rs`), the writer and the job all read it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::avito::model::ItemStatus;
use crate::avito::money::{Kopecks, Roubles};
use crate::avito::ratings::Review;
use crate::domain::Period;
use crate::i18n::Lang;

/// Avito's statistics count days in Moscow time: the period's reviews are those days', and
/// their times are shown in it.
pub const STATS_TZ: chrono_tz::Tz = chrono_tz::Europe::Moscow;
/// Item ids per stats v1 request: the API takes at most 200.
pub const ITEMS_PER_PAGE: usize = 200;
/// Rows of the Items sheet at most: Excel's limit (1,048,576) less the header, rounded down.
pub const MAX_ITEM_ROWS: usize = 1_000_000;

/// What to export and how.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    pub period: Period,
    pub lang: Lang,
    /// The profile's (or account's) name, for the Summary sheet's title.
    pub name: String,
}

/// One day of the totals; `None`: Avito gave no (believable) figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayTotals {
    pub date: NaiveDate,
    pub views: Option<i64>,
    pub contacts: Option<i64>,
    pub favorites: Option<i64>,
    pub spending: Option<Roubles>,
}

/// One item on one day, as stats v1 gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemDay {
    pub item_id: i64,
    pub date: NaiveDate,
    pub views: Option<i64>,
    pub contacts: Option<i64>,
    pub favorites: Option<i64>,
}

/// One listing over the whole period, for the Listings sheet: compact (a seller may have
/// 20,000 of them), no raw JSON kept. `None`: not known (never a zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingFigures {
    pub item_id: i64,
    /// From the items listing; `None` for a listing Avito counted but did not list.
    pub status: Option<ItemStatus>,
    pub url: Option<Box<str>>,
    pub impressions: Option<i64>,
    pub views: Option<i64>,
    pub contacts: Option<i64>,
    /// Money and bonuses (`allSpending`), as the reports count spending.
    pub spending: Option<Kopecks>,
    /// Views in the period of equal length before (`None`: not known).
    pub previous_views: Option<i64>,
}

/// The Listings sheet's rows, in the sheet's order, and where their figures come from.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingsData {
    pub rows: Vec<ListingFigures>,
    /// `Err(reason)`: Avito's per-listing analytics could not be read, so impressions and
    /// spending are empty and views and contacts are the Items sheet's sums (the sheet says
    /// so; the rest of the workbook stands).
    pub analytics: Result<(), String>,
}

/// Everything the workbook shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsData {
    pub period: Period,
    /// Every day of the period, in order.
    pub days: Vec<DayTotals>,
    /// Item titles by id, where the listing gave one.
    pub titles: HashMap<i64, String>,
    /// By item (in listing order), then by date.
    pub item_days: Vec<ItemDay>,
    /// Items that have at least one row.
    pub items_with_stats: usize,
    /// The Items sheet was cut at [`MAX_ITEM_ROWS`].
    pub truncated: bool,
    /// One row per listing over the period.
    pub listings: ListingsData,
    /// The reviews written in the period (Moscow days, as Avito counts its statistics),
    /// newest first; or why Avito's reviews could not be read (the Reviews sheet says so, the
    /// rest of the workbook stands).
    pub reviews: Result<Vec<Review>, String>,
}

/// Where a statistics export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for, or asking, the per-day totals.
    Totals,
    /// Listing the items.
    Listing,
    /// Asking the item statistics page by page.
    Items,
    /// Waiting for, or asking, the per-listing figures (impressions, spending).
    Figures,
    /// Writing the workbook.
    Writing,
}

/// Progress of one statistics export, shared with whoever shows it.
pub struct StatsProgress {
    started: Instant,
    pub(super) stage: AtomicU8,
    pub(super) items: AtomicU64,
    pub(super) pages_known: AtomicU64,
    pub(super) pages_done: AtomicU64,
    pub(super) rows: AtomicU64,
}

impl Default for StatsProgress {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            stage: AtomicU8::new(0),
            items: AtomicU64::new(0),
            pages_known: AtomicU64::new(0),
            pages_done: AtomicU64::new(0),
            rows: AtomicU64::new(0),
        }
    }
}

/// A reading of [`StatsProgress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub stage: Stage,
    pub items: u64,
    pub pages_known: u64,
    pub pages_done: u64,
    pub rows: u64,
    pub elapsed: Duration,
}

impl From<StatsSnapshot> for crate::db::exports::Counters {
    /// The row's counters: pages for chats, item rows for messages.
    fn from(s: StatsSnapshot) -> Self {
        Self {
            chats_known: s.pages_known,
            chats_done: s.pages_done,
            messages: s.rows,
        }
    }
}

impl StatsProgress {
    pub(super) fn set_stage(&self, stage: Stage) {
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let stage = match self.stage.load(Ordering::Relaxed) {
            0 => Stage::Totals,
            1 => Stage::Listing,
            2 => Stage::Items,
            3 => Stage::Figures,
            _ => Stage::Writing,
        };
        StatsSnapshot {
            stage,
            items: self.items.load(Ordering::Relaxed),
            pages_known: self.pages_known.load(Ordering::Relaxed),
            pages_done: self.pages_done.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        }
    }
}

/// A finished statistics export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsSummary {
    pub days: usize,
    pub items: usize,
    pub rows: usize,
    pub truncated: bool,
    pub size: u64,
    /// Why the Listings sheet goes without Avito's per-listing analytics, if it does.
    pub listings_failed: Option<String>,
}
