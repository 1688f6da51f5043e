//! Which listings to look at, from the per-listing figures of a period and of the period of
//! equal length before it, plus the blocked and rejected ones. Pure: the figures come in one
//! listing at a time (a page of the grouped request after another) and only what the groups
//! need is kept.
//!
//! Memory, for 20,000 listings: the previous period as a sorted `Vec<(i64, u32)>` of ids and
//! views (16 bytes each, ≈320 KB), the current period's views as a `Vec<u32>` for an exact
//! median (≈80 KB; exact and smaller than what a streaming estimate needs to be trusted), and
//! three heaps of five. Thresholds that need the whole period (the median, the account's price
//! of a contact) are applied when it ends: each only ever removes entries from the bottom of
//! its heap's order, so the top five that pass are the true top five.

use super::figures::Figures;
use super::top::Top;

/// Listings shown per group.
pub const PER_GROUP: usize = 5;
/// "Many views": at least this many, whatever the median. With a typical conversion of 5 %,
/// a listing with 50 views brings no contact by chance 8 % of the time (0.95⁵⁰); below that,
/// no contact says little about the listing.
pub const MIN_VIEWS: u64 = 50;
/// "Many views": at least twice the account's median listing. The account's own scale: 50
/// views is a lot for a seller of furniture and nothing for a car dealer.
pub const MEDIAN_TIMES: u64 = 2;
/// Contacts at least this many times the account's price.
pub const COSTLY_TIMES: f64 = 2.0;
/// A drop: views at most this share (percent) of the previous period's.
pub const FALLEN_TO_PERCENT: u64 = 50;

/// The "many views" bar for a period whose median listing had `median` views.
pub fn many_views(median: u64) -> u64 {
    (median * MEDIAN_TIMES).max(MIN_VIEWS)
}

/// The median of `views` (the lower middle one of an even count); 0 for none.
fn median(views: &mut [u32]) -> u64 {
    if views.is_empty() {
        return 0;
    }
    let middle = (views.len() - 1) / 2;
    let (_, m, _) = views.select_nth_unstable(middle);
    u64::from(*m)
}

fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The previous period's views per listing, gathered page by page.
#[derive(Debug, Default)]
pub struct Previous {
    views: Vec<(i64, u32)>,
}

impl Previous {
    pub fn add(&mut self, f: &Figures) {
        self.views.push((f.id, small(f.views)));
    }

    /// Sorted for lookups, with the period's "many views" bar.
    pub fn finish(mut self) -> PreviousViews {
        self.views.sort_unstable();
        self.views.dedup_by_key(|(id, _)| *id);
        let mut views: Vec<u32> = self.views.iter().map(|(_, v)| *v).collect();
        let bar = many_views(median(&mut views));
        PreviousViews {
            views: self.views,
            bar,
        }
    }
}

/// See [`Previous::finish`].
#[derive(Debug, Default)]
pub struct PreviousViews {
    views: Vec<(i64, u32)>,
    bar: u64,
}

impl PreviousViews {
    fn of(&self, id: i64) -> Option<u64> {
        self.views
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|at| u64::from(self.views[at].1))
    }
}

/// Many views and no contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Silent {
    pub id: i64,
    pub views: u64,
}

/// Contacts at [`COSTLY_TIMES`] the account's price or more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costly {
    pub id: i64,
    /// Kopecks per contact.
    pub cost: f64,
    pub contacts: u64,
}

/// Views fallen to [`FALLEN_TO_PERCENT`] % of the previous period's or less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallen {
    pub id: i64,
    pub before: u64,
    pub now: u64,
}

/// A listing Avito blocked or rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    pub id: i64,
    pub title: Option<String>,
    pub url: Option<String>,
    pub rejected: bool,
}

/// The groups; an empty group has nothing to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// Listings ranked (with views in the period).
    pub listings: usize,
    /// The "many views" bar of the period and the median it came from.
    pub many_views: u64,
    pub median_views: u64,
    /// Kopecks per contact over every listing with contacts; `None` without any paid contact.
    pub account_cost: Option<f64>,
    pub silent: Vec<Silent>,
    pub costly: Vec<Costly>,
    pub fallen: Vec<Fallen>,
    pub flagged: Vec<Flagged>,
    /// All blocked and rejected listings (more than [`PER_GROUP`] are not listed).
    pub flagged_total: usize,
}

impl Groups {
    pub fn is_empty(&self) -> bool {
        self.silent.is_empty()
            && self.costly.is_empty()
            && self.fallen.is_empty()
            && self.flagged.is_empty()
    }
}

/// The current period's pass.
#[derive(Debug)]
pub struct Ranker {
    previous: PreviousViews,
    views: Vec<u32>,
    paid: f64,
    contacts: u64,
    silent: Top<Silent>,
    costly: Top<Costly>,
    fallen: Top<Fallen>,
}

impl Ranker {
    pub fn new(previous: PreviousViews) -> Self {
        Self {
            previous,
            views: Vec::new(),
            paid: 0.0,
            contacts: 0,
            silent: Top::new(PER_GROUP),
            costly: Top::new(PER_GROUP),
            fallen: Top::new(PER_GROUP),
        }
    }

    pub fn add(&mut self, f: &Figures) {
        self.views.push(small(f.views));
        if f.contacts == 0 {
            self.silent.offer(
                f.views,
                f.id,
                Silent {
                    id: f.id,
                    views: f.views,
                },
            );
        } else if let Some(cost) = f.cost_per_contact {
            self.paid += cost * f.contacts as f64;
            self.contacts += f.contacts;
            // Hundredths of a kopeck: the heap ranks whole numbers.
            let key = (cost * 100.0).round() as u64;
            self.costly.offer(
                key,
                f.id,
                Costly {
                    id: f.id,
                    cost,
                    contacts: f.contacts,
                },
            );
        }
        // A listing absent from this period ended: its views did not fall, it was taken off.
        if let Some(before) = self.previous.of(f.id)
            && before >= self.previous.bar
            && f.views * 100 <= before * FALLEN_TO_PERCENT
        {
            self.fallen.offer(
                before - f.views,
                f.id,
                Fallen {
                    id: f.id,
                    before,
                    now: f.views,
                },
            );
        }
    }

    /// The groups, with `flagged` (blocked and rejected listings) as listed by Avito.
    pub fn finish(mut self, flagged: Vec<Flagged>) -> Groups {
        let median_views = median(&mut self.views);
        let bar = many_views(median_views);
        let account_cost =
            (self.contacts > 0 && self.paid > 0.0).then(|| self.paid / self.contacts as f64);
        let silent = self
            .silent
            .into_sorted()
            .into_iter()
            .filter(|s| s.views >= bar)
            .collect();
        let costly = match account_cost {
            Some(account) => self
                .costly
                .into_sorted()
                .into_iter()
                .filter(|c| c.cost >= COSTLY_TIMES * account)
                .collect(),
            None => Vec::new(),
        };
        let flagged_total = flagged.len();
        Groups {
            listings: self.views.len(),
            many_views: bar,
            median_views,
            account_cost,
            silent,
            costly,
            fallen: self.fallen.into_sorted(),
            flagged: flagged.into_iter().take(PER_GROUP).collect(),
            flagged_total,
        }
    }
}

/// The groups of a period given whole (tests, small accounts): `current` and `previous` are
/// the periods' figures.
pub fn rank(current: &[Figures], previous: &[Figures], flagged: Vec<Flagged>) -> Groups {
    let mut before = Previous::default();
    previous.iter().for_each(|f| before.add(f));
    let mut ranker = Ranker::new(before.finish());
    current.iter().for_each(|f| ranker.add(f));
    ranker.finish(flagged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: i64, views: u64, contacts: u64, cost: Option<f64>) -> Figures {
        Figures {
            id,
            views,
            contacts,
            cost_per_contact: cost,
        }
    }

    /// Ten ordinary listings: 40 views, 4 contacts at 100 ₽.
    fn ordinary() -> Vec<Figures> {
        (1..=10).map(|id| f(id, 40, 4, Some(10_000.0))).collect()
    }

    #[test]
    fn an_ordinary_account_has_nothing_to_look_at() {
        let groups = rank(&ordinary(), &ordinary(), Vec::new());
        assert!(groups.is_empty(), "{groups:?}");
        assert_eq!((groups.listings, groups.median_views), (10, 40));
        assert_eq!(groups.many_views, 80, "twice the median");
        assert_eq!(groups.account_cost, Some(10_000.0));
    }

    #[test]
    fn many_views_and_no_contact_is_measured_against_the_accounts_median() {
        let mut now = ordinary();
        now.extend([f(20, 80, 0, None), f(21, 79, 0, None), f(22, 300, 0, None)]);
        let groups = rank(&now, &[], Vec::new());
        assert_eq!(
            groups.silent,
            vec![Silent { id: 22, views: 300 }, Silent { id: 20, views: 80 }]
        );
        // A small account: the floor holds, not twice a median of 3.
        let small: Vec<Figures> = (1..=9)
            .map(|id| f(id, 3, 1, None))
            .chain([f(30, 49, 0, None), f(31, 50, 0, None)])
            .collect();
        let groups = rank(&small, &[], Vec::new());
        assert_eq!(groups.many_views, MIN_VIEWS);
        assert_eq!(groups.silent, vec![Silent { id: 31, views: 50 }]);
    }

    #[test]
    fn costly_contacts_are_twice_the_accounts_price_or_more() {
        let mut now = ordinary();
        now.extend([f(20, 40, 2, Some(40_000.0)), f(21, 40, 4, Some(19_000.0))]);
        let groups = rank(&now, &[], Vec::new());
        // 10 × 4 × 100 ₽ + 2 × 400 ₽ + 4 × 190 ₽ over 46 contacts ≈ 120.9 ₽: 190 ₽ is not twice.
        let account = groups.account_cost.expect("account cost");
        assert!((account - 556_000.0 / 46.0).abs() < 1e-6, "{account}");
        assert_eq!(
            groups.costly,
            vec![Costly {
                id: 20,
                cost: 40_000.0,
                contacts: 2
            }]
        );
        let free: Vec<Figures> = (1..=5).map(|id| f(id, 40, 4, Some(0.0))).collect();
        assert!(
            rank(&free, &[], Vec::new()).costly.is_empty(),
            "no paid contact"
        );
    }

    #[test]
    fn the_biggest_drops_are_against_the_previous_period_and_ended_listings_are_not_drops() {
        let mut before = ordinary();
        before.extend([
            f(20, 400, 10, None),
            f(21, 200, 10, None),
            f(22, 200, 10, None),
            f(23, 60, 3, None),
        ]);
        let mut now = ordinary();
        now.extend([f(20, 100, 2, None), f(21, 101, 2, None), f(23, 0, 0, None)]);
        let groups = rank(&now, &before, Vec::new());
        // 22 ended; 21 kept more than half; 23 had fewer views than the bar (80).
        assert_eq!(
            groups.fallen,
            vec![Fallen {
                id: 20,
                before: 400,
                now: 100
            }]
        );
    }

    #[test]
    fn at_most_five_per_group_largest_first_and_every_flagged_counted() {
        let now: Vec<Figures> = (1..=30)
            .map(|id| f(id, if id > 20 { 1_000 + id as u64 } else { 10 }, 0, None))
            .collect();
        let flagged: Vec<Flagged> = (1..=7)
            .map(|id| Flagged {
                id,
                title: None,
                url: None,
                rejected: id % 2 == 0,
            })
            .collect();
        let groups = rank(&now, &[], flagged);
        let ids: Vec<i64> = groups.silent.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![30, 29, 28, 27, 26]);
        assert_eq!((groups.flagged.len(), groups.flagged_total), (5, 7));
    }

    #[test]
    fn twenty_thousand_listings_keep_five_per_group() {
        let before: Vec<Figures> = (0..20_000)
            .map(|id| {
                let views = if id % 1000 == 3 {
                    1_000
                } else {
                    100 + id as u64 % 7
                };
                f(id, views, 5, Some(5_000.0))
            })
            .collect();
        let now: Vec<Figures> = (0..20_000)
            .map(|id| match id % 1000 {
                1 => f(id, 500, 0, None),
                2 => f(id, 100, 1, Some(50_000.0 + id as f64)),
                3 => f(id, 10, 1, Some(5_000.0)),
                _ => f(id, 100, 5, Some(5_000.0)),
            })
            .collect();
        let groups = rank(&now, &before, Vec::new());
        assert_eq!(groups.silent.len(), PER_GROUP);
        assert_eq!(groups.costly.first().map(|c| c.id), Some(19_002));
        assert_eq!(groups.fallen.len(), PER_GROUP);
        assert_eq!(groups.listings, 20_000);
    }
}
