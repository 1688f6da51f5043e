//! Turning fetched data into a report: sums per period, derived metrics, comparison, top items.

use std::collections::HashMap;

use crate::avito::model::{AnalyticsGroup, CallsStats};
use crate::avito::money::Kopecks;
use crate::avito::{AvitoError, AvitoResult};

use super::fetch::Fetched;
use super::metrics::{Metric, MetricSet};
use super::model::{MetricLine, Missing, Note, Part, ProfileReport, TopItem, Value};
use super::period::Period;

/// How many items the top list shows.
pub const TOP_ITEMS: usize = 5;

/// Why a source's metrics are missing, from the error that sank the source.
fn missing_from(e: &AvitoError) -> Missing {
    match e {
        AvitoError::Forbidden { .. } => Missing::NoAccess,
        other => Missing::Failed(other.into()),
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

    /// The period's sum of `slug`; `None` when Avito left it out. A period with no data at
    /// all (no items published) sums to zero.
    fn sum(&self, slug: &str) -> Option<f64> {
        if self.groups.is_empty() {
            return Some(0.0);
        }
        let values: Vec<f64> = self.groups.iter().filter_map(|g| g.metric(slug)).collect();
        (!values.is_empty()).then(|| values.iter().sum())
    }

    /// The value on the period's last day that has it (for counts of items, not additive).
    fn last(&self, slug: &str) -> Option<f64> {
        if self.groups.is_empty() {
            return Some(0.0);
        }
        self.groups.iter().rev().find_map(|g| g.metric(slug))
    }
}

fn count(v: Option<f64>) -> Value {
    v.map_or(Value::Missing(Missing::NotProvided), |n| {
        Value::Count(n.round() as i64)
    })
}

fn money(v: Option<f64>) -> Value {
    v.map_or(Value::Missing(Missing::NotProvided), |n| {
        Value::Money(Kopecks::from_api(n))
    })
}

fn ratio(num: Option<f64>, den: Option<f64>, scale: f64, unit_money: bool) -> Value {
    match (num, den) {
        (Some(_), Some(0.0)) => Value::Missing(Missing::NoBase),
        (Some(n), Some(d)) if unit_money => Value::Money(Kopecks::from_api(n / d)),
        (Some(n), Some(d)) => Value::Percent((n / d * scale * 100.0).round() / 100.0),
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

fn analytics_parts(metric: Metric, sums: &PeriodSums) -> Vec<(Part, Value)> {
    let parts: &[(Part, &str)] = match metric {
        Metric::Contacts => &[
            (Part::ContactsPhone, "contactsShowPhone"),
            (Part::ContactsMessenger, "contactsMessenger"),
        ],
        Metric::Spending => &[
            (Part::SpendingPresence, "presenceSpending"),
            (Part::SpendingPromo, "promoSpending"),
            (Part::SpendingCommission, "commission"),
            (Part::SpendingRest, "restSpending"),
            (Part::SpendingBonus, "spendingBonus"),
        ],
        _ => &[],
    };
    let money_parts = metric == Metric::Spending;
    parts
        .iter()
        .filter_map(|(part, slug)| {
            let v = sums.sum(slug)?;
            // A zero share says nothing: leave it out of the breakdown.
            (v != 0.0).then(|| {
                (
                    *part,
                    if money_parts {
                        Value::Money(Kopecks::from_api(v))
                    } else {
                        Value::Count(v.round() as i64)
                    },
                )
            })
        })
        .collect()
}

/// Calls of one period: (total, answered).
fn calls_in(stats: &CallsStats, period: Period) -> (i64, i64) {
    stats
        .items
        .iter()
        .flat_map(|i| i.days.iter())
        .filter(|d| period.from <= d.date && d.date <= period.to)
        .fold((0, 0), |(c, a), d| (c + d.calls, a + d.answered))
}

fn calls_line(
    stats: &AvitoResult<CallsStats>,
    current: Period,
    previous: Option<Period>,
) -> MetricLine {
    match stats {
        Ok(stats) => {
            let (calls, answered) = calls_in(stats, current);
            let prev = previous.map(|p| Value::Count(calls_in(stats, p).0));
            MetricLine::new(Metric::Calls, Value::Count(calls), prev).with_parts(vec![
                (Part::CallsAnswered, Value::Count(answered)),
                (Part::CallsMissed, Value::Count(calls - answered)),
            ])
        }
        Err(e) => MetricLine::new(Metric::Calls, Value::Missing(missing_from(e)), None),
    }
}

/// The report of one profile from what was fetched.
pub fn build(
    profile: &str,
    fetched: &Fetched,
    metrics: &MetricSet,
    time_zone: &str,
) -> ProfileReport {
    let mut notes = Vec::new();
    if fetched.previous.is_none() {
        notes.push(Note::NoComparison);
    }
    let lines = metrics.iter().map(|metric| line(metric, fetched)).collect();
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
                .filter(|(_, views, _)| *views > 0)
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
        account_id: Some(fetched.account_id),
        period: fetched.current,
        previous: fetched.previous,
        time_zone: time_zone.to_owned(),
        lines,
        top_items,
        notes,
    }
}

fn line(metric: Metric, fetched: &Fetched) -> MetricLine {
    let not_fetched = || MetricLine::new(metric, Value::Missing(Missing::NotProvided), None);
    match metric {
        Metric::Calls => match &fetched.calls {
            Some(stats) => calls_line(stats, fetched.current, fetched.previous),
            None => not_fetched(),
        },
        Metric::WalletBalance => match &fetched.wallet {
            Some(Ok(w)) => MetricLine::new(metric, Value::Money(w.real.to_kopecks()), None)
                .with_parts(if w.bonus.0 != 0.0 {
                    vec![(Part::WalletBonus, Value::Money(w.bonus.to_kopecks()))]
                } else {
                    Vec::new()
                }),
            Some(Err(e)) => MetricLine::new(metric, Value::Missing(missing_from(e)), None),
            None => not_fetched(),
        },
        Metric::CpaBalance => match &fetched.cpa {
            Some(Ok(k)) => MetricLine::new(metric, Value::Money(*k), None),
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
    // Every metric is summed, selected or not: the ratios are recomputed from the sums.
    for metric in Metric::ALL {
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
            let n = get(num).and_then(pick);
            let d = get(den).and_then(pick);
            ratio(n, d, scale, is_money)
        };
        let current = value(|s| Some(s.0));
        let previous = value(|s| s.1);
        MetricLine::new(metric, current, (!previous.missing()).then_some(previous))
    };
    let lines = metrics
        .iter()
        .map(|metric| match metric {
            Metric::Conversion => ratio_line(metric, Metric::Contacts, Metric::Views, 100.0, false),
            Metric::CostPerContact => {
                ratio_line(metric, Metric::Spending, Metric::Contacts, 1.0, true)
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
