//! Fetching one profile's data for a report with the fewest calls: one stats v2 request grouped
//! by day over the previous and the current period gives totals, series and comparison; the
//! other sources are asked concurrently, each only when a selected metric needs it.

use crate::avito::model::{Analytics, CallsStats, ItemStatus, WalletBalance};
use crate::avito::money::Kopecks;
use crate::avito::query::{AnalyticsQuery, DateRange, Grouping, TimeGrouping, avito_today};
use crate::avito::{Account, AvitoClient, AvitoError, AvitoResult, Operation};
use crate::domain::AccountId;

use super::input::ProfileSource;
use super::metrics::{Metric, MetricSet};
use super::period::{Period, earliest_day};

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
}

/// Items with their counters over the current period.
pub struct TopItemsData {
    pub items: Vec<(crate::avito::model::Item, i64, i64)>,
    pub scanned: usize,
    pub total_active: usize,
}

fn needs(metrics: &MetricSet, any_of: &[Metric]) -> bool {
    any_of.iter().any(|m| metrics.contains(*m))
}

/// Fetches what `metrics` need for `period`. Only a credentials failure fails the profile as a
/// whole; any other failure is confined to the metrics of the source that failed.
pub async fn fetch_profile(
    client: &AvitoClient,
    source: &ProfileSource,
    period: Period,
    metrics: &MetricSet,
    with_top_items: bool,
    deadline: Option<std::time::Duration>,
) -> AvitoResult<Fetched> {
    let deadline = deadline.map(|d| (tokio::time::Instant::now() + d, d));
    let account = client.account(source.credentials.clone());
    // Every source but the CPA balance needs the account id; without it they are n/a with
    // the reason, and the CPA balance still comes.
    let account_id = match source.avito_user_id {
        Some(id) => Ok(id),
        None => match within(deadline, Operation::GetUserInfoSelf, account.account_id()).await {
            Err(AvitoError::InvalidCredentials) => return Err(AvitoError::InvalidCredentials),
            other => other,
        },
    };
    let earliest = earliest_day(avito_today());
    let previous = Some(period.previous()).filter(|p| p.from >= earliest);
    // A one-day report's charts need the 13 days before it too: the same single request,
    // only a longer range, so no extra call against the once-a-minute limit.
    let chart = chart_window(period);
    let chart = Period::new(chart.from.max(earliest).min(period.from), chart.to);
    let compared = DateRange::unchecked(previous.map_or(period.from, |p| p.from), period.to);
    let span = DateRange::unchecked(
        previous.map_or(period.from, |p| p.from).min(chart.from),
        period.to,
    );

    let analytics_needed = needs(
        metrics,
        &[
            Metric::Views,
            Metric::Contacts,
            Metric::Favorites,
            Metric::Conversion,
            Metric::Spending,
            Metric::CostPerContact,
            Metric::ActiveItems,
        ],
    );
    let analytics = async {
        if !analytics_needed {
            return None;
        }
        let query = AnalyticsQuery {
            range: span,
            metrics: ANALYTICS_METRICS.iter().map(|s| (*s).to_owned()).collect(),
            grouping: Grouping::Day,
            category_ids: Vec::new(),
        };
        Some(
            with_account(&account_id, deadline, Operation::ItemAnalytics, |id| {
                account.analytics(id, &query)
            })
            .await,
        )
    };
    let calls = async {
        if !metrics.contains(Metric::Calls) {
            return None;
        }
        Some(
            with_account(&account_id, deadline, Operation::PostCallsStats, |id| {
                account.calls_stats(id, compared, &[])
            })
            .await,
        )
    };
    let wallet = async {
        if !metrics.contains(Metric::WalletBalance) {
            return None;
        }
        Some(
            with_account(&account_id, deadline, Operation::GetUserBalance, |id| {
                account.wallet_balance(id)
            })
            .await,
        )
    };
    let cpa = async {
        if !metrics.contains(Metric::CpaBalance) {
            return None;
        }
        Some(within(deadline, Operation::BalanceInfoV3, account.cpa_balance()).await)
    };
    let top = async {
        if !with_top_items {
            return None;
        }
        Some(
            with_account(&account_id, deadline, Operation::GetItemsInfo, |id| {
                top_items(&account, id, period)
            })
            .await,
        )
    };
    let (analytics, calls, wallet, cpa, top_items) =
        tokio::join!(analytics, calls, wallet, cpa, top);

    let fetched = Fetched {
        account_id: account_id.ok(),
        current: period,
        previous,
        chart,
        analytics,
        calls,
        wallet,
        cpa,
        top_items,
    };
    if fetched.credentials_refused() {
        return Err(AvitoError::InvalidCredentials);
    }
    Ok(fetched)
}

/// `fetch`, or an "unavailable" error once `deadline` passes: a person waiting gets the
/// report with what arrived, and n/a with this reason for the rest.
async fn within<T>(
    deadline: Option<(tokio::time::Instant, std::time::Duration)>,
    operation: Operation,
    fetch: impl std::future::Future<Output = AvitoResult<T>>,
) -> AvitoResult<T> {
    let Some((at, total)) = deadline else {
        return fetch.await;
    };
    tokio::time::timeout_at(at, fetch)
        .await
        .unwrap_or_else(|_| {
            Err(AvitoError::Unavailable {
                operation,
                attempts: 1,
                detail: format!("no answer within {} s", total.as_secs()),
            })
        })
}

/// [`within`] for a source that needs the account id: without one it fails as the id's
/// lookup did.
async fn with_account<T, F, Fut>(
    account_id: &AvitoResult<AccountId>,
    deadline: Option<(tokio::time::Instant, std::time::Duration)>,
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
    }
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
    // One point per item and month is enough to rank; it keeps the answers small.
    let grouping = if period.days() > 31 {
        TimeGrouping::Month
    } else {
        TimeGrouping::Day
    };
    let stats = account.item_stats(user_id, &ids, range, grouping).await?;
    let mut counters: std::collections::HashMap<i64, (i64, i64)> = Default::default();
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
