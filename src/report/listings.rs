//! "Listings to look at": whether a report has the section, and the section from the ranked
//! groups (pure). The groups come from `crate::listings`; names come from what the report
//! fetched anyway (its top items' listing, the blocked and rejected listings), so naming costs
//! no request: a listing named by neither is shown by its number, linked.

use std::collections::HashMap;

use super::fetch::TopItemsData;
use super::metrics::{Metric, MetricSet};
use super::model::{Failure, ListingFigure, ListingGroups, ListingLine, ListingsSection};
use super::period::Period;
use crate::avito::money::Kopecks;
use crate::avito::{AvitoError, AvitoResult};
use crate::listings::Groups;

/// The shortest period the section covers. A day's views per listing are too few to tell a
/// listing in trouble from chance, and the two requests it takes a day are not worth it.
pub const MIN_DAYS: i64 = 7;

/// Whether a report of `period` showing `metrics` has the section.
pub fn wanted(metrics: &MetricSet, period: Period) -> bool {
    metrics.contains(Metric::Listings) && period.days() >= MIN_DAYS
}

/// The section from what the fetch of the groups came to; `top` names listings. `beyond`:
/// the pages the account took last time, when too many to ask ahead of a slot.
pub fn section(
    groups: &AvitoResult<Groups>,
    top: Option<&TopItemsData>,
    beyond: Option<u32>,
) -> ListingsSection {
    let groups = match (groups, beyond) {
        (Ok(groups), _) => groups,
        (Err(AvitoError::NotCached { .. }), Some(pages)) => {
            return ListingsSection::Beyond { pages };
        }
        (
            Err(
                AvitoError::NotCached { .. }
                | AvitoError::Unavailable { .. }
                | AvitoError::RateLimited { .. },
            ),
            _,
        ) => return ListingsSection::Later,
        (Err(e), _) => return ListingsSection::Failed { error: e.into() },
    };
    let names: HashMap<i64, (Option<&str>, Option<&str>)> = top
        .into_iter()
        .flat_map(|t| t.items.iter())
        .map(|(item, _, _)| (item.id, (item.title.as_deref(), item.url.as_deref())))
        .collect();
    let line = |id: i64, figure: ListingFigure| {
        let (title, url) = names.get(&id).copied().unwrap_or((None, None));
        ListingLine {
            id,
            title: title.map(str::to_owned),
            url: crate::listings::link::page(id, url),
            figure,
        }
    };
    ListingsSection::Ready(Box::new(ListingGroups {
        many_views: groups.many_views,
        median_views: groups.median_views,
        account_cost: groups.account_cost.map(Kopecks::from_api),
        silent: groups
            .silent
            .iter()
            .map(|s| line(s.id, ListingFigure::Views { views: s.views }))
            .collect(),
        costly: groups
            .costly
            .iter()
            .map(|c| {
                let cost = Kopecks::from_api(c.cost);
                line(c.id, ListingFigure::Cost { cost })
            })
            .collect(),
        fallen: groups
            .fallen
            .iter()
            .map(|f| {
                let figure = ListingFigure::Fell {
                    before: f.before,
                    now: f.now,
                };
                line(f.id, figure)
            })
            .collect(),
        flagged: groups
            .flagged
            .iter()
            .map(|f| ListingLine {
                id: f.id,
                title: f.title.clone(),
                url: crate::listings::link::page(f.id, f.url.as_deref()),
                figure: if f.rejected {
                    ListingFigure::Rejected
                } else {
                    ListingFigure::Blocked
                },
            })
            .collect(),
        flagged_total: groups.flagged_total,
    }))
}

/// Why a section is absent in a way a reader should hear about.
pub fn failure(section: &ListingsSection) -> Option<&Failure> {
    match section {
        ListingsSection::Failed { error } => Some(error),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::Operation;
    use crate::avito::model::Item;
    use crate::listings::{Flagged, Silent};
    use chrono::NaiveDate;

    fn groups() -> Groups {
        Groups {
            listings: 3,
            many_views: 50,
            median_views: 10,
            account_cost: Some(1234.4),
            silent: vec![Silent { id: 1, views: 90 }, Silent { id: 2, views: 60 }],
            costly: Vec::new(),
            fallen: Vec::new(),
            flagged: vec![Flagged {
                id: 3,
                title: Some("Диван".into()),
                url: None,
                rejected: true,
            }],
            flagged_total: 1,
        }
    }

    #[test]
    fn a_week_or_more_with_the_section_selected() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).expect("date");
        let all = MetricSet::all();
        assert!(wanted(&all, Period::new(d(1), d(7))));
        assert!(!wanted(&all, Period::new(d(1), d(6))));
        let mut without = MetricSet::all();
        without.toggle(Metric::Listings);
        assert!(!wanted(&without, Period::new(d(1), d(30))));
    }

    #[test]
    fn listings_are_named_from_the_top_items_and_linked() {
        let item = serde_json::from_value::<Item>(serde_json::json!({
            "id": 1, "title": "Шкаф", "url": "https://www.avito.ru/moskva/mebel/shkaf_1",
            "status": "active"}))
        .expect("item");
        let top = TopItemsData {
            items: vec![(item, 90, 0)],
            scanned: 1,
            total_active: 1,
        };
        let ListingsSection::Ready(section) = section(&Ok(groups()), Some(&top), None) else {
            panic!("ready");
        };
        assert_eq!(section.silent[0].title.as_deref(), Some("Шкаф"));
        assert_eq!(
            section.silent[0].url,
            "https://www.avito.ru/moskva/mebel/shkaf_1"
        );
        assert_eq!(section.silent[1].title, None);
        assert_eq!(section.silent[1].url, "https://www.avito.ru/2");
        assert_eq!(section.flagged[0].figure, ListingFigure::Rejected);
        assert_eq!(section.account_cost, Some(Kopecks(1234)));
        assert!(section.costly.is_empty() && !section.is_empty());
    }

    #[test]
    fn no_recent_answer_means_the_next_report_and_a_refusal_is_said() {
        let later = AvitoError::NotCached {
            operation: Operation::ItemAnalytics,
        };
        assert_eq!(
            section(&Err(later.clone()), None, None),
            ListingsSection::Later
        );
        assert_eq!(
            section(&Err(later), None, Some(130)),
            ListingsSection::Beyond { pages: 130 },
            "not the next report either"
        );
        let refused = AvitoError::Rejected {
            operation: Operation::ItemAnalytics,
            status: 400,
            message: "bad".into(),
        };
        assert!(failure(&section(&Err(refused), None, None)).is_some());
    }
}
