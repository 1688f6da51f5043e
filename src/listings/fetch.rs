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
        Reuse::RecentOnly => {
            account
                .recent_analytics_pages(user_id, &query, Some(&sort), visit)
                .await
        }
    }
    .map(drop)
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
    if previous.from >= earliest_day(avito_today()) {
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
