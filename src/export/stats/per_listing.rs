//! The Listings sheet's rows and the listings it marks (issue 27's "listings to look at"),
//! without I/O: figures in, rows, ratios, thresholds and marks out.
//!
//! Cost per contact is spending (`allSpending`, money and bonuses) over contacts, as the
//! reports compute it, so that a listing's columns divide out and the account's figure is the
//! report's. Avito's own `averageContactCost` counts placement and promotion only, and would
//! not match the Spending column beside it.

use std::collections::{BTreeMap, HashMap};

use super::model::{ItemDay, ListingFigures};
use crate::avito::model::{Analytics, Item};
use crate::avito::money::Kopecks;
use crate::avito::plausible;

/// Stats v2 metrics the Listings sheet needs, per listing.
pub const LISTING_METRICS: &[&str] = &["impressions", "views", "contacts", "allSpending"];
/// Bars of the spending chart: the listings with the most spending.
pub const TOP_BY_SPENDING: usize = 20;
/// "Views but no contacts" starts at this many views, however low the account's median: the
/// reports' bar (`listings::rank`), so a listing the report names is the one the sheet marks.
pub const MIN_VIEWS_FLOOR: i64 = crate::listings::rank::MIN_VIEWS as i64;
/// ... and at this many times the account's median views per listing: a listing seen more than
/// most of its siblings and never contacted is the one to look at.
pub const MEDIAN_FACTOR: f64 = crate::listings::rank::MEDIAN_TIMES as f64;
/// Contacts cost this many times the account's and more: "costliest".
pub const COST_FACTOR: i64 = 2;

/// `num / den`, where both are known and `den` is not zero.
fn ratio(num: Option<i64>, den: Option<i64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
        _ => None,
    }
}

/// Click-through rate: views per impression (a fraction; the sheet shows it in per cent).
pub fn ctr(views: Option<i64>, impressions: Option<i64>) -> Option<f64> {
    ratio(views, impressions)
}

/// Contacts per view (a fraction).
pub fn conversion(contacts: Option<i64>, views: Option<i64>) -> Option<f64> {
    ratio(contacts, views)
}

/// Spending per contact; none without a contact.
pub fn cost_per_contact(spending: Option<Kopecks>, contacts: Option<i64>) -> Option<Kopecks> {
    match (spending, contacts) {
        (Some(s), Some(c)) if c > 0 => Some(Kopecks::from_api(s.0 as f64 / c as f64)),
        _ => None,
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0),
    }
}

/// Views from which a listing without contacts is marked: twice the median, at least 50.
pub fn min_views(median: Option<f64>) -> i64 {
    let scaled = median.map_or(0, |m| (m * MEDIAN_FACTOR).ceil() as i64);
    scaled.max(MIN_VIEWS_FLOOR)
}

/// What the marks are measured against, computed from the account's own listings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Median views per listing with a views figure.
    pub median_views: Option<f64>,
    pub min_views: i64,
    /// The account's spending per contact over the listings with both figures.
    pub account_cost: Option<Kopecks>,
    /// Cost per contact from which a listing is "costliest"; none where the account spent
    /// nothing or had no contact (every listing would be).
    pub costly_from: Option<Kopecks>,
    /// Views in the previous period from which a drop counts: that period's own "many views"
    /// bar, as the reports rank it; none when the previous period is not known.
    pub fell_from: Option<i64>,
}

impl Thresholds {
    pub fn of(rows: &[ListingFigures]) -> Self {
        let median_views = median(rows.iter().filter_map(|r| r.views).collect());
        let (spent, contacts) = rows
            .iter()
            .filter_map(|r| Some((r.spending?, r.contacts?)))
            .fold((Kopecks(0), 0i64), |(s, c), (rs, rc)| {
                (s + rs, c.saturating_add(rc))
            });
        let account_cost = cost_per_contact(Some(spent), Some(contacts));
        let before: Vec<i64> = rows.iter().filter_map(|r| r.previous_views).collect();
        let fell_from = (!before.is_empty()).then(|| min_views(median(before)));
        Self {
            fell_from,
            median_views,
            min_views: min_views(median_views),
            account_cost,
            costly_from: account_cost
                .filter(|k| k.0 > 0)
                .map(|k| Kopecks(k.0.saturating_mul(COST_FACTOR))),
        }
    }
}

/// Why a listing is worth a look; more than one may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    /// Views at or over the threshold, no contact.
    pub no_contacts: bool,
    /// Contacts at twice the account's cost or more.
    pub costly: bool,
    /// Blocked or rejected by Avito.
    pub blocked: bool,
    /// Views at most half of the previous period's, from that period's bar or more.
    pub fell: bool,
}

impl Marks {
    pub fn any(self) -> bool {
        self.no_contacts || self.costly || self.blocked || self.fell
    }
}

/// Views at most this share (per cent) of the previous period's: a drop, as the reports
/// rank it (`listings::rank`).
pub const FELL_TO_PERCENT: i64 = crate::listings::rank::FALLEN_TO_PERCENT as i64;

pub fn marks(row: &ListingFigures, t: &Thresholds) -> Marks {
    use crate::avito::model::ItemStatus;
    let cost = cost_per_contact(row.spending, row.contacts);
    Marks {
        no_contacts: row.contacts == Some(0) && row.views.is_some_and(|v| v >= t.min_views),
        costly: cost.zip(t.costly_from).is_some_and(|(c, from)| c >= from),
        blocked: matches!(row.status, Some(ItemStatus::Blocked | ItemStatus::Rejected)),
        fell: match (row.views, row.previous_views, t.fell_from) {
            (Some(now), Some(before), Some(bar)) => {
                before >= bar && now.saturating_mul(100) <= before.saturating_mul(FELL_TO_PERCENT)
            }
            _ => false,
        },
    }
}

/// The sheet's order: most spending first (the chart's top 20 are then the first rows), then
/// most views, then the listing's order; a figure not known sorts as the least.
pub fn sheet_order(rows: &mut [ListingFigures]) {
    // A stable sort keeps the listing's order among equals.
    rows.sort_by_key(|r| std::cmp::Reverse((r.spending, r.views)));
}

/// Leading rows (in sheet order) the spending chart shows: those that spent, at most 20.
pub fn top_by_spending(rows: &[ListingFigures]) -> usize {
    rows.iter()
        .take(TOP_BY_SPENDING)
        .take_while(|r| r.spending.is_some_and(|s| s.0 > 0))
        .count()
}

/// A listing Avito counted but did not list: no status or link known.
fn unlisted(item_id: i64) -> ListingFigures {
    ListingFigures {
        item_id,
        status: None,
        url: None,
        impressions: None,
        views: None,
        contacts: None,
        spending: None,
        previous_views: None,
    }
}

fn listing(item: &Item) -> ListingFigures {
    ListingFigures {
        status: Some(item.status),
        url: item.url.as_deref().map(Box::from),
        ..unlisted(item.id)
    }
}

/// A count Avito gave, if believable.
fn count(n: Option<f64>) -> Option<i64> {
    n.filter(|n| plausible::count(*n)).map(|n| n.round() as i64)
}

/// A row per listed item, with its figures from the analytics grouped by item; then a row per
/// listing Avito counted but did not list. Sheet order.
pub fn from_analytics(
    items: &[Item],
    analytics: &Analytics,
    previous: &HashMap<i64, i64>,
) -> Vec<ListingFigures> {
    let mut rows: Vec<ListingFigures> = items.iter().map(listing).collect();
    let at: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.item_id, i))
        .collect();
    for g in &analytics.groups {
        let i = match at.get(&g.id) {
            Some(i) => *i,
            None => {
                rows.push(unlisted(g.id));
                rows.len() - 1
            }
        };
        let row = &mut rows[i];
        row.impressions = count(g.metric("impressions"));
        row.views = count(g.metric("views"));
        row.contacts = count(g.metric("contacts"));
        row.spending = g
            .money("allSpending")
            .filter(|k| plausible::roubles(k.to_roubles().0));
    }
    for row in &mut rows {
        row.previous_views = previous.get(&row.item_id).copied();
    }
    sheet_order(&mut rows);
    rows
}

/// Without the analytics: a row per listed item with its views and contacts summed from the
/// Items sheet's rows (stats v1); impressions and spending stay unknown. Sheet order.
pub fn from_item_days(items: &[Item], item_days: &[ItemDay]) -> Vec<ListingFigures> {
    let mut sums: BTreeMap<i64, (Option<i64>, Option<i64>)> = BTreeMap::new();
    let add = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    };
    for d in item_days {
        let e = sums.entry(d.item_id).or_default();
        *e = (add(e.0, d.views), add(e.1, d.contacts));
    }
    let mut rows: Vec<ListingFigures> = items
        .iter()
        .map(|item| {
            let (views, contacts) = sums.remove(&item.id).unwrap_or_default();
            ListingFigures {
                views,
                contacts,
                ..listing(item)
            }
        })
        .collect();
    rows.extend(
        sums.into_iter()
            .map(|(id, (views, contacts))| ListingFigures {
                views,
                contacts,
                ..unlisted(id)
            }),
    );
    sheet_order(&mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::model::{AnalyticsGroup, ItemStatus};

    fn item(id: i64, status: &str) -> Item {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "title": format!("Item {id}"),
            "status": status,
            "url": format!("https://www.avito.ru/{id}"),
        }))
        .expect("an item")
    }

    fn row(id: i64, views: i64, contacts: i64, spending: i64) -> ListingFigures {
        ListingFigures {
            item_id: id,
            status: Some(ItemStatus::Active),
            url: None,
            impressions: Some(views * 10),
            views: Some(views),
            contacts: Some(contacts),
            spending: Some(Kopecks(spending)),
            previous_views: None,
        }
    }

    #[test]
    fn a_drop_is_marked_from_the_previous_periods_own_bar() {
        let with_before = |id, now, before| ListingFigures {
            previous_views: Some(before),
            ..row(id, now, 1, 0)
        };
        // Previous views 10, 20, 200, 300: median 110, bar 220.
        let rows = vec![
            with_before(1, 5, 10),
            with_before(2, 5, 20),
            with_before(3, 100, 200),
            with_before(4, 150, 300),
        ];
        let t = Thresholds::of(&rows);
        assert_eq!(t.fell_from, Some(220));
        let fell: Vec<bool> = rows.iter().map(|r| marks(r, &t).fell).collect();
        assert_eq!(
            fell,
            [false, false, false, true],
            "only from the bar, at most half"
        );
        let none_before = Thresholds::of(&[row(5, 1, 0, 0)]);
        assert_eq!(none_before.fell_from, None);
    }

    #[test]
    fn ratios_need_both_figures_and_a_non_zero_divisor() {
        assert_eq!(ctr(Some(5), Some(200)), Some(0.025));
        assert_eq!(ctr(Some(5), Some(0)), None);
        assert_eq!(ctr(None, Some(10)), None);
        assert_eq!(conversion(Some(3), Some(60)), Some(0.05));
        assert_eq!(conversion(Some(0), Some(60)), Some(0.0));
        assert_eq!(conversion(Some(1), None), None);
        assert_eq!(
            cost_per_contact(Some(Kopecks(10_000)), Some(3)),
            Some(Kopecks(3_333))
        );
        assert_eq!(cost_per_contact(Some(Kopecks(10_000)), Some(0)), None);
        assert_eq!(cost_per_contact(None, Some(4)), None);
    }

    #[test]
    fn the_views_threshold_is_twice_the_median_and_at_least_the_reports_floor() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7, 1, 3]), Some(3.0));
        assert_eq!(median(vec![4, 1, 3, 10]), Some(3.5));
        assert_eq!(min_views(None), 50);
        assert_eq!(min_views(Some(4.0)), 50, "a quiet account: the floor");
        assert_eq!(min_views(Some(35.5)), 71);
        assert_eq!(min_views(Some(100.0)), 200);
    }

    #[test]
    fn listings_are_marked_for_each_group_they_are_in() {
        // Median views 40 → threshold 80; account: 4,000 ₽ over 40 contacts → 100 ₽, so 200 ₽
        // and more is costly.
        let mut blocked = row(5, 10, 1, 0);
        blocked.status = Some(ItemStatus::Rejected);
        let rows = vec![
            row(1, 40, 10, 50_000),
            row(2, 90, 0, 0),
            row(3, 79, 0, 0),
            row(4, 30, 29, 150_000),
            blocked,
            row(6, 40, 0, 200_000),
        ];
        let t = Thresholds::of(&rows);
        assert_eq!(t.median_views, Some(40.0));
        assert_eq!(t.min_views, 80);
        assert_eq!(t.account_cost, Some(Kopecks(10_000)));
        assert_eq!(t.costly_from, Some(Kopecks(20_000)));
        let m: Vec<Marks> = rows.iter().map(|r| marks(r, &t)).collect();
        assert!(m[1].no_contacts && !m[1].costly && !m[1].blocked);
        assert!(!m[2].any(), "79 views: under the threshold");
        assert!(!m[0].any() && !m[3].any());
        assert!(m[4].blocked && !m[4].no_contacts);
        assert!(
            !m[5].costly,
            "spending without a contact has no cost per contact"
        );
        let mut costly = row(7, 100, 2, 40_000);
        costly.status = Some(ItemStatus::Blocked);
        let m = marks(&costly, &t);
        assert!(m.costly && m.blocked && !m.no_contacts);
    }

    #[test]
    fn no_spending_marks_nothing_costly_and_unknown_figures_mark_nothing() {
        let rows = vec![row(1, 100, 1, 0), row(2, 100, 2, 0)];
        let t = Thresholds::of(&rows);
        assert_eq!(t.costly_from, None);
        assert!(!marks(&rows[0], &t).costly);
        let unknown = ListingFigures {
            views: Some(1_000),
            contacts: None,
            ..row(3, 0, 0, 0)
        };
        assert!(!marks(&unknown, &t).no_contacts, "contacts not known");
    }

    #[test]
    fn rows_follow_spending_then_views_and_the_chart_takes_the_spenders() {
        let items = vec![item(1, "active"), item(2, "blocked"), item(3, "active")];
        let group = |id: i64, m: &[(&str, f64)]| AnalyticsGroup {
            id,
            kind: "item".into(),
            metrics: m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        };
        let analytics = Analytics {
            groups: vec![
                group(
                    1,
                    &[("views", 5.0), ("contacts", 1.0), ("allSpending", 100.0)],
                ),
                group(
                    3,
                    &[
                        ("impressions", 900.0),
                        ("views", 50.0),
                        ("contacts", 0.0),
                        ("allSpending", 250.0),
                    ],
                ),
                group(9, &[("views", 70.0), ("contacts", -1.0)]),
            ],
            timestamp: None,
        };
        let rows = from_analytics(&items, &analytics, &HashMap::new());
        let ids: Vec<i64> = rows.iter().map(|r| r.item_id).collect();
        assert_eq!(ids, [3, 1, 9, 2], "spending, then views");
        assert_eq!(rows[0].impressions, Some(900));
        assert_eq!(rows[0].spending, Some(Kopecks(250)));
        assert_eq!(rows[1].impressions, None, "not given: unknown");
        assert_eq!(rows[2].status, None, "counted, not listed");
        assert_eq!(rows[2].contacts, None, "an implausible count");
        assert_eq!(rows[3].status, Some(ItemStatus::Blocked));
        assert_eq!(rows[3].views, None, "no figures for it");
        assert_eq!(rows[3].url.as_deref(), Some("https://www.avito.ru/2"));
        assert_eq!(top_by_spending(&rows), 2);
    }

    #[test]
    fn without_the_analytics_views_and_contacts_are_the_days_summed() {
        let day = |id: i64, d: u32, views: Option<i64>, contacts: Option<i64>| ItemDay {
            item_id: id,
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("date"),
            views,
            contacts,
            favorites: None,
        };
        let items = vec![item(1, "active"), item(2, "old")];
        let days = vec![
            day(1, 1, Some(3), Some(0)),
            day(1, 2, Some(4), None),
            day(2, 1, None, None),
            day(8, 1, Some(9), Some(1)),
        ];
        let rows = from_item_days(&items, &days);
        let got: Vec<(i64, Option<i64>, Option<i64>)> = rows
            .iter()
            .map(|r| (r.item_id, r.views, r.contacts))
            .collect();
        assert_eq!(
            got,
            [
                (8, Some(9), Some(1)),
                (1, Some(7), Some(0)),
                (2, None, None)
            ]
        );
        assert!(
            rows.iter()
                .all(|r| r.spending.is_none() && r.impressions.is_none())
        );
        assert_eq!(top_by_spending(&rows), 0);
    }
}
