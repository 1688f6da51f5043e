//! Per-item daily statistics and calendar periods.

use chrono::{Datelike, NaiveDate, Weekday};

use super::calendar::{first_of_month, shift};
use super::catalog::{Item, Trait};
use crate::avito::rng::SplitMix64;

/// One item on one day. Counts are consistent with each other (contacts never exceed views,
/// answered calls never exceed calls, ...). Money is in kopecks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DayStats {
    /// Unique views (`uniqViews` in stats v1, `views` in stats v2).
    pub views: u64,
    /// Deprecated non-unique views of stats v1 (`views`).
    pub views_total: u64,
    pub impressions: u64,
    pub contacts_show_phone: u64,
    pub contacts_messenger: u64,
    pub contacts_show_phone_and_messenger: u64,
    pub contacts_sbc_discount: u64,
    /// Unique favourites (`uniqFavorites` in v1, `favorites` in v2).
    pub favorites: u64,
    /// Deprecated non-unique favourites of stats v1.
    pub favorites_total: u64,
    pub presence_spending: u64,
    pub promo_spending: u64,
    pub rest_spending: u64,
    pub commission: u64,
    pub spending_bonus: u64,
    pub calls: u64,
    pub calls_answered: u64,
    pub calls_new: u64,
    pub calls_new_answered: u64,
}

impl DayStats {
    /// Unique contacts: phone viewers plus chat writers, counting people who did both once.
    pub fn contacts(&self) -> u64 {
        self.contacts_show_phone + self.contacts_messenger - self.contacts_show_phone_and_messenger
            + self.contacts_sbc_discount
    }

    /// Deprecated non-unique contacts of stats v1.
    pub fn contacts_total(&self) -> u64 {
        self.contacts_show_phone + self.contacts_messenger + self.contacts_sbc_discount
    }

    /// Money spent (kopecks), without bonuses.
    pub fn spending(&self) -> u64 {
        self.presence_spending + self.promo_spending + self.rest_spending + self.commission
    }

    /// Money and bonuses spent (kopecks).
    pub fn all_spending(&self) -> u64 {
        self.spending() + self.spending_bonus
    }

    pub fn add(&mut self, o: &DayStats) {
        self.views += o.views;
        self.views_total += o.views_total;
        self.impressions += o.impressions;
        self.contacts_show_phone += o.contacts_show_phone;
        self.contacts_messenger += o.contacts_messenger;
        self.contacts_show_phone_and_messenger += o.contacts_show_phone_and_messenger;
        self.contacts_sbc_discount += o.contacts_sbc_discount;
        self.favorites += o.favorites;
        self.favorites_total += o.favorites_total;
        self.presence_spending += o.presence_spending;
        self.promo_spending += o.promo_spending;
        self.rest_spending += o.rest_spending;
        self.commission += o.commission;
        self.spending_bonus += o.spending_bonus;
        self.calls += o.calls;
        self.calls_answered += o.calls_answered;
        self.calls_new += o.calls_new;
        self.calls_new_answered += o.calls_new_answered;
    }
}

pub(super) fn item_day(
    key: u64,
    item: &Item,
    date: NaiveDate,
    today: NaiveDate,
) -> Option<DayStats> {
    if !item.alive_on(date, today) {
        return None;
    }
    let mut r = SplitMix64::at(&[key, 2, item.id as u64, date.num_days_from_ce() as u64]);
    let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    let mean = f64::from(item.popularity) * if weekend { 1.25 } else { 1.0 } * (0.5 + r.unit());
    let views = mean.round() as u64;
    let phone = r.below(views / 12 + 1);
    let messenger = r.below(views / 10 + 1);
    let both = r.below(phone.min(messenger) + 1);
    let favorites = r.below(views / 8 + 1);
    let presence = if item.category.paid_placement() {
        views * r.range(30, 250) as u64
    } else if r.chance(0.03) {
        r.range(2_900, 9_900) as u64
    } else {
        0
    };
    let promo = if r.chance(item.promo_rate) {
        *r.pick(&[4_900u64, 9_900, 19_900, 39_900])
    } else {
        0
    };
    let commission = match item.price {
        Some(p) if r.chance(0.005) => (p as u64 * 100 / 20).min(500_000),
        _ => 0,
    };
    let calls = r.below(phone + 1);
    let answered = calls - r.below(calls / 3 + 1).min(calls);
    let new = r.below(calls + 1);
    let day = DayStats {
        views,
        views_total: views + r.below(views / 3 + 1),
        impressions: views * r.range(6, 20) as u64 + r.below(10),
        contacts_show_phone: phone,
        contacts_messenger: messenger,
        contacts_show_phone_and_messenger: both,
        contacts_sbc_discount: u64::from(views > 0 && r.chance(0.02)),
        favorites,
        favorites_total: favorites + if favorites > 0 { r.below(2) } else { 0 },
        presence_spending: presence,
        promo_spending: promo,
        rest_spending: if r.chance(0.01) { 990 } else { 0 },
        commission,
        spending_bonus: if r.chance(0.02) {
            r.range(100, 5_000) as u64
        } else {
            0
        },
        calls,
        calls_answered: answered,
        calls_new: new,
        calls_new_answered: r.below(new.min(answered) + 1),
    };
    Some(shaped(item, day, (today - date).num_days()))
}

/// Price of a contact in a healthy account, and of a view of a costly listing (kopecks).
const STEADY_CONTACT_PRICE: u64 = 3_000;
const COSTLY_VIEW_PRICE: u64 = 2_500;
/// A fading listing's views in the last [`FADED_DAYS`] days, in percent.
const FADED_PERCENT: u64 = 25;
const FADED_DAYS: i64 = 7;

/// A day's figures bent to the listing's [`Trait`]; `age` is how many days before today.
fn shaped(item: &Item, mut d: DayStats, age: i64) -> DayStats {
    match item.shape {
        Trait::Natural => {}
        Trait::Steady => {
            if d.views > 0 && d.contacts() == 0 {
                d.contacts_messenger = 1;
            }
            d.presence_spending = d.contacts() * STEADY_CONTACT_PRICE;
            d.promo_spending = 0;
        }
        Trait::Silent => {
            d.contacts_show_phone = 0;
            d.contacts_messenger = 0;
            d.contacts_show_phone_and_messenger = 0;
            d.contacts_sbc_discount = 0;
            (d.calls, d.calls_answered, d.calls_new, d.calls_new_answered) = (0, 0, 0, 0);
        }
        Trait::Costly => {
            d.presence_spending = d.views * COSTLY_VIEW_PRICE;
        }
        Trait::Fading if age <= FADED_DAYS => {
            let scale = |v: u64| v * FADED_PERCENT / 100;
            d.views = scale(d.views);
            d.views_total = d.views_total.min(d.views + d.views / 3);
            d.impressions = scale(d.impressions);
            d.favorites = d.favorites.min(d.views);
            d.favorites_total = d.favorites_total.min(d.favorites + 1);
            d.contacts_show_phone = d.contacts_show_phone.min(d.views / 12);
            d.contacts_messenger = d.contacts_messenger.min(d.views / 10);
            d.contacts_show_phone_and_messenger = d
                .contacts_show_phone_and_messenger
                .min(d.contacts_show_phone.min(d.contacts_messenger));
            d.calls = d.calls.min(d.contacts_show_phone);
            d.calls_answered = d.calls_answered.min(d.calls);
            d.calls_new = d.calls_new.min(d.calls);
            d.calls_new_answered = d.calls_new_answered.min(d.calls_new.min(d.calls_answered));
        }
        Trait::Fading => {}
    }
    d
}

/// A calendar grouping period. Weeks start on Monday; a period is labelled by its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => d,
            Period::Week => shift(d, -i64::from(d.weekday().num_days_from_monday())),
            Period::Month => first_of_month(d),
        }
    }

    fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => shift(start, 1),
            Period::Week => shift(start, 7),
            Period::Month => start
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(start),
        }
    }

    /// The periods covering `[from, to]`: (label = calendar start, clipped first day, clipped last day).
    pub fn split(self, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut start = self.start_of(from);
        while start <= to {
            let next = self.next_start(start);
            if next <= start {
                break;
            }
            out.push((start, start.max(from), shift(next, -1).min(to)));
            start = next;
        }
        out
    }
}

/// Which items a statistics request covers. Empty lists select nothing; `None` means no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    pub categories: Option<Vec<i64>>,
    pub items: Option<Vec<i64>>,
}

impl ItemFilter {
    pub fn matches(&self, it: &Item) -> bool {
        self.categories
            .as_ref()
            .is_none_or(|c| c.contains(&it.category.id))
            && self.items.as_ref().is_none_or(|i| i.contains(&it.id))
    }
}
