//! Fetching one profile's data for a report with the fewest calls: one stats v2 request grouped
//! by day over the previous and the current period gives totals, series and comparison; the
//! other sources are asked concurrently, each only when a selected metric needs it.

use std::collections::HashMap;

use crate::avito::model::{Analytics, CallsStats, ItemStats, ItemStatus, WalletBalance};
use crate::avito::money::Kopecks;
use crate::avito::query::{AnalyticsQuery, DateRange, Grouping, TimeGrouping, avito_today};
use crate::avito::{Account, AvitoClient, AvitoError, AvitoResult, Operation, REVIEWS_PAGE};
use crate::domain::AccountId;
use chrono::NaiveDate;

use super::input::ProfileSource;
use super::metrics::{Metric, MetricSet};
use super::period::{Period, earliest_day};
use super::rating::{REVIEW_PAGES, RatingFetch, ReviewScan};
use crate::listings::Groups;
use crate::listings::fetch::Reuse;

/// stats v2 slugs one report asks for.
pub const ANALYTICS_METRICS: &[&str] = &[
    "views",
    "contacts",
    "contactsShowPhone",
    "contactsMessenger",
    "contactsShowPhoneAndMessenger",
    "favorites",
    "allSpending",
    "presenceSpending",
    "promoSpending",
    "restSpending",
    "commission",
    "spendingBonus",
    "activeItems",
];

/// Days a one-day report's charts show, ending with the reported day.
pub const ONE_DAY_CHART_DAYS: i64 = 14;

/// The days a report's charts show: its period, or the last [`ONE_DAY_CHART_DAYS`] days of a
/// one-day report (a single point says nothing about a trend).
pub fn chart_window(period: Period) -> Period {
    if period.days() == 1 {
        Period::new(
            period.to - chrono::Duration::days(ONE_DAY_CHART_DAYS - 1),
            period.to,
        )
    } else {
        period
    }
}

/// Active items ranked for the top list: ten pages of the items listing.
pub const TOP_ITEMS_SCAN: usize = 990;

/// What was fetched for one profile; each source separately, so one failing source leaves the
/// others' metrics intact.
pub struct Fetched {
    /// `None` when Avito would not say which account the credentials belong to.
    pub account_id: Option<AccountId>,
    pub current: Period,
    /// `None` when the previous period lies beyond what Avito keeps.
    pub previous: Option<Period>,
    /// The days the charts show, as far as the statistics request covered them.
    pub chart: Period,
    pub analytics: Option<AvitoResult<Analytics>>,
    pub calls: Option<AvitoResult<CallsStats>>,
    pub wallet: Option<AvitoResult<WalletBalance>>,
    pub cpa: Option<AvitoResult<Kopecks>>,
    pub top_items: Option<AvitoResult<TopItemsData>>,
    pub rating: Option<AvitoResult<RatingFetch>>,
    /// The "Listings to look at" groups, when the report has the section.
    pub listings: Option<AvitoResult<Groups>>,
    /// The pages the account's listings took last time, when that is more than can be asked
    /// ahead of a slot (see [`Reuse::Beyond`]).
    pub listings_beyond: Option<u32>,
}

/// Items with their counters over the current period.
pub struct TopItemsData {
    pub items: Vec<(crate::avito::model::Item, i64, i64)>,
    pub scanned: usize,
    pub total_active: usize,
}

/// Which sources a report asks Avito for: each only when a metric it shows needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources {
    /// Stats v2 by day: counts, spending, cost per contact, active items.
    pub analytics: bool,
    pub calls: bool,
    pub wallet: bool,
    pub cpa: bool,
    pub top_items: bool,
    /// The rating and the reviews (no account id needed).
    pub rating: bool,
}

/// The metrics stats v2 answers.
const ANALYTICS_NEEDED_BY: &[Metric] = &[
    Metric::Views,
    Metric::Contacts,
    Metric::Favorites,
    Metric::Conversion,
    Metric::Spending,
    Metric::CostPerContact,
    Metric::ActiveItems,
];

/// The sources `metrics` need (and the top items when asked).
pub fn sources(metrics: &MetricSet, with_top_items: bool) -> Sources {
    Sources {
        analytics: ANALYTICS_NEEDED_BY.iter().any(|m| metrics.contains(*m)),
        calls: metrics.contains(Metric::Calls),
        wallet: metrics.contains(Metric::WalletBalance),
        cpa: metrics.contains(Metric::CpaBalance),
        top_items: with_top_items,
        rating: metrics.contains(Metric::Rating),
    }
}

/// The days a report's requests cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub current: Period,
    /// `None` when the previous period lies beyond what Avito keeps.
    pub previous: Option<Period>,
    /// The days the charts show, as far as Avito keeps them.
    pub chart: Period,
    /// The previous period (when kept) and the current one: what calls are compared over.
    pub compared: DateRange,
    /// Everything the one stats v2 request covers: compared days and chart days.
    pub span: DateRange,
}

/// The days of a report of `period` asked on Avito's `today`.
pub fn days(period: Period, today: NaiveDate) -> Days {
    let earliest = earliest_day(today);
    let previous = Some(period.previous()).filter(|p| p.from >= earliest);
    // A one-day report's charts need the 13 days before it too: the same single request,
    // only a longer range, so no extra call against the once-a-minute limit.
    let chart = chart_window(period);
    let chart = Period::new(chart.from.max(earliest).min(period.from), chart.to);
    let first_compared = previous.map_or(period.from, |p| p.from);
    Days {
        current: period,
        previous,
        chart,
        compared: DateRange::unchecked(first_compared, period.to),
        span: DateRange::unchecked(first_compared.min(chart.from), period.to),
    }
}

/// What to fetch for one profile's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPlan {
    pub sources: Sources,
    pub days: Days,
}

/// The plan of a report of `period` showing `metrics`, on Avito's `today`.
pub fn plan(
    period: Period,
    metrics: &MetricSet,
    with_top_items: bool,
    today: NaiveDate,
) -> FetchPlan {
    FetchPlan {
        sources: sources(metrics, with_top_items),
        days: days(period, today),
    }
}

/// When a person waits: the instant sources stop being waited for, and the wait.
type Deadline = Option<(tokio::time::Instant, std::time::Duration)>;

/// Fetches what `metrics` need for `period`. Only a credentials failure fails the profile as a
/// whole; any other failure is confined to the metrics of the source that failed.
pub async fn fetch_profile(
    client: &AvitoClient,
    source: &ProfileSource,
    period: Period,
    metrics: &MetricSet,
    with_top_items: bool,
    deadline: Option<std::time::Duration>,
    listings: Option<Reuse>,
) -> AvitoResult<Fetched> {
    let plan = plan(period, metrics, with_top_items, avito_today());
    let deadline = deadline.map(|d| (tokio::time::Instant::now() + d, d));
    let account = client.account(source.credentials.clone());
    let account_id = account_id(&account, source, deadline).await;
    if matches!(account_id, Err(AvitoError::InvalidCredentials)) {
        return Err(AvitoError::InvalidCredentials);
    }
    let mut fetched = execute(&account, account_id.clone(), &plan, deadline).await;
    // After every other source: the report's own once-a-minute request goes first, and the
    // section's requests take only what is left of the deadline.
    if let Some(reuse) = listings {
        let groups = with_account(&account_id, deadline, Operation::ItemAnalytics, |id| {
            crate::listings::fetch::groups(&account, id, period, reuse)
        });
        fetched.listings = Some(groups.await);
        if let Reuse::Beyond { pages } = reuse {
            fetched.listings_beyond = Some(pages);
        }
    }
    if fetched.credentials_refused() {
        return Err(AvitoError::InvalidCredentials);
    }
    Ok(fetched)
}

/// The account id the credentials belong to: known, or asked of Avito. Every source but the
/// CPA balance needs it; without it they are n/a with the reason, and the CPA balance still
/// comes.
async fn account_id(
    account: &Account,
    source: &ProfileSource,
    deadline: Deadline,
) -> AvitoResult<AccountId> {
    match source.avito_user_id {
        Some(id) => Ok(id),
        None => within(deadline, Operation::GetUserInfoSelf, account.account_id()).await,
    }
}

/// Asks the planned sources concurrently.
async fn execute(
    account: &Account,
    account_id: AvitoResult<AccountId>,
    plan: &FetchPlan,
    deadline: Deadline,
) -> Fetched {
    let (sources, days) = (plan.sources, plan.days);
    let query = analytics_query(days.span);
    let id = &account_id;
    let (analytics, calls, wallet, cpa, top_items, rating) = tokio::join!(
        when(
            sources.analytics,
            with_account(id, deadline, Operation::ItemAnalytics, |id| {
                account.analytics(id, &query)
            })
        ),
        when(
            sources.calls,
            with_account(id, deadline, Operation::PostCallsStats, |id| {
                account.calls_stats(id, days.compared, &[])
            })
        ),
        when(
            sources.wallet,
            with_account(id, deadline, Operation::GetUserBalance, |id| {
                account.wallet_balance(id)
            })
        ),
        when(
            sources.cpa,
            within(deadline, Operation::BalanceInfoV3, account.cpa_balance())
        ),
        when(
            sources.top_items,
            with_account(id, deadline, Operation::GetItemsInfo, |id| {
                top_items(account, id, days.current)
            })
        ),
        when(
            sources.rating,
            within(deadline, Operation::GetRatingsInfoV1, rating(account))
        ),
    );
    Fetched {
        account_id: account_id.ok(),
        current: days.current,
        previous: days.previous,
        chart: days.chart,
        analytics,
        calls,
        wallet,
        cpa,
        top_items,
        rating,
        listings: None,
        listings_beyond: None,
    }
}

/// The one stats v2 request of a report: every slug it shows, by day over `range`.
fn analytics_query(range: DateRange) -> AnalyticsQuery {
    AnalyticsQuery {
        range,
        metrics: ANALYTICS_METRICS.iter().map(|s| (*s).to_owned()).collect(),
        grouping: Grouping::Day,
        category_ids: Vec::new(),
    }
}

/// `fetch`'s answer when `needed`; a future not awaited asks nothing.
async fn when<T>(needed: bool, fetch: impl std::future::Future<Output = T>) -> Option<T> {
    if needed { Some(fetch.await) } else { None }
}

/// `fetch`, or an "unavailable" error once `deadline` passes: a person waiting gets the
/// report with what arrived, and n/a with this reason for the rest.
async fn within<T>(
    deadline: Deadline,
    operation: Operation,
    fetch: impl std::future::Future<Output = AvitoResult<T>>,
) -> AvitoResult<T> {
    let Some((at, total)) = deadline else {
        return fetch.await;
    };
    tokio::time::timeout_at(at, fetch)
        .await
        .unwrap_or_else(|_| Err(too_late(operation, total)))
}

/// Why a source that did not answer within `wait` is n/a: unavailable, so a later try may
/// succeed, once (the deadline is no retry).
pub fn too_late(operation: Operation, wait: std::time::Duration) -> AvitoError {
    AvitoError::Unavailable {
        operation,
        attempts: 1,
        detail: format!("no answer within {} s", wait.as_secs()),
    }
}

/// [`within`] for a source that needs the account id: without one it fails as the id's
/// lookup did.
async fn with_account<T, F, Fut>(
    account_id: &AvitoResult<AccountId>,
    deadline: Deadline,
    operation: Operation,
    fetch: F,
) -> AvitoResult<T>
where
    F: FnOnce(AccountId) -> Fut,
    Fut: std::future::Future<Output = AvitoResult<T>>,
{
    match account_id {
        Ok(id) => within(deadline, operation, fetch(*id)).await,
        Err(e) => Err(e.clone()),
    }
}

impl Fetched {
    fn credentials_refused(&self) -> bool {
        fn refused<T>(r: &Option<AvitoResult<T>>) -> bool {
            matches!(r, Some(Err(AvitoError::InvalidCredentials)))
        }
        refused(&self.analytics)
            || refused(&self.calls)
            || refused(&self.wallet)
            || refused(&self.cpa)
            || refused(&self.top_items)
            || refused(&self.rating)
            || refused(&self.listings)
    }
}

/// The rating, and the reviews when there is a score for them to go with. Reviews that cannot
/// be listed leave the score standing (logged; the line shows no new reviews).
async fn rating(account: &Account) -> AvitoResult<RatingFetch> {
    let info = account.rating_info().await?;
    let scored = info.enabled != Some(false) && info.rating.is_some();
    let reviews = if scored {
        match scan_reviews(account).await {
            Ok(scan) => Some(scan),
            Err(AvitoError::InvalidCredentials) => return Err(AvitoError::InvalidCredentials),
            Err(e) => {
                tracing::warn!(error = %e, "reviews not listed; the rating goes without new reviews");
                None
            }
        }
    } else {
        None
    };
    Ok(RatingFetch { info, reviews })
}

/// Up to [`REVIEW_PAGES`] pages of reviews, until a short one: their order is not documented,
/// so the period's are picked by date afterwards, not by stopping at an older one.
async fn scan_reviews(account: &Account) -> AvitoResult<ReviewScan> {
    let mut reviews = Vec::new();
    for n in 0..REVIEW_PAGES {
        let page = account.reviews_page(n * REVIEWS_PAGE, REVIEWS_PAGE).await?;
        let short = page.received() < REVIEWS_PAGE;
        reviews.extend(page.reviews);
        if short {
            return Ok(ReviewScan {
                reviews,
                capped: false,
            });
        }
    }
    Ok(ReviewScan {
        reviews,
        capped: true,
    })
}

/// Active items with their unique views and contacts over `period` (stats v1, which has no
/// documented rate limit, unlike item-grouped stats v2 at one request a minute).
async fn top_items(
    account: &Account,
    user_id: AccountId,
    period: Period,
) -> AvitoResult<TopItemsData> {
    let items = account.items(&[ItemStatus::Active]).await?;
    let total_active = items.len();
    let scanned: Vec<_> = items.into_iter().take(TOP_ITEMS_SCAN).collect();
    let ids: Vec<i64> = scanned.iter().map(|i| i.id).collect();
    let range = DateRange::unchecked(period.from, period.to);
    let stats = account
        .item_stats(user_id, &ids, range, ranking_grouping(period))
        .await?;
    let counters = counters(stats);
    let scanned_count = scanned.len();
    let items = scanned
        .into_iter()
        .map(|item| {
            let (views, contacts) = counters.get(&item.id).copied().unwrap_or_default();
            (item, views, contacts)
        })
        .collect();
    Ok(TopItemsData {
        items,
        scanned: scanned_count,
        total_active,
    })
}

/// One point per item and month is enough to rank a long period; it keeps the answers small.
pub fn ranking_grouping(period: Period) -> TimeGrouping {
    if period.days() > 31 {
        TimeGrouping::Month
    } else {
        TimeGrouping::Day
    }
}

/// Each item's unique views and contacts summed over its points (the plain counts where
/// the unique ones are missing); -1 marks an item with a negative point as implausible.
pub fn counters(stats: Vec<ItemStats>) -> HashMap<i64, (i64, i64)> {
    let mut counters: HashMap<i64, (i64, i64)> = HashMap::new();
    for s in stats {
        let entry = counters.entry(s.item_id).or_default();
        for point in s.stats {
            // A negative point would hide in the sum; -1 marks the item implausible.
            let add = |sum: i64, n: Option<i64>| match n.unwrap_or(0) {
                n if sum < 0 || n < 0 => -1,
                n => sum.saturating_add(n),
            };
            entry.0 = add(entry.0, point.uniq_views.or(point.views));
            entry.1 = add(entry.1, point.uniq_contacts.or(point.contacts));
        }
    }
    counters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::model::ItemStatsPoint;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    #[test]
    fn each_source_is_asked_only_for_a_metric_that_needs_it() {
        let none = sources(&MetricSet::from_iter([]), false);
        assert_eq!(
            none,
            Sources {
                analytics: false,
                calls: false,
                wallet: false,
                cpa: false,
                top_items: false,
                rating: false,
            }
        );
        let views = sources(&MetricSet::from_iter([Metric::Views]), false);
        assert!(views.analytics && !views.calls && !views.wallet && !views.cpa);
        let money = sources(
            &MetricSet::from_iter([Metric::WalletBalance, Metric::CpaBalance]),
            true,
        );
        assert!(!money.analytics && !money.calls && money.wallet && money.cpa);
        assert!(
            money.top_items,
            "the top items when asked, whatever the metrics"
        );
        let calls = sources(&MetricSet::from_iter([Metric::Calls]), false);
        assert!(calls.calls && !calls.analytics);
        for m in ANALYTICS_NEEDED_BY {
            assert!(
                sources(&MetricSet::from_iter([*m]), false).analytics,
                "{m:?}"
            );
        }
        let all = sources(&MetricSet::all(), false);
        assert!(all.analytics && all.calls && all.wallet && all.cpa && all.rating);
        let rating = sources(&MetricSet::from_iter([Metric::Rating]), false);
        assert!(rating.rating && !rating.analytics && !rating.wallet);
    }

    #[test]
    fn a_month_is_compared_with_the_one_before_in_one_request() {
        let days = days(Period::new(d(11, 1), d(11, 30)), d(12, 6));
        assert_eq!(days.previous, Some(Period::new(d(10, 2), d(10, 31))));
        assert_eq!(days.chart, Period::new(d(11, 1), d(11, 30)));
        assert_eq!(days.compared, DateRange::unchecked(d(10, 2), d(11, 30)));
        assert_eq!(days.span, days.compared);
    }

    #[test]
    fn a_day_charts_the_two_weeks_before_it_in_the_same_request() {
        let days = days(Period::new(d(12, 5), d(12, 5)), d(12, 6));
        assert_eq!(days.previous, Some(Period::new(d(12, 4), d(12, 4))));
        assert_eq!(days.chart, Period::new(d(11, 22), d(12, 5)));
        assert_eq!(days.compared, DateRange::unchecked(d(12, 4), d(12, 5)));
        assert_eq!(days.span, DateRange::unchecked(d(11, 22), d(12, 5)));
    }

    #[test]
    fn days_beyond_what_avito_keeps_are_not_asked_for() {
        let today = d(12, 6);
        let earliest = earliest_day(today);
        // The previous period would start before the earliest kept day.
        let period = Period::new(earliest, earliest + chrono::Duration::days(9));
        let days = days(period, today);
        assert_eq!(days.previous, None);
        assert_eq!(days.compared, DateRange::unchecked(period.from, period.to));
        // A one-day report at the edge charts only the days still kept.
        let edge = Period::new(
            earliest + chrono::Duration::days(3),
            earliest + chrono::Duration::days(3),
        );
        let days = super::days(edge, today);
        assert_eq!(days.chart, Period::new(earliest, edge.to));
        assert_eq!(days.span.from, earliest);
    }

    #[test]
    fn the_plan_is_its_sources_and_days() {
        let period = Period::new(d(11, 1), d(11, 30));
        let metrics = MetricSet::from_iter([Metric::Calls]);
        let plan = plan(period, &metrics, true, d(12, 6));
        assert_eq!(plan.sources, sources(&metrics, true));
        assert_eq!(plan.days, days(period, d(12, 6)));
    }

    fn point(
        uniq: (Option<i64>, Option<i64>),
        plain: (Option<i64>, Option<i64>),
    ) -> ItemStatsPoint {
        ItemStatsPoint {
            date: d(11, 1),
            uniq_views: uniq.0,
            uniq_contacts: uniq.1,
            uniq_favorites: None,
            views: plain.0,
            contacts: plain.1,
            favorites: None,
        }
    }

    #[test]
    fn items_are_ranked_on_their_unique_counts_summed() {
        let stats = vec![
            ItemStats {
                item_id: 1,
                stats: vec![
                    point((Some(10), Some(2)), (Some(99), Some(99))),
                    point((None, None), (Some(5), Some(1))),
                    point((None, None), (None, None)),
                ],
            },
            ItemStats {
                item_id: 2,
                stats: vec![
                    point((Some(-3), Some(1)), (None, None)),
                    point((Some(4), Some(1)), (None, None)),
                ],
            },
        ];
        let counters = counters(stats);
        assert_eq!(counters[&1], (15, 3));
        assert_eq!(
            counters[&2],
            (-1, 2),
            "a negative point marks the item implausible"
        );
    }

    #[test]
    fn a_long_period_is_ranked_by_month() {
        assert_eq!(
            ranking_grouping(Period::new(d(11, 1), d(11, 30))),
            TimeGrouping::Day
        );
        assert_eq!(
            ranking_grouping(Period::new(d(9, 1), d(11, 30))),
            TimeGrouping::Month
        );
    }

    #[test]
    fn a_source_too_late_is_unavailable_with_the_wait() {
        let e = too_late(
            Operation::GetUserBalance,
            std::time::Duration::from_secs(20),
        );
        let failure = crate::report::model::Failure::from(&e);
        assert!(failure.is_transient());
        assert!(e.to_string().contains("no answer within 20 s"), "{e}");
    }
}
