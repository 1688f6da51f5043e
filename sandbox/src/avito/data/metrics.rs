//! stats v2 (`itemAnalytics`) metric slugs and how each is computed from summed statistics.

use super::stats::DayStats;

/// Every slug the operation description documents.
pub const DOCUMENTED_METRICS: &[&str] = &[
    "views",
    "contacts",
    "contactsShowPhone",
    "contactsMessenger",
    "contactsShowPhoneAndMessenger",
    "contactsSbcDiscount",
    "viewsToContactsConversion",
    "favorites",
    "averageViewCost",
    "averageContactCost",
    "impressions",
    "impressionsToViewsConversion",
    "clickPackages",
    "jobContacts",
    "viewsToOrderedItemsConversion",
    "orderedItems",
    "orderedItemsPrice",
    "deliveredItems",
    "deliveredItemsPrice",
    "bookingPlacedCount",
    "bookingPlacedPrice",
    "bookingApprovedCount",
    "bookingApprovedPrice",
    "bookingAcceptedCount",
    "bookingAcceptedPrice",
    "allSpending",
    "spending",
    "presenceSpending",
    "promoSpending",
    "restSpending",
    "commission",
    "spendingBonus",
    "activeItems",
    "newActiveItems",
    "oldActiveItems",
];

/// Slugs the emulated seller has access to. The rest of [`DOCUMENTED_METRICS`] (delivery,
/// booking, paid target actions) are "unavailable to the user" and left out of responses.
pub const SUPPORTED_METRICS: &[&str] = &[
    "views",
    "contacts",
    "contactsShowPhone",
    "contactsMessenger",
    "contactsShowPhoneAndMessenger",
    "contactsSbcDiscount",
    "viewsToContactsConversion",
    "favorites",
    "averageViewCost",
    "averageContactCost",
    "impressions",
    "impressionsToViewsConversion",
    "allSpending",
    "spending",
    "presenceSpending",
    "promoSpending",
    "restSpending",
    "commission",
    "spendingBonus",
    "activeItems",
    "newActiveItems",
    "oldActiveItems",
];

/// What one stats v2 grouping is computed from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub stats: DayStats,
    /// Items published on at least one day of the period.
    pub active_items: u64,
    /// Of those, items first published within the period.
    pub new_active_items: u64,
}

/// Whether a metric over a period equals the sum of its daily values. Ratios and item counts
/// are not additive.
pub fn additive_metric(slug: &str) -> bool {
    !matches!(
        slug,
        "viewsToContactsConversion"
            | "impressionsToViewsConversion"
            | "averageViewCost"
            | "averageContactCost"
            | "activeItems"
            | "newActiveItems"
            | "oldActiveItems"
    )
}

fn ratio(num: u64, den: u64, scale: f64) -> f64 {
    if den == 0 {
        0.0
    } else {
        (num as f64 * scale / den as f64 * 100.0).round() / 100.0
    }
}

/// The value of `slug`, or `None` when the metric is unavailable. Money is in kopecks,
/// conversions in percent, both rounded to two decimals.
pub fn metric_value(slug: &str, t: &Totals) -> Option<f64> {
    let s = &t.stats;
    let paid = s.presence_spending + s.promo_spending;
    let v = match slug {
        "views" => s.views as f64,
        "contacts" => s.contacts() as f64,
        "contactsShowPhone" => s.contacts_show_phone as f64,
        "contactsMessenger" => s.contacts_messenger as f64,
        "contactsShowPhoneAndMessenger" => s.contacts_show_phone_and_messenger as f64,
        "contactsSbcDiscount" => s.contacts_sbc_discount as f64,
        "viewsToContactsConversion" => ratio(s.contacts(), s.views, 100.0),
        "favorites" => s.favorites as f64,
        "averageViewCost" => ratio(paid, s.views, 1.0),
        "averageContactCost" => ratio(paid, s.contacts(), 1.0),
        "impressions" => s.impressions as f64,
        "impressionsToViewsConversion" => ratio(s.views, s.impressions, 100.0),
        "allSpending" => s.all_spending() as f64,
        "spending" => s.spending() as f64,
        "presenceSpending" => s.presence_spending as f64,
        "promoSpending" => s.promo_spending as f64,
        "restSpending" => s.rest_spending as f64,
        "commission" => s.commission as f64,
        "spendingBonus" => s.spending_bonus as f64,
        "activeItems" => t.active_items as f64,
        "newActiveItems" => t.new_active_items as f64,
        "oldActiveItems" => (t.active_items - t.new_active_items) as f64,
        _ => return None,
    };
    Some(v)
}
