//! How many rate windows ahead of a slot its "Listings to look at" are asked for (pure). Each
//! item-grouped statistics page is one request of a once-a-window operation, so an account's
//! pages take about that many windows; the count its last fetch took is recorded
//! (`avito_profiles.listing_pages`), and an account not fetched yet gets the default.

/// The lead of an account whose page count is not known yet, and the least of any: a small
/// account's two requests paced a window apart, with a window to spare.
pub const DEFAULT_WINDOWS: u32 = 3;

/// The most windows a slot is warmed ahead: two hours against Avito (about 49,000 listings a
/// period). Warmed answers are kept until the slot, in memory on SQLite, so a longer lead
/// would hold a huge account's pages for hours; past it the section says why it is absent.
pub const MAX_WINDOWS: u32 = 120;

/// Windows ahead of a slot for an account whose listings took `pages` requests last time
/// (`None`: not known yet), or `None` when even the longest lead cannot cover them. The
/// margin, a fifth more and two windows, is for the account's other requests of the same
/// operation in between (a report's own, an export's) and for the shared budget's spacing of
/// a window and a tenth between calls on PostgreSQL.
pub fn windows(pages: Option<u32>) -> Option<u32> {
    let Some(pages) = pages else {
        return Some(DEFAULT_WINDOWS);
    };
    let lead = pages
        .saturating_add(pages.div_ceil(5))
        .saturating_add(2)
        .max(DEFAULT_WINDOWS);
    (lead <= MAX_WINDOWS).then_some(lead)
}

/// Whether the account's listings, `pages` requests last time, are beyond any lead: its
/// scheduled reports do not ask for them and say why.
pub fn beyond(pages: Option<u32>) -> bool {
    windows(pages).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_account_gets_the_default_and_a_small_one_at_least_that() {
        assert_eq!(windows(None), Some(3));
        assert_eq!(windows(Some(0)), Some(3));
        assert_eq!(windows(Some(1)), Some(4));
        assert_eq!(windows(Some(2)), Some(5));
    }

    #[test]
    fn the_lead_grows_with_the_pages_and_a_margin() {
        // 3,500 listings: 4 pages a period.
        assert_eq!(windows(Some(8)), Some(12));
        // 20,000 listings: 20 pages a period.
        assert_eq!(windows(Some(40)), Some(50));
        for pages in 0..=100 {
            if let Some(lead) = windows(Some(pages)) {
                assert!(
                    lead >= pages + 2 && lead >= DEFAULT_WINDOWS,
                    "{pages}: {lead}"
                );
            }
        }
    }

    #[test]
    fn past_the_longest_lead_an_account_is_beyond_warming() {
        assert_eq!(windows(Some(98)), Some(120));
        assert_eq!(windows(Some(99)), None);
        assert_eq!(windows(Some(u32::MAX)), None);
        assert!(beyond(Some(1000)));
        assert!(!beyond(None) && !beyond(Some(40)));
    }
}
