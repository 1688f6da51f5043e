//! Asking Avito for the groups: the previous period's figures, then the current period's, each
//! one item-grouped statistics request a page (1,000 listings) sorted by views, fed to the
//! ranking as they come; then the blocked and rejected listings.

use std::ops::ControlFlow;

use crate::avito::model::{AnalyticsGroup, ItemStatus};
use crate::avito::query::{
    AnalyticsQuery, AnalyticsSort, DateRange, Grouping, SortOrder, avito_today, earliest_day,
};
use crate::avito::{Account, AvitoResult};
use crate::domain::AccountId;
use crate::domain::period::Period;

use super::figures::{self, Figures};
use super::rank::{Flagged, Groups, Previous, Ranker};

/// Whether the statistics may be asked for, or only recent answers reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Ask Avito: two requests of the once-a-minute operation (more past 1,000 listings),
    /// paced behind any other.
    Ask,
    /// Only answers got within the last minutes (see `Account::recent_analytics_pages`): a
    /// person is waiting.
    RecentOnly,
    /// Only answers got lately, as `RecentOnly`: the account's figures took `pages` requests
    /// last time, more than are asked ahead of a slot (`super::lead`), so a scheduled report
    /// asks none and, without them, says why.
    Beyond { pages: u32 },
}

impl Reuse {
    /// A scheduled report's, for an account whose listings took `pages` requests last time:
    /// asked for (a warm-up has most likely asked already), or, past any lead, not at all.
    pub fn scheduled(pages: Option<i32>) -> Self {
        Self::beyond(pages).unwrap_or(Reuse::Ask)
    }

    /// For a person waiting: recent answers only, and past any lead the reason why.
    pub fn waiting(pages: Option<i32>) -> Self {
        Self::beyond(pages).unwrap_or(Reuse::RecentOnly)
    }

    fn beyond(pages: Option<i32>) -> Option<Self> {
        let pages = u32::try_from(pages?).ok()?;
        super::lead::beyond(Some(pages)).then_some(Reuse::Beyond { pages })
    }
}

/// The request of one period: identical every time, so a report finds the answer a
/// fetch ahead of it got.
pub fn query(period: Period) -> AnalyticsQuery {
    AnalyticsQuery {
        range: DateRange::unchecked(period.from, period.to),
        metrics: figures::METRICS.iter().map(|s| (*s).to_owned()).collect(),
        grouping: Grouping::Item,
        category_ids: Vec::new(),
    }
}

fn by_views() -> AnalyticsSort {
    AnalyticsSort {
        key: "views".into(),
        order: SortOrder::Desc,
    }
}

/// Every listing's figures of `period`, a page at a time, to `take`.
async fn each(
    account: &Account,
    user_id: AccountId,
    period: Period,
    reuse: Reuse,
    mut take: impl FnMut(&Figures),
) -> AvitoResult<()> {
    let visit = |page: Vec<AnalyticsGroup>| {
        page.iter().filter_map(Figures::of).for_each(|f| take(&f));
        ControlFlow::Continue(())
    };
    let (query, sort) = (query(period), by_views());
    match reuse {
        Reuse::Ask => {
            account
                .analytics_pages(user_id, &query, Some(&sort), visit)
                .await
        }
        Reuse::RecentOnly | Reuse::Beyond { .. } => {
            account
                .recent_analytics_pages(user_id, &query, Some(&sort), visit)
                .await
        }
    }
    .map(drop)
}

/// Asks for exactly the pages [`groups`] will read for `period` (both periods), keeping the
/// answers until `until` at least: a warm-up ahead of a report's slot. Returns how many
/// pages it took.
pub async fn warm(
    account: &Account,
    user_id: AccountId,
    period: Period,
    until: tokio::time::Instant,
) -> AvitoResult<u32> {
    let mut pages = 0;
    let sort = by_views();
    for period in periods(period) {
        let count = |_: Vec<AnalyticsGroup>| {
            pages += 1;
            ControlFlow::Continue(())
        };
        account
            .kept_analytics_pages(user_id, &query(period), Some(&sort), until, count)
            .await?;
    }
    Ok(pages)
}

/// Measures how many pages [`warm`] would take for `period` from the first page of each
/// period (its total count of listings), kept until `until` like [`warm`]'s: an account past
/// any lead is measured so, a request a period per slot, in case it shrank. `None` when
/// Avito does not say.
pub async fn measure(
    account: &Account,
    user_id: AccountId,
    period: Period,
    until: tokio::time::Instant,
) -> AvitoResult<Option<u32>> {
    let (sort, mut pages) = (by_views(), 0u32);
    for period in periods(period) {
        let total = account
            .analytics_total(user_id, &query(period), Some(&sort), until)
            .await?;
        let Some(total) = total else {
            return Ok(None);
        };
        let count = u32::try_from(total.div_ceil(PAGE).max(1)).unwrap_or(u32::MAX);
        pages = pages.saturating_add(count);
    }
    Ok(Some(pages))
}

/// Listings a page of the item-grouped statistics holds.
const PAGE: u64 = 1000;

/// The periods whose figures the groups of `period` need, in the order they are read: the
/// one before (when Avito still keeps it), then `period`.
fn periods(period: Period) -> Vec<Period> {
    let previous = period.previous();
    let kept = previous.from >= earliest_day(avito_today());
    kept.then_some(previous)
        .into_iter()
        .chain([period])
        .collect()
}

/// The groups of `period` (compared with the period of equal length before it, when Avito
/// still keeps it).
pub async fn groups(
    account: &Account,
    user_id: AccountId,
    period: Period,
    reuse: Reuse,
) -> AvitoResult<Groups> {
    let mut before = Previous::default();
    let previous = period.previous();
    if periods(period).contains(&previous) {
        each(account, user_id, previous, reuse, |f| before.add(f)).await?;
    }
    let mut ranker = Ranker::new(before.finish());
    each(account, user_id, period, reuse, |f| ranker.add(f)).await?;
    let flagged = account
        .items(&[ItemStatus::Blocked, ItemStatus::Rejected])
        .await?
        .into_iter()
        .map(|item| Flagged {
            id: item.id,
            title: item.title,
            url: item.url,
            rejected: item.status == ItemStatus::Rejected,
        })
        .collect();
    Ok(ranker.finish(flagged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_past_any_lead_is_not_asked_for_and_says_why() {
        assert_eq!(Reuse::scheduled(None), Reuse::Ask);
        assert_eq!(Reuse::scheduled(Some(40)), Reuse::Ask);
        assert_eq!(Reuse::scheduled(Some(-1)), Reuse::Ask, "a damaged count");
        assert_eq!(Reuse::scheduled(Some(130)), Reuse::Beyond { pages: 130 });
        assert_eq!(Reuse::waiting(Some(40)), Reuse::RecentOnly);
        assert_eq!(Reuse::waiting(Some(130)), Reuse::Beyond { pages: 130 });
    }
}
