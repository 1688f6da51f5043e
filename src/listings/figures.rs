//! One listing's figures of a period, read from a stats v2 group of `grouping: item`.

use crate::avito::model::AnalyticsGroup;

/// The stats v2 slugs the ranking reads.
pub const METRICS: [&str; 3] = ["views", "contacts", "averageContactCost"];

/// Counts beyond this are not believed (the client's plausibility bound for counts).
const MAX_COUNT: f64 = 1e12;

/// A listing's views, contacts and price of a contact over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub id: i64,
    pub views: u64,
    pub contacts: u64,
    /// Kopecks per contact, as Avito computes it; `None` when Avito left it out.
    pub cost_per_contact: Option<f64>,
}

impl Figures {
    /// The figures of `group`; `None` when its views are missing or cannot be true (such a
    /// listing cannot be ranked, and is left out rather than taken as 0).
    pub fn of(group: &AnalyticsGroup) -> Option<Figures> {
        let count = |slug: &str| {
            group
                .metric(slug)
                .filter(|v| v.is_finite() && (0.0..MAX_COUNT).contains(v))
                .map(|v| v.round() as u64)
        };
        let cost = group
            .metric("averageContactCost")
            .filter(|v| v.is_finite() && (0.0..MAX_COUNT).contains(v));
        Some(Figures {
            id: group.id,
            views: count("views")?,
            contacts: count("contacts").unwrap_or(0),
            cost_per_contact: cost,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn group(metrics: &[(&str, f64)]) -> AnalyticsGroup {
        AnalyticsGroup {
            id: 7,
            kind: "item".into(),
            metrics: metrics
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn figures_are_read_and_unbelievable_ones_left_out() {
        let f = Figures::of(&group(&[
            ("views", 120.0),
            ("contacts", 3.0),
            ("averageContactCost", 4500.5),
        ]))
        .expect("figures");
        assert_eq!((f.id, f.views, f.contacts), (7, 120, 3));
        assert_eq!(f.cost_per_contact, Some(4500.5));
        assert_eq!(Figures::of(&group(&[("contacts", 3.0)])), None);
        assert_eq!(Figures::of(&group(&[("views", -1.0)])), None);
        let no_cost = Figures::of(&group(&[("views", 5.0), ("averageContactCost", f64::NAN)]));
        assert_eq!(no_cost.map(|f| f.cost_per_contact), Some(None));
    }
}
