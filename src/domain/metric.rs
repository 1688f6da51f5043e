//! The metrics a user chooses from, each knowing its source operation and unit.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// A metric of a report. The `slug` is stable: it is stored in `report_tasks.metrics` and sent
/// in callback data (`report_toggle:{id}:{slug}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Views,
    Contacts,
    Favorites,
    Conversion,
    Calls,
    Spending,
    CostPerContact,
    WalletBalance,
    CpaBalance,
    ActiveItems,
    /// The seller's rating on Avito: the current score, its change since the period began
    /// (from the worker's daily snapshots) and the period's new reviews.
    Rating,
    /// "Listings to look at": a section under the lines, not a line (issue 27).
    Listings,
}

/// What a metric's number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    Count,
    /// A share, shown as a percentage.
    Percent,
    /// Kopecks, shown as roubles.
    Money,
    /// A score of one to five stars; compared in absolute tenths, not percent.
    Stars,
}

impl Metric {
    /// In the order a report shows them.
    pub const ALL: [Metric; 12] = [
        Metric::Views,
        Metric::Contacts,
        Metric::Favorites,
        Metric::Conversion,
        Metric::Calls,
        Metric::Spending,
        Metric::CostPerContact,
        Metric::WalletBalance,
        Metric::CpaBalance,
        Metric::ActiveItems,
        Metric::Rating,
        Metric::Listings,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Metric::Views => "views",
            Metric::Contacts => "contacts",
            Metric::Favorites => "favorites",
            Metric::Conversion => "conversion",
            Metric::Calls => "calls",
            Metric::Spending => "spending",
            Metric::CostPerContact => "cost_per_contact",
            Metric::WalletBalance => "balance",
            Metric::CpaBalance => "cpa_balance",
            Metric::ActiveItems => "active_items",
            Metric::Rating => "rating",
            Metric::Listings => "listings",
        }
    }

    /// Parses a slug; also accepts the names the Python bot stored.
    pub fn from_slug(slug: &str) -> Option<Metric> {
        let slug = slug.trim().to_ascii_lowercase();
        Metric::ALL
            .into_iter()
            .find(|m| m.slug() == slug)
            .or(match slug.as_str() {
                "expenses" | "spendings" => Some(Metric::Spending),
                "wallet" | "wallet_balance" => Some(Metric::WalletBalance),
                "items" => Some(Metric::ActiveItems),
                _ => None,
            })
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::Conversion => Unit::Percent,
            Metric::Spending
            | Metric::CostPerContact
            | Metric::WalletBalance
            | Metric::CpaBalance => Unit::Money,
            Metric::Rating => Unit::Stars,
            _ => Unit::Count,
        }
    }

    /// Whether the metric is a state at a moment (balances) rather than a sum over the period:
    /// such metrics have no previous-period comparison (the rating's change since the period
    /// began comes from the worker's snapshots, not from a previous period).
    pub fn is_snapshot(self) -> bool {
        matches!(
            self,
            Metric::WalletBalance | Metric::CpaBalance | Metric::Rating
        )
    }

    /// Whether the metric is a section of its own under the report's lines (no line, no
    /// total).
    pub fn is_section(self) -> bool {
        self == Metric::Listings
    }

    /// Whether per-profile values add up to a meaningful total in a combined report. Scores
    /// do not: a combined report's rating is the profiles' average weighted by the reviews
    /// that make each score.
    pub fn is_summable(self) -> bool {
        !matches!(
            self,
            Metric::Conversion | Metric::CostPerContact | Metric::Rating
        )
    }
}

/// The metrics selected for a task; all by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricSet(BTreeSet<Metric>);

impl Default for MetricSet {
    fn default() -> Self {
        Self::all()
    }
}

impl MetricSet {
    pub fn all() -> Self {
        Self(Metric::ALL.into_iter().collect())
    }

    pub fn none() -> Self {
        Self(BTreeSet::new())
    }

    pub fn contains(&self, m: Metric) -> bool {
        self.0.contains(&m)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The selected metrics shown as lines (sections left out), in report order.
    pub fn lines(&self) -> impl Iterator<Item = Metric> + '_ {
        self.iter().filter(|m| !m.is_section())
    }

    pub fn toggle(&mut self, m: Metric) {
        if !self.0.remove(&m) {
            self.0.insert(m);
        }
    }

    /// In report order.
    pub fn iter(&self) -> impl Iterator<Item = Metric> + '_ {
        Metric::ALL.into_iter().filter(|m| self.0.contains(m))
    }

    /// Stored form: a JSON array of slugs.
    pub fn to_json(&self) -> String {
        let slugs: Vec<&str> = self.iter().map(Metric::slug).collect();
        serde_json::to_string(&slugs).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Parses a comma-separated list of slugs (the CLI's `--metrics`).
    pub fn parse_list(list: &str) -> Result<Self, String> {
        let mut set = Self::none();
        for slug in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let metric = Metric::from_slug(slug).ok_or_else(|| {
                let known: Vec<&str> = Metric::ALL.iter().map(|m| m.slug()).collect();
                format!("unknown metric '{slug}'; known: {}", known.join(", "))
            })?;
            set.0.insert(metric);
        }
        if set.is_empty() {
            return Err("no metrics given".to_owned());
        }
        Ok(set)
    }
}

impl FromIterator<Metric> for MetricSet {
    fn from_iter<I: IntoIterator<Item = Metric>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_fit_in_callback_data() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_slug(m.slug()), Some(m));
            // `report_toggle:{i64}:{slug}` must stay within Telegram's 64 bytes.
            assert!(format!("report_toggle:{}:{}", i64::MAX, m.slug()).len() <= 64);
        }
    }

    #[test]
    fn metric_sets_are_stored_as_json_and_unknown_slugs_are_refused() {
        let mut set = MetricSet::all();
        set.toggle(Metric::Calls);
        assert!(!set.contains(Metric::Calls));
        let back: MetricSet = set.to_json().parse().expect("round trip");
        assert_eq!(back, set);
        assert!(r#"["views","bogus"]"#.parse::<MetricSet>().is_err());
        assert!("garbage".parse::<MetricSet>().is_err());
    }

    #[test]
    fn metric_lists_are_parsed_with_clear_errors() {
        let set = MetricSet::parse_list("views, calls").expect("valid");
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![Metric::Views, Metric::Calls]
        );
        let err = MetricSet::parse_list("views,clicks").expect_err("unknown");
        assert!(err.contains("unknown metric 'clicks'"));
        assert!(MetricSet::parse_list(" , ").is_err());
    }
}
