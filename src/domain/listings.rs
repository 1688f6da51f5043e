//! Where the "📋 Listings" screen is: the order its listings are in and the page shown. A
//! button carries it, so it is written compactly (`v0`, `c12`, `k3`).

/// The order of the listings screen, by one of Avito's per-listing statistics, descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingSort {
    Views,
    Contacts,
    /// Avito's `averageContactCost`.
    CostPerContact,
}

impl ListingSort {
    pub const ALL: [ListingSort; 3] = [
        ListingSort::Views,
        ListingSort::Contacts,
        ListingSort::CostPerContact,
    ];

    /// The letter in callback data.
    pub fn letter(self) -> char {
        match self {
            ListingSort::Views => 'v',
            ListingSort::Contacts => 'c',
            ListingSort::CostPerContact => 'k',
        }
    }

    pub fn from_letter(letter: char) -> Option<ListingSort> {
        ListingSort::ALL.into_iter().find(|s| s.letter() == letter)
    }

    /// The stats v2 metric it sorts by.
    pub fn metric(self) -> &'static str {
        match self {
            ListingSort::Views => "views",
            ListingSort::Contacts => "contacts",
            ListingSort::CostPerContact => "averageContactCost",
        }
    }
}

/// A page of the listings screen (0 is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListingsPage {
    pub sort: ListingSort,
    pub page: u16,
}

impl ListingsPage {
    /// The screen as the card's button opens it.
    pub const FIRST: ListingsPage = ListingsPage {
        sort: ListingSort::Views,
        page: 0,
    };

    /// `v0`, `c12`, `k3`: the sort's letter, then the page.
    pub fn text(self) -> String {
        format!("{}{}", self.sort.letter(), self.page)
    }

    pub fn read(text: &str) -> Option<ListingsPage> {
        let mut chars = text.chars();
        let sort = ListingSort::from_letter(chars.next()?)?;
        let digits = chars.as_str();
        // Digits only: `u16::from_str` would take a leading '+'.
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(ListingsPage {
            sort,
            page: digits.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_written_compactly_and_read_back() {
        for sort in ListingSort::ALL {
            for page in [0, 12, u16::MAX] {
                let p = ListingsPage { sort, page };
                assert_eq!(ListingsPage::read(&p.text()), Some(p));
            }
        }
        assert_eq!(ListingsPage::FIRST.text(), "v0");
        for bad in ["", "v", "x1", "v+1", "v-1", "v65536", "c1a"] {
            assert_eq!(ListingsPage::read(bad), None, "{bad}");
        }
    }
}
