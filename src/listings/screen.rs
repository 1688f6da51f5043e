//! The "📋 Listings" screen's figures: every listing of the last 7 days in one order, a page at
//! a time, with the groups of "Listings to look at" when a report read them lately.
//!
//! Only the page's window is kept (ten listings and one more, which says whether there is a
//! next page) and the pages are no longer read once it is full, so 20,000 listings take the
//! memory of eleven. The request is the same for every page of one order, so the pages within
//! the first 1,000 listings reuse the client's answer of the last minutes: paging spends no
//! once-a-minute request, a new order spends one.

use std::collections::HashMap;
use std::ops::ControlFlow;

use chrono::Days;

use super::fetch::{self, Reuse};
use super::link;
use super::rank::Groups;
use crate::avito::model::{AnalyticsGroup, Item, ItemStatus};
use crate::avito::money::Kopecks;
use crate::avito::query::{
    AnalyticsQuery, AnalyticsSort, DateRange, Grouping, SortOrder, avito_today,
};
use crate::avito::{Account, AvitoResult};
use crate::domain::{AccountId, ListingFlag, ListingsPage, Period};

/// Listings on one page of the screen.
pub const PER_PAGE: usize = 10;
/// The screen's days: the last 7 whole days of Avito's calendar.
pub const DAYS: u64 = 7;

/// The stats v2 slugs the screen asks for (money in kopecks). `averageContactCost` is not
/// shown (see [`Row::cost_per_contact`]) but is asked for as the key of one order.
pub const METRICS: [&str; 4] = ["views", "contacts", "averageContactCost", "allSpending"];

/// The screen's period: Avito's last 7 whole days (today is not over).
pub fn period(today: chrono::NaiveDate) -> Period {
    Period::new(today - Days::new(DAYS), today - Days::new(1))
}

/// One listing's figures over the screen's period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub id: i64,
    pub views: u64,
    pub contacts: u64,
    pub spending: Kopecks,
}

impl Stat {
    /// A metric Avito left out of a listing's group is taken as none: the listing is in the
    /// answer, so it is shown, and an absent count is Avito's way of saying zero.
    pub fn of(group: &AnalyticsGroup) -> Stat {
        let count = |slug: &str| {
            group
                .metric(slug)
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map_or(0, |v| v.round() as u64)
        };
        let spending = group
            .metric("allSpending")
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map_or(Kopecks(0), Kopecks::from_api);
        Stat {
            id: group.id,
            views: count("views"),
            contacts: count("contacts"),
            spending,
        }
    }
}

/// The listings of one page, gathered as the answer's pages come.
#[derive(Debug)]
pub struct Window {
    skip: usize,
    kept: Vec<Stat>,
}

impl Window {
    pub fn new(page: u16) -> Window {
        Window {
            skip: usize::from(page) * PER_PAGE,
            kept: Vec::with_capacity(PER_PAGE + 1),
        }
    }

    /// Takes one page of the answer; `Break` once the window is full.
    pub fn visit(&mut self, groups: Vec<AnalyticsGroup>) -> ControlFlow<()> {
        let passed = groups.len().min(self.skip);
        self.skip -= passed;
        let room = (PER_PAGE + 1).saturating_sub(self.kept.len());
        self.kept
            .extend(groups[passed..].iter().take(room).map(Stat::of));
        if self.kept.len() > PER_PAGE {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// One line of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i64,
    /// From the blocked and rejected listings' answer; the statistics carry no titles.
    pub title: Option<String>,
    pub url: String,
    pub views: u64,
    pub contacts: u64,
    pub spending: Kopecks,
    /// Blocked or rejected; `None` for every other listing. Only those two are asked for
    /// (one request): a listing not among them may be active, removed or expired, and
    /// telling those apart would take a listing of every status, so nothing is claimed.
    pub flag: Option<ListingFlag>,
}

impl Row {
    /// Contacts per view, in percent; `None` without views.
    pub fn conversion(&self) -> Option<f64> {
        (self.views > 0).then(|| self.contacts as f64 * 100.0 / self.views as f64)
    }

    /// The listing's spending over its contacts, so that the line's two money figures agree
    /// (Avito's `averageContactCost` may count only some kinds of spending); `None` without
    /// contacts. The "per contact" order is Avito's own `averageContactCost`, so a line may
    /// sit a little out of that order where the two differ.
    pub fn cost_per_contact(&self) -> Option<Kopecks> {
        let contacts = i64::try_from(self.contacts).ok().filter(|c| *c > 0)?;
        Some(Kopecks((self.spending.0 + contacts / 2) / contacts))
    }
}

/// The groups' line: ready, or to come with the weekly report.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupsLine {
    Ready(Box<Groups>),
    /// The statistics were not read lately (asking would spend two once-a-minute requests).
    Later,
}

/// What the screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingsView {
    pub period: Period,
    pub page: ListingsPage,
    pub rows: Vec<Row>,
    pub has_next: bool,
    pub groups: GroupsLine,
}

/// The page from its window (up to [`PER_PAGE`] + 1 listings) and the blocked and rejected
/// listings, which name and mark the page's listings.
pub fn rows(window: Vec<Stat>, flagged: &[Item]) -> (Vec<Row>, bool) {
    let by_id: HashMap<i64, &Item> = flagged.iter().map(|i| (i.id, i)).collect();
    let has_next = window.len() > PER_PAGE;
    let rows = window
        .into_iter()
        .take(PER_PAGE)
        .map(|s| {
            let item = by_id.get(&s.id);
            Row {
                id: s.id,
                title: item.and_then(|i| i.title.clone()),
                url: link::page(s.id, item.and_then(|i| i.url.as_deref())),
                views: s.views,
                contacts: s.contacts,
                spending: s.spending,
                flag: item.and_then(|i| super::flagged::flag_of(i.status)),
            }
        })
        .collect();
    (rows, has_next)
}

/// The request of the screen in `page`'s order: identical for every page of one order.
fn query(period: Period) -> AnalyticsQuery {
    AnalyticsQuery {
        range: DateRange::unchecked(period.from, period.to),
        metrics: METRICS.iter().map(|s| (*s).to_owned()).collect(),
        grouping: Grouping::Item,
        category_ids: Vec::new(),
    }
}

/// Asks Avito for the screen's page (the statistics may wait for the once-a-minute budget
/// when the order is new).
pub async fn read(
    account: &Account,
    user_id: AccountId,
    page: ListingsPage,
) -> AvitoResult<ListingsView> {
    let period = period(avito_today());
    let sort = AnalyticsSort {
        key: page.sort.metric().into(),
        order: SortOrder::Desc,
    };
    let mut window = Window::new(page.page);
    account
        .analytics_pages(user_id, &query(period), Some(&sort), |groups| {
            window.visit(groups)
        })
        .await?;
    let flagged = account
        .items(&[ItemStatus::Blocked, ItemStatus::Rejected])
        .await?;
    let (rows, has_next) = rows(window.kept, &flagged);
    let groups = match fetch::groups(account, user_id, period, Reuse::RecentOnly).await {
        Ok(groups) => GroupsLine::Ready(Box::new(groups)),
        // Not read lately (`NotCached`), or any other failure: it only costs the groups'
        // line, the page itself is read.
        Err(_) => GroupsLine::Later,
    };
    Ok(ListingsView {
        period,
        page,
        rows,
        has_next,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn group(id: i64, views: f64) -> AnalyticsGroup {
        AnalyticsGroup {
            id,
            kind: "item".into(),
            metrics: BTreeMap::from([
                ("views".to_owned(), views),
                ("contacts".to_owned(), 3.0),
                ("allSpending".to_owned(), 1000.0),
            ]),
        }
    }

    fn answer_page(from: i64, n: i64) -> Vec<AnalyticsGroup> {
        (from..from + n)
            .map(|id| group(id, 1e6 - id as f64))
            .collect()
    }

    #[test]
    fn a_window_keeps_its_page_and_one_more_and_stops() {
        // Page 99 of 1,000-listing answer pages: listings 990..1001, across two pages.
        let mut w = Window::new(99);
        assert!(w.visit(answer_page(0, 1000)).is_continue());
        assert!(w.visit(answer_page(1000, 1000)).is_break());
        let ids: Vec<i64> = w.kept.iter().map(|s| s.id).collect();
        assert_eq!(ids, (990..1001).collect::<Vec<_>>());
        // The last page: fewer than ten, no next.
        let mut last = Window::new(19);
        assert!(last.visit(answer_page(0, 195)).is_continue());
        let (shown, next) = rows(last.kept, &[]);
        assert_eq!((shown.len(), next), (5, false));
        let mut first = Window::new(0);
        assert!(first.visit(answer_page(0, 1000)).is_break());
        let (shown, next) = rows(first.kept, &[]);
        assert_eq!((shown.len(), next), (PER_PAGE, true));
    }

    #[test]
    fn rows_are_named_and_marked_from_the_flagged_listings() {
        let flagged = [Item {
            id: 2,
            title: Some("Sofa".into()),
            address: None,
            price: None,
            status: ItemStatus::Rejected,
            url: Some("https://www.avito.ru/moskva/sofa_2".into()),
            category: None,
        }];
        let (rows, _) = rows(
            vec![Stat::of(&group(1, 10.0)), Stat::of(&group(2, 0.0))],
            &flagged,
        );
        assert_eq!(rows[0].title, None);
        assert_eq!(rows[0].url, "https://www.avito.ru/1");
        assert_eq!(rows[0].flag, None);
        assert_eq!(rows[1].title.as_deref(), Some("Sofa"));
        assert_eq!(rows[1].flag, Some(ListingFlag::Rejected));
        assert_eq!(rows[0].conversion(), Some(30.0));
        assert_eq!(rows[1].conversion(), None);
        assert_eq!(rows[0].cost_per_contact(), Some(Kopecks(333)));
        let none = Row {
            contacts: 0,
            ..rows[0].clone()
        };
        assert_eq!(none.cost_per_contact(), None);
    }

    #[test]
    fn spending_is_read_in_kopecks_and_a_missing_count_as_none() {
        let g = AnalyticsGroup {
            id: 5,
            kind: "item".into(),
            metrics: BTreeMap::from([
                ("views".to_owned(), 40.0),
                ("allSpending".to_owned(), 12_345.6),
            ]),
        };
        let s = Stat::of(&g);
        assert_eq!((s.views, s.contacts, s.spending), (40, 0, Kopecks(12_346)));
        let odd = AnalyticsGroup {
            metrics: BTreeMap::from([("views".to_owned(), f64::NAN)]),
            ..g
        };
        assert_eq!(
            (Stat::of(&odd).views, Stat::of(&odd).spending),
            (0, Kopecks(0))
        );
    }

    #[test]
    fn the_period_is_the_last_seven_whole_days() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).expect("date");
        let p = period(today);
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2026-11-29".into(), "2026-12-05".into())
        );
        assert_eq!(p.days(), 7);
    }
}
