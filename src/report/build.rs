//! Turning fetched data into a report: sums per period, derived metrics, comparison, top items.

use std::collections::HashMap;

use crate::avito::model::{AnalyticsGroup, CallsDay, CallsStats, WalletBalance};
use crate::avito::money::{Kopecks, Roubles};
use crate::avito::{AvitoError, AvitoResult, plausible};

use super::fetch::Fetched;
use super::metrics::{Metric, MetricSet, Unit};
use super::model::{
    DailyFigures, DayFigures, MetricLine, Missing, Note, Part, ProfileReport, TopItem, Value,
};
use super::period::Period;
use super::rating::{self, RatingContext};

/// How many items the top list shows.
pub const TOP_ITEMS: usize = 5;

/// Why a source's metrics are missing, from the error that sank the source.
fn missing_from(e: &AvitoError) -> Missing {
    match e {
        AvitoError::Forbidden { .. } => Missing::NoAccess,
        other => Missing::Failed(other.into()),
    }
}

/// stats v2 money metrics (kopecks); every other slug the report reads is a count.
const MONEY_SLUGS: &[&str] = &[
    "allSpending",
    "spending",
    "presenceSpending",
    "promoSpending",
    "restSpending",
    "commission",
    "spendingBonus",
];

/// A figure summed from Avito's answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sum {
    /// Avito left it out.
    Absent,
    /// Some part of it could not be true (negative views, a wallet of 10¹⁷ ₽).
    Implausible,
    Of(f64),
}

impl Sum {
    fn from_option(v: Option<f64>) -> Self {
        v.map_or(Sum::Absent, Sum::Of)
    }
}

/// Whether one value of `slug` could be true.
fn plausible_slug(slug: &str, v: f64) -> bool {
    if MONEY_SLUGS.contains(&slug) {
        plausible::roubles(v / 100.0)
    } else {
        plausible::count(v)
    }
}

/// stats v2 values of one period.
struct PeriodSums<'a> {
    groups: Vec<&'a AnalyticsGroup>,
}

impl<'a> PeriodSums<'a> {
    fn new(all: &'a [AnalyticsGroup], period: Period) -> Self {
        let mut groups: Vec<&AnalyticsGroup> = all
            .iter()
            .filter(|g| g.date().is_some_and(|d| period.from <= d && d <= period.to))
            .collect();
        groups.sort_by_key(|g| g.id);
        Self { groups }
    }

    /// The period's sum of `slug`; absent when Avito left it out. A period with no data at
    /// all (no items published) sums to zero.
    fn sum(&self, slug: &str) -> Sum {
        if self.groups.is_empty() {
            return Sum::Of(0.0);
        }
        let mut total = None;
        for v in self.groups.iter().filter_map(|g| g.metric(slug)) {
            if !plausible_slug(slug, v) {
                return Sum::Implausible;
            }
            total = Some(total.unwrap_or(0.0) + v);
        }
        Sum::from_option(total)
    }

    /// The value on the period's last day that has it (for counts of items, not additive).
    fn last(&self, slug: &str) -> Sum {
        if self.groups.is_empty() {
            return Sum::Of(0.0);
        }
        match self.groups.iter().rev().find_map(|g| g.metric(slug)) {
            Some(v) if !plausible_slug(slug, v) => Sum::Implausible,
            other => Sum::from_option(other),
        }
    }
}

fn count(v: Sum) -> Value {
    match v {
        Sum::Absent => Value::Missing(Missing::NotProvided),
        Sum::Of(n) if plausible::count(n) => Value::Count(n.round() as i64),
        _ => Value::Missing(Missing::Implausible),
    }
}

/// Money in kopecks, as stats v2 gives it.
fn money(v: Sum) -> Value {
    match v {
        Sum::Absent => Value::Missing(Missing::NotProvided),
        Sum::Of(k) if plausible::roubles(k / 100.0) => Value::Money(Kopecks::from_api(k)),
        _ => Value::Missing(Missing::Implausible),
    }
}

fn ratio(num: Sum, den: Sum, scale: f64, unit_money: bool) -> Value {
    match (num, den) {
        (Sum::Implausible, _) | (_, Sum::Implausible) => Value::Missing(Missing::Implausible),
        (Sum::Of(_), Sum::Of(0.0)) => Value::Missing(Missing::NoBase),
        (Sum::Of(n), Sum::Of(d)) if unit_money => money(Sum::Of(n / d)),
        (Sum::Of(n), Sum::Of(d)) => Value::Percent((n / d * scale * 100.0).round() / 100.0),
        _ => Value::Missing(Missing::NotProvided),
    }
}

/// The analytics-based value of `metric` in one period.
fn analytics_value(metric: Metric, sums: &PeriodSums) -> Value {
    match metric {
        Metric::Views => count(sums.sum("views")),
        Metric::Contacts => count(sums.sum("contacts")),
        Metric::Favorites => count(sums.sum("favorites")),
        Metric::Conversion => ratio(sums.sum("contacts"), sums.sum("views"), 100.0, false),
        Metric::Spending => money(sums.sum("allSpending")),
        Metric::CostPerContact => ratio(sums.sum("allSpending"), sums.sum("contacts"), 1.0, true),
        Metric::ActiveItems => count(sums.last("activeItems")),
        _ => Value::Missing(Missing::NotProvided),
    }
}

/// Contacts split so that the parts add up to the total. Avito counts a person who both
/// viewed the phone and wrote in each of `contactsShowPhone` and `contactsMessenger`, and
/// once in `contacts` (which also counts replies to discount offers), so:
/// contacts = phone only + chat only + both + other. Without a consistent breakdown none is
/// shown: parts that do not add up would mislead.
fn contact_parts(sums: &PeriodSums) -> Vec<(Part, Value)> {
    let get = |slug| match sums.sum(slug) {
        Sum::Of(v) => Some(v.round() as i64),
        _ => None,
    };
    let (Some(total), Some(phone), Some(chat)) = (
        get("contacts"),
        get("contactsShowPhone"),
        get("contactsMessenger"),
    ) else {
        return Vec::new();
    };
    let both = get("contactsShowPhoneAndMessenger").unwrap_or(0);
    let parts = [
        (Part::ContactsPhoneOnly, phone - both),
        (Part::ContactsChatOnly, chat - both),
        (Part::ContactsPhoneAndChat, both),
        (Part::ContactsOther, total - (phone + chat - both)),
    ];
    if parts.iter().any(|(_, n)| *n < 0) {
        return Vec::new();
    }
    parts
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|(part, n)| (part, Value::Count(n)))
        .collect()
}

fn analytics_parts(metric: Metric, sums: &PeriodSums) -> Vec<(Part, Value)> {
    match metric {
        Metric::Contacts => contact_parts(sums),
        Metric::Spending => SPENDING_PARTS
            .into_iter()
            .filter_map(|(part, slug)| match sums.sum(slug) {
                // A zero share says nothing: leave it out of the breakdown.
                Sum::Of(v) if v != 0.0 => Some((part, money(Sum::Of(v)))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Calls of one period: (total, answered), each absent when no day carried it and
/// implausible when a day's figure could not be true.
fn calls_in(stats: &CallsStats, period: Period) -> (Sum, Sum) {
    let days: Vec<_> = stats
        .items
        .iter()
        .flat_map(|i| i.days.iter())
        .filter(|d| period.from <= d.date && d.date <= period.to)
        .collect();
    let add = |pick: fn(&CallsDay) -> Option<i64>| {
        let mut total: Option<f64> = if days.is_empty() { Some(0.0) } else { None };
        for n in days.iter().filter_map(|d| pick(d)) {
            let n = n as f64;
            if !plausible::count(n) {
                return Sum::Implausible;
            }
            total = Some(total.unwrap_or(0.0) + n);
        }
        Sum::from_option(total)
    };
    (add(|d| d.calls), add(|d| d.answered))
}

fn calls_line(
    stats: &AvitoResult<CallsStats>,
    current: Period,
    previous: Option<Period>,
) -> MetricLine {
    match stats {
        Ok(stats) => {
            let (calls, answered) = calls_in(stats, current);
            let prev = previous.map(|p| count(calls_in(stats, p).0));
            let parts = match (calls, answered) {
                (Sum::Of(c), Sum::Of(a)) if a <= c => vec![
                    (Part::CallsAnswered, count(Sum::Of(a))),
                    (Part::CallsMissed, count(Sum::Of(c - a))),
                ],
                _ => Vec::new(),
            };
            MetricLine::new(Metric::Calls, count(calls), prev).with_parts(parts)
        }
        Err(e) => MetricLine::new(Metric::Calls, Value::Missing(missing_from(e)), None),
    }
}

/// The wallet line: money in roubles, bonuses as a part.
fn wallet_line(w: &WalletBalance) -> MetricLine {
    let rub = |r: Option<f64>| match r {
        None => Value::Missing(Missing::NotProvided),
        Some(r) if plausible::roubles(r) => Value::Money(Roubles(r).to_kopecks()),
        Some(_) => Value::Missing(Missing::Implausible),
    };
    let bonus = match w.bonus {
        Some(b) if b != 0.0 => vec![(Part::WalletBonus, rub(Some(b)))],
        _ => Vec::new(),
    };
    MetricLine::new(Metric::WalletBalance, rub(w.real), None).with_parts(bonus)
}

/// The report of one profile from what was fetched.
pub fn build(
    profile: &str,
    fetched: &Fetched,
    metrics: &MetricSet,
    time_zone: &str,
    rating: &RatingContext,
) -> ProfileReport {
    let mut notes = Vec::new();
    if fetched.previous.is_none() {
        notes.push(Note::NoComparison);
    }
    let lines = metrics
        .lines()
        .map(|metric| line(metric, fetched, rating))
        .collect();
    let listings = fetched.listings.as_ref().map(|groups| {
        let top = fetched.top_items.as_ref().and_then(|t| t.as_ref().ok());
        super::listings::section(groups, top, fetched.listings_beyond)
    });
    let top_items = match &fetched.top_items {
        Some(Ok(data)) => {
            if data.total_active > data.scanned {
                notes.push(Note::TopItemsPartial {
                    ranked: data.scanned,
                });
            }
            let mut ranked: Vec<_> = data
                .items
                .iter()
                .filter(|(_, views, contacts)| {
                    *views > 0
                        && plausible::count(*views as f64)
                        && plausible::count(*contacts as f64)
                })
                .collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.id.cmp(&b.0.id)));
            ranked
                .into_iter()
                .take(TOP_ITEMS)
                .map(|(item, views, contacts)| TopItem {
                    id: item.id,
                    title: item
                        .title
                        .clone()
                        .unwrap_or_else(|| format!("#{}", item.id)),
                    url: item.url.clone(),
                    views: *views,
                    contacts: *contacts,
                })
                .collect()
        }
        // The top list is a bonus: without it the report still stands.
        _ => Vec::new(),
    };
    ProfileReport {
        profile: profile.to_owned(),
        account_id: fetched.account_id,
        period: fetched.current,
        previous: fetched.previous,
        time_zone: time_zone.to_owned(),
        lines,
        top_items,
        listings,
        notes,
        daily: daily_figures(fetched),
    }
}

/// Spending types as stats v2 names them; they add up to `allSpending`.
const SPENDING_PARTS: [(Part, &str); 5] = [
    (Part::SpendingPresence, "presenceSpending"),
    (Part::SpendingPromo, "promoSpending"),
    (Part::SpendingCommission, "commission"),
    (Part::SpendingRest, "restSpending"),
    (Part::SpendingBonus, "spendingBonus"),
];

/// The per-day figures of the chart's days and of the previous period, from the same
/// statistics answer the totals are summed from.
fn daily_figures(fetched: &Fetched) -> Option<DailyFigures> {
    let Some(Ok(analytics)) = &fetched.analytics else {
        return None;
    };
    let days = figures_of(&analytics.groups, fetched.chart);
    // A one-day report's 14 days have no previous period to compare with.
    let previous = match fetched.previous {
        Some(p) if fetched.chart == fetched.current => figures_of(&analytics.groups, p),
        _ => Vec::new(),
    };
    Some(DailyFigures { days, previous })
}

/// One entry per day of `period`, summed per day as [`PeriodSums::sum`] sums the period.
fn figures_of(groups: &[AnalyticsGroup], period: Period) -> Vec<DayFigures> {
    let sums = PeriodSums::new(groups, period);
    let mut by_day: HashMap<chrono::NaiveDate, Vec<&AnalyticsGroup>> = HashMap::new();
    for g in &sums.groups {
        if let Some(d) = g.date() {
            by_day.entry(d).or_default().push(g);
        }
    }
    // A slug no group of the period carries is missing every day, not zero on days without
    // a group (a period without any group is all zeros, as its totals are).
    let known =
        |slug: &str| sums.groups.is_empty() || sums.groups.iter().any(|g| g.metric(slug).is_some());
    let value = |date: chrono::NaiveDate, slug: &str| -> Option<f64> {
        if !known(slug) {
            return None;
        }
        let Some(day) = by_day.get(&date) else {
            return Some(0.0);
        };
        let mut total = 0.0;
        for g in day {
            let v = g.metric(slug)?;
            if !plausible_slug(slug, v) {
                return None;
            }
            total += v;
        }
        Some(total)
    };
    let count = |date, slug| value(date, slug).map(|v| v.round() as i64);
    let money = |date, slug| value(date, slug).map(Kopecks::from_api);
    period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .map(|date| DayFigures {
            date,
            views: count(date, "views"),
            contacts: count(date, "contacts"),
            spending: money(date, "allSpending"),
            spending_parts: SPENDING_PARTS
                .iter()
                .map(|(part, slug)| (*part, money(date, slug)))
                .collect(),
        })
        .collect()
}

fn line(metric: Metric, fetched: &Fetched, rating: &RatingContext) -> MetricLine {
    let not_fetched = || MetricLine::new(metric, Value::Missing(Missing::NotProvided), None);
    match metric {
        Metric::Rating => match &fetched.rating {
            Some(Ok(r)) => rating::rating_line(r, rating),
            Some(Err(e)) => MetricLine::new(metric, Value::Missing(missing_from(e)), None),
            None => not_fetched(),
        },
        Metric::Calls => match &fetched.calls {
            Some(stats) => calls_line(stats, fetched.current, fetched.previous),
            None => not_fetched(),
        },
        Metric::WalletBalance => match &fetched.wallet {
            Some(Ok(w)) => wallet_line(w),
            Some(Err(e)) => MetricLine::new(metric, Value::Missing(missing_from(e)), None),
            None => not_fetched(),
        },
        Metric::CpaBalance => match &fetched.cpa {
            Some(Ok(k)) if plausible::signed_roubles(k.to_roubles().0) => {
                MetricLine::new(metric, Value::Money(*k), None)
            }
            Some(Ok(_)) => MetricLine::new(metric, Value::Missing(Missing::Implausible), None),
            Some(Err(e)) => MetricLine::new(metric, Value::Missing(missing_from(e)), None),
            None => not_fetched(),
        },
        _ => match &fetched.analytics {
            Some(Ok(analytics)) => {
                let current = PeriodSums::new(&analytics.groups, fetched.current);
                let previous = fetched
                    .previous
                    .map(|p| analytics_value(metric, &PeriodSums::new(&analytics.groups, p)));
                MetricLine::new(metric, analytics_value(metric, &current), previous)
                    .with_parts(analytics_parts(metric, &current))
            }
            Some(Err(e)) => MetricLine::new(metric, Value::Missing(missing_from(e)), None),
            None => not_fetched(),
        },
    }
}

/// Totals over the profiles' lines: sums of counts and money, ratios recomputed from the sums.
/// Returns the lines and whether some profile's value was missing.
pub fn totals(reports: &[&ProfileReport], metrics: &MetricSet) -> (Vec<MetricLine>, bool) {
    let mut partial = false;
    let mut sums: HashMap<Metric, (f64, Option<f64>)> = HashMap::new();
    // Every metric is summed, selected or not: the ratios are recomputed from the sums. The
    // rating is averaged instead (see `rating::combined_line`).
    for metric in Metric::ALL
        .into_iter()
        .filter(|m| m.unit() != Unit::Stars && !m.is_section())
    {
        let mut current = 0.0;
        let mut previous = Some(0.0);
        for report in reports {
            let Some(line) = report.lines.iter().find(|l| l.metric == metric) else {
                continue;
            };
            match line.value.number() {
                Some(v) => current += v,
                None => partial |= metrics.contains(metric),
            }
            previous = match (previous, line.previous.as_ref().and_then(Value::number)) {
                (Some(p), Some(v)) => Some(p + v),
                _ => None,
            };
        }
        sums.insert(metric, (current, previous));
    }
    let get = |m: Metric| sums.get(&m).copied();
    let ratio_line = |metric: Metric, num: Metric, den: Metric, scale: f64, is_money: bool| {
        let value = |pick: fn((f64, Option<f64>)) -> Option<f64>| {
            let n = Sum::from_option(get(num).and_then(pick));
            let d = Sum::from_option(get(den).and_then(pick));
            ratio(n, d, scale, is_money)
        };
        let current = value(|s| Some(s.0));
        let previous = value(|s| s.1);
        MetricLine::new(metric, current, (!previous.missing()).then_some(previous))
    };
    let lines = metrics
        .lines()
        .map(|metric| match metric {
            Metric::Conversion => ratio_line(metric, Metric::Contacts, Metric::Views, 100.0, false),
            Metric::CostPerContact => {
                ratio_line(metric, Metric::Spending, Metric::Contacts, 1.0, true)
            }
            Metric::Rating => {
                let lines = lines_of(reports, metric);
                // A rating switched off or not there yet is an answer, not a gap.
                partial |= lines.iter().any(|l| {
                    matches!(
                        l.value,
                        Value::Missing(Missing::Failed(_) | Missing::NotProvided)
                    )
                });
                rating::combined_line(&lines)
            }
            _ => {
                let (current, previous) = sums.get(&metric).copied().unwrap_or((0.0, None));
                let previous = if metric.is_snapshot() { None } else { previous };
                MetricLine::new(
                    metric,
                    Value::of(metric.unit(), current),
                    previous.map(|p| Value::of(metric.unit(), p)),
                )
            }
        })
        .collect();
    (lines, partial)
}

/// Each report's line of `metric`.
fn lines_of<'a>(reports: &[&'a ProfileReport], metric: Metric) -> Vec<&'a MetricLine> {
    reports
        .iter()
        .filter_map(|r| r.lines.iter().find(|l| l.metric == metric))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::model::Analytics;
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    /// Fetched stats v2 data: one group per day with the given metrics.
    fn fetched(days: &[(u32, &[(&str, f64)])], wallet: Option<WalletBalance>) -> Fetched {
        let groups = days
            .iter()
            .map(|(d, metrics)| AnalyticsGroup {
                id: day(*d)
                    .and_hms_opt(0, 0, 0)
                    .expect("t")
                    .and_utc()
                    .timestamp(),
                kind: "day".into(),
                metrics: metrics.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            })
            .collect();
        Fetched {
            account_id: Some(crate::domain::AccountId(1)),
            current: Period::new(day(10), day(11)),
            previous: Some(Period::new(day(8), day(9))),
            chart: Period::new(day(10), day(11)),
            analytics: Some(Ok(Analytics {
                groups,
                timestamp: None,
            })),
            calls: None,
            wallet: wallet.map(Ok),
            cpa: Some(Ok(Kopecks(i64::MAX))),
            top_items: None,
            listings: None,
            listings_beyond: None,
            rating: None,
        }
    }

    fn value(report: &ProfileReport, metric: Metric) -> &MetricLine {
        report
            .lines
            .iter()
            .find(|l| l.metric == metric)
            .expect("line")
    }

    #[test]
    fn contact_parts_add_up_to_the_total() {
        let f = fetched(
            &[
                (
                    10,
                    &[
                        ("contacts", 438.0),
                        ("contactsShowPhone", 252.0),
                        ("contactsMessenger", 249.0),
                        ("contactsShowPhoneAndMessenger", 70.0),
                    ],
                ),
                (
                    11,
                    &[
                        ("contacts", 2.0),
                        ("contactsShowPhone", 2.0),
                        ("contactsMessenger", 0.0),
                    ],
                ),
            ],
            None,
        );
        let report = build(
            "p",
            &f,
            &MetricSet::all(),
            "Europe/Moscow",
            &RatingContext::default(),
        );
        let line = value(&report, Metric::Contacts);
        assert_eq!(line.value, Value::Count(440));
        let parts: i64 = line
            .parts
            .iter()
            .map(|p| match p.value {
                Value::Count(n) => n,
                _ => panic!("counts"),
            })
            .sum();
        assert_eq!(parts, 440, "{:?}", line.parts);
        assert_eq!(
            line.parts.iter().map(|p| p.part).collect::<Vec<_>>(),
            [
                Part::ContactsPhoneOnly,
                Part::ContactsChatOnly,
                Part::ContactsPhoneAndChat,
                Part::ContactsOther
            ]
        );
        // Parts that cannot add up are not shown at all.
        let f = fetched(
            &[(
                10,
                &[
                    ("contacts", 10.0),
                    ("contactsShowPhone", 252.0),
                    ("contactsMessenger", 249.0),
                ],
            )],
            None,
        );
        let report = build(
            "p",
            &f,
            &MetricSet::all(),
            "Europe/Moscow",
            &RatingContext::default(),
        );
        assert!(value(&report, Metric::Contacts).parts.is_empty());
    }

    #[test]
    fn implausible_values_are_na_and_spoil_what_is_derived_from_them() {
        let f = fetched(
            &[
                (
                    10,
                    &[("views", 100.0), ("contacts", -3.0), ("allSpending", 5e20)],
                ),
                (11, &[("views", 50.0), ("contacts", 4.0)]),
            ],
            Some(WalletBalance {
                real: Some(92_233_720_368_547_758.0),
                bonus: Some(-1.0),
            }),
        );
        let report = build(
            "p",
            &f,
            &MetricSet::all(),
            "Europe/Moscow",
            &RatingContext::default(),
        );
        let implausible = Value::Missing(Missing::Implausible);
        assert_eq!(value(&report, Metric::Views).value, Value::Count(150));
        for metric in [
            Metric::Contacts,
            Metric::Conversion,
            Metric::Spending,
            Metric::CostPerContact,
            Metric::WalletBalance,
            Metric::CpaBalance,
        ] {
            assert_eq!(value(&report, metric).value, implausible, "{metric:?}");
        }
        assert_eq!(
            value(&report, Metric::WalletBalance).parts[0].value,
            implausible
        );
    }
}
