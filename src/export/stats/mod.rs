//! Statistics to Excel: a profile's per-day totals and per-item per-day counters over a period,
//! as a workbook with native Excel charts.
//!
//! What Avito is asked, and why so:
//! - the per-day totals (views, contacts, favorites, spending) come from one stats v2 request
//!   grouped by day: the operation is limited to one request a minute, and the client's pacer
//!   makes a request wait for its turn rather than draw a 429;
//! - the items (ids and titles) from the items listing, every status, since an item removed
//!   since may still have counters in the period;
//! - the per-item counters from stats v1, a page of at most 200 item ids per request (the
//!   API's limit), so the progress counts pages of items done out of those known.
//!
//! [`collect`] fetches, [`workbook::write`] writes (synchronous: run it on a blocking thread);
//! [`export_stats`] does both. The bot job (`export::job`) and `cli::stats_export` call it.

pub mod job;
pub mod workbook;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::avito::model::{Analytics, ItemStatsPoint, ItemStatus};
use crate::avito::money::{Kopecks, Roubles};
use crate::avito::query::{AnalyticsQuery, DateRange, Grouping, TimeGrouping};
use crate::avito::{Account, AvitoError, plausible};
use crate::domain::{AccountId, Period};
use crate::i18n::Lang;

pub use workbook::WriteError;

/// Item ids per stats v1 request: the API takes at most 200.
pub const ITEMS_PER_PAGE: usize = 200;
/// Rows of the Items sheet at most: Excel's limit (1,048,576) less the header, rounded down.
pub const MAX_ITEM_ROWS: usize = 1_000_000;

/// Stats v2 metrics the per-day totals need. `allSpending` is money and bonuses, in kopecks,
/// as the reports count spending.
const DAY_METRICS: &[&str] = &["views", "contacts", "favorites", "allSpending"];
/// Every item status the listing knows: counters of the period may belong to an item that is
/// no longer active.
const ITEM_STATUSES: &[ItemStatus] = &[
    ItemStatus::Active,
    ItemStatus::Old,
    ItemStatus::Removed,
    ItemStatus::Blocked,
    ItemStatus::Rejected,
];

/// What to export and how.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    pub period: Period,
    pub lang: Lang,
    /// The profile's (or account's) name, for the Summary sheet's title.
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("Avito failed on {what}: {source}")]
    Avito {
        what: &'static str,
        source: AvitoError,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("the workbook writer stopped unexpectedly")]
    WriterGone,
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
    /// Writing the workbook.
    Writing,
}

/// Progress of one statistics export, shared with whoever shows it.
pub struct StatsProgress {
    started: Instant,
    stage: AtomicU8,
    items: AtomicU64,
    pages_known: AtomicU64,
    pages_done: AtomicU64,
    rows: AtomicU64,
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
    fn set_stage(&self, stage: Stage) {
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let stage = match self.stage.load(Ordering::Relaxed) {
            0 => Stage::Totals,
            1 => Stage::Listing,
            2 => Stage::Items,
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
}

/// Fetches the statistics of `period` and writes them to `out`. On error no file is left at
/// `out`.
#[tracing::instrument(name = "stats_export", skip_all, fields(user_id, out = %out.display()))]
pub async fn export_stats(
    account: &Account,
    user_id: AccountId,
    opts: &StatsOptions,
    progress: Arc<StatsProgress>,
    out: &Path,
) -> Result<StatsSummary, StatsError> {
    let data = collect(account, user_id, opts.period, &progress).await?;
    progress.set_stage(Stage::Writing);
    let summary = StatsSummary {
        days: data.days.len(),
        items: data.items_with_stats,
        rows: data.item_days.len(),
        truncated: data.truncated,
        size: 0,
    };
    let (opts, out_path) = (opts.clone(), out.to_path_buf());
    let size = tokio::task::spawn_blocking(move || workbook::write(&data, &opts, &out_path))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "statistics writer panicked");
            StatsError::WriterGone
        })??;
    Ok(StatsSummary { size, ..summary })
}

/// Fetches the per-day totals and the per-item rows of `period`.
pub async fn collect(
    account: &Account,
    user_id: AccountId,
    period: Period,
    progress: &StatsProgress,
) -> Result<StatsData, StatsError> {
    let range = DateRange::unchecked(period.from, period.to);
    progress.set_stage(Stage::Totals);
    let query = AnalyticsQuery {
        range,
        metrics: DAY_METRICS.iter().map(|s| (*s).to_owned()).collect(),
        grouping: Grouping::Day,
        category_ids: Vec::new(),
    };
    let analytics =
        account
            .analytics(user_id, &query)
            .await
            .map_err(|source| StatsError::Avito {
                what: "the daily totals",
                source,
            })?;
    let days = daily_totals(period, &analytics);

    progress.set_stage(Stage::Listing);
    let items = account
        .items(ITEM_STATUSES)
        .await
        .map_err(|source| StatsError::Avito {
            what: "the list of items",
            source,
        })?;
    progress.items.store(items.len() as u64, Ordering::Relaxed);
    let pages = items.len().div_ceil(ITEMS_PER_PAGE);
    progress.pages_known.store(pages as u64, Ordering::Relaxed);
    progress.set_stage(Stage::Items);

    let order: HashMap<i64, usize> = items.iter().enumerate().map(|(i, it)| (it.id, i)).collect();
    let titles: HashMap<i64, String> = items
        .iter()
        .filter_map(|it| Some((it.id, it.title.clone()?)))
        .collect();
    let ids: Vec<i64> = items.iter().map(|it| it.id).collect();
    // By item then date; a BTreeMap also drops an item Avito repeats in a later page.
    let mut rows: BTreeMap<(usize, i64, NaiveDate), ItemDay> = BTreeMap::new();
    for page in ids.chunks(ITEMS_PER_PAGE) {
        let stats = account
            .item_stats(user_id, page, range, TimeGrouping::Day)
            .await
            .map_err(|source| StatsError::Avito {
                what: "the item statistics",
                source,
            })?;
        for item in stats {
            // An item Avito answers for but did not list goes last, in id order.
            let position = order.get(&item.item_id).copied().unwrap_or(usize::MAX);
            for point in &item.stats {
                if point.date < period.from || point.date > period.to {
                    continue;
                }
                rows.insert(
                    (position, item.item_id, point.date),
                    item_day(item.item_id, point),
                );
            }
        }
        progress.pages_done.fetch_add(1, Ordering::Relaxed);
        progress.rows.store(rows.len() as u64, Ordering::Relaxed);
    }
    let truncated = rows.len() > MAX_ITEM_ROWS;
    let item_days: Vec<ItemDay> = rows.into_values().take(MAX_ITEM_ROWS).collect();
    let mut with_stats: Vec<i64> = item_days.iter().map(|r| r.item_id).collect();
    with_stats.dedup();
    Ok(StatsData {
        period,
        days,
        titles,
        items_with_stats: with_stats.len(),
        item_days,
        truncated,
    })
}

/// A count Avito gave, if believable.
fn count(n: Option<f64>) -> Option<i64> {
    n.filter(|n| plausible::count(*n)).map(|n| n.round() as i64)
}

fn item_day(item_id: i64, p: &ItemStatsPoint) -> ItemDay {
    // The unique counters (the documented ones); the deprecated totals only where the unique
    // ones are missing.
    let pick = |uniq: Option<i64>, total: Option<i64>| count(uniq.or(total).map(|n| n as f64));
    ItemDay {
        item_id,
        date: p.date,
        views: pick(p.uniq_views, p.views),
        contacts: pick(p.uniq_contacts, p.contacts),
        favorites: pick(p.uniq_favorites, p.favorites),
    }
}

/// Every day of `period` with what Avito gave for it; a day or metric it left out stays
/// `None`.
fn daily_totals(period: Period, analytics: &Analytics) -> Vec<DayTotals> {
    let by_date: HashMap<NaiveDate, _> = analytics
        .groups
        .iter()
        .filter_map(|g| Some((g.date()?, g)))
        .collect();
    period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .map(|date| {
            let g = by_date.get(&date);
            let metric = |slug: &str| g.and_then(|g| g.metric(slug));
            DayTotals {
                date,
                views: count(metric("views")),
                contacts: count(metric("contacts")),
                favorites: count(metric("favorites")),
                spending: metric("allSpending")
                    .map(|v| Kopecks::from_api(v).to_roubles())
                    .filter(|r| plausible::roubles(r.0)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::model::AnalyticsGroup;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn days_without_a_figure_stay_empty_and_money_is_in_roubles() {
        let day = |date: &str, metrics: &[(&str, f64)]| AnalyticsGroup {
            id: d(date)
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp(),
            kind: "day".into(),
            metrics: metrics.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        };
        let analytics = Analytics {
            groups: vec![
                day(
                    "2026-03-01",
                    &[
                        ("views", 10.0),
                        ("contacts", 2.0),
                        ("allSpending", 12_345.0),
                    ],
                ),
                day("2026-03-03", &[("views", -4.0), ("favorites", 1.0)]),
            ],
            timestamp: None,
        };
        let days = daily_totals(Period::new(d("2026-03-01"), d("2026-03-03")), &analytics);
        assert_eq!(days.len(), 3);
        assert_eq!(days[0].views, Some(10));
        assert_eq!(days[0].favorites, None, "not given: empty, not zero");
        assert_eq!(days[0].spending, Some(Roubles(123.45)));
        assert_eq!(days[1].views, None, "a day Avito left out");
        assert_eq!(days[2].views, None, "an implausible count");
        assert_eq!(days[2].favorites, Some(1));
    }
}
