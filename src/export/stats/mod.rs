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
//!   API's limit), so the progress counts pages of items done out of those known;
//! - each listing's impressions, views, contacts and spending over the period from stats v2
//!   grouped by item (its second one-a-minute request, asked after the per-item pages so that
//!   the wait overlaps them); a failure there leaves those columns empty with the reason
//!   stated, never fails the export;
//! - the reviews written in the period, from every page of the reviews (their order is not
//!   documented).
//!
//! [`collect`] fetches, [`workbook::write`] writes (synchronous: run it on a blocking thread);
//! [`export_stats`] does both. The bot job (`export::job`) and `cli::stats_export` call it.

pub mod job;
pub mod model;
pub mod per_listing;
pub mod plan;
pub mod workbook;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::NaiveDate;

use crate::avito::model::{Analytics, ItemStatsPoint, ItemStatus};
use crate::avito::money::Kopecks;
use crate::avito::query::{AnalyticsQuery, DateRange, Grouping, TimeGrouping};
use crate::avito::ratings::Review;
use crate::avito::{Account, AvitoError, plausible};
use crate::domain::{AccountId, Period};
use crate::reviews::view;

pub use model::{
    DayTotals, ITEMS_PER_PAGE, ItemDay, ListingFigures, ListingsData, MAX_ITEM_ROWS, Stage,
    StatsData, StatsOptions, StatsProgress, StatsSnapshot, StatsSummary,
};
pub use workbook::WriteError;

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
        listings_failed: data.listings.analytics.clone().err(),
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

    let titles: HashMap<i64, String> = items
        .iter()
        .filter_map(|it| Some((it.id, it.title.clone()?)))
        .collect();
    let rows = item_rows(account, user_id, period, &items, progress).await?;
    let truncated = rows.len() > MAX_ITEM_ROWS;
    let item_days: Vec<ItemDay> = rows.into_values().take(MAX_ITEM_ROWS).collect();
    let mut with_stats: Vec<i64> = item_days.iter().map(|r| r.item_id).collect();
    with_stats.dedup();
    progress.set_stage(Stage::Figures);
    let listings = listing_figures(account, user_id, period, &items, &item_days).await;
    drop(items);
    let reviews = period_reviews(account, period).await;
    Ok(StatsData {
        period,
        days,
        titles,
        items_with_stats: with_stats.len(),
        item_days,
        truncated,
        listings,
        reviews,
    })
}

/// Each listing over `period`, from one stats v2 request grouped by item (paged by 1,000).
/// A failure is the Listings sheet's, not the export's: its views and contacts then come from
/// the per-item rows, and the sheet says why the rest is empty.
async fn listing_figures(
    account: &Account,
    user_id: AccountId,
    period: Period,
    items: &[crate::avito::model::Item],
    item_days: &[ItemDay],
) -> ListingsData {
    let query = AnalyticsQuery {
        range: DateRange::unchecked(period.from, period.to),
        metrics: per_listing::LISTING_METRICS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        grouping: Grouping::Item,
        category_ids: Vec::new(),
    };
    match account.analytics(user_id, &query).await {
        Ok(analytics) => {
            let previous = previous_views(account, user_id, period).await;
            ListingsData {
                rows: per_listing::from_analytics(items, &analytics, &previous),
                analytics: Ok(()),
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "the Listings sheet goes without Avito's per-listing analytics");
            ListingsData {
                rows: per_listing::from_item_days(items, item_days),
                analytics: Err(e.to_string()),
            }
        }
    }
}

/// Each listing's views in the period of equal length before `period`, for the drops the
/// Listings sheet marks: one more request of the once-a-minute operation (per 1,000
/// listings), asked only when Avito still keeps that period. A failure leaves the drops
/// unmarked, and the sheet says so.
async fn previous_views(
    account: &Account,
    user_id: AccountId,
    period: Period,
) -> HashMap<i64, i64> {
    let previous = period.previous();
    let mut views = HashMap::new();
    if previous.from < crate::avito::query::earliest_day(crate::avito::query::avito_today()) {
        return views;
    }
    let query = AnalyticsQuery {
        range: DateRange::unchecked(previous.from, previous.to),
        metrics: vec!["views".to_owned()],
        grouping: Grouping::Item,
        category_ids: Vec::new(),
    };
    let read = account
        .analytics_pages(user_id, &query, None, |page| {
            for g in page {
                if let Some(v) = g.metric("views").filter(|v| plausible::count(*v)) {
                    views.insert(g.id, v.round() as i64);
                }
            }
            std::ops::ControlFlow::Continue(())
        })
        .await;
    if let Err(e) = read {
        tracing::warn!(error = %e, "the Listings sheet goes without the previous period's views");
        views.clear();
    }
    views
}

/// The reviews written within `period`, newest first. Avito does not say in which order it
/// lists reviews, so every page is read and filtered. A failure is the sheet's, not the
/// export's: it is said there.
async fn period_reviews(account: &Account, period: Period) -> Result<Vec<Review>, String> {
    let now = crate::domain::clock::now();
    match account.all_reviews().await {
        Ok(mut reviews) => {
            reviews.retain(|r| view::written_within(r, period, model::STATS_TZ, now));
            view::newest_first(&mut reviews);
            Ok(reviews)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the statistics workbook goes without the reviews");
            Err(e.to_string())
        }
    }
}

/// The per-item rows of `period`, page by page of item ids, by item (in listing order) then
/// date.
async fn item_rows(
    account: &Account,
    user_id: AccountId,
    period: Period,
    items: &[crate::avito::model::Item],
    progress: &StatsProgress,
) -> Result<BTreeMap<(usize, i64, NaiveDate), ItemDay>, StatsError> {
    let range = DateRange::unchecked(period.from, period.to);
    let order: HashMap<i64, usize> = items.iter().enumerate().map(|(i, it)| (it.id, i)).collect();
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
    Ok(rows)
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
    use crate::avito::money::Roubles;

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
