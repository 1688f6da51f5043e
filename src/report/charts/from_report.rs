//! What a report's charts draw, taken from the report itself: the same per-day figures its
//! totals are summed from and the same lines its text shows. Pure: no fetching, no drawing.
//!
//! A metric the report shows as n/a (or does not show: not selected) is left out of the
//! charts; a chart left with nothing to draw is not made at all.

use chrono::NaiveDate;

use super::draw;
use super::model::{
    Chart, DailyChart, DailyMetric, DailySeries, Day, Png, ProfileBar, ProfilesChart,
    SpendingChart, SpendingKind,
};
use super::words::{Word, word};
use crate::avito::money::Kopecks;
use crate::i18n::Lang;
use crate::report::metrics::Metric;
use crate::report::model::{CombinedReport, DayFigures, ProfileReport, Section, Value};
use crate::report::render::part_label;

/// A chart with the file name it is written or sent under.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedChart {
    /// `daily`, `spending` or `profiles`.
    pub name: &'static str,
    pub chart: Chart,
}

/// A drawn chart with its file name (`daily.png`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedChart {
    pub file_name: String,
    pub png: Png,
}

/// The line of `metric` when the report shows a value for it.
fn shown(report: &ProfileReport, metric: Metric) -> Option<&Value> {
    report
        .lines
        .iter()
        .find(|l| l.metric == metric)
        .map(|l| &l.value)
        .filter(|v| !v.missing())
}

/// The charts of one profile's report: counts per day, then spending per day.
pub fn profile_charts(report: &ProfileReport, lang: Lang) -> Vec<NamedChart> {
    let mut out = Vec::new();
    if let Some(chart) = daily_chart(report, lang) {
        out.push(NamedChart {
            name: "daily",
            chart: Chart::Daily(chart),
        });
    }
    if let Some(chart) = spending_chart(report, lang) {
        out.push(NamedChart {
            name: "spending",
            chart: Chart::Spending(chart),
        });
    }
    out
}

/// The charts of a combined report (`/stats`, several profiles): the profiles side by side;
/// a single profile gets its own charts instead.
pub fn combined_charts(report: &CombinedReport, lang: Lang) -> Vec<NamedChart> {
    if let [Section::Ok { report }] = report.sections.as_slice() {
        return profile_charts(report, lang);
    }
    profiles_chart(report, lang)
        .map(|chart| NamedChart {
            name: "profiles",
            chart: Chart::Profiles(chart),
        })
        .into_iter()
        .collect()
}

/// The reported day of a one-day report, which its charts mark among the last 14 days.
fn marked_day(report: &ProfileReport) -> Option<NaiveDate> {
    (report.period.days() == 1).then_some(report.period.to)
}

fn titled(profile: &str, what: Word, lang: Lang) -> String {
    format!("{} — {}", profile.trim(), word(what, lang))
}

/// Views and contacts per day, the previous period faint under them.
pub fn daily_chart(report: &ProfileReport, lang: Lang) -> Option<DailyChart> {
    let daily = report.daily.as_ref()?;
    let (first, last) = (daily.days.first()?, daily.days.last()?);
    let pick = |days: &[DayFigures], get: fn(&DayFigures) -> Option<i64>| -> Vec<Day<i64>> {
        days.iter().map(|d| Day::new(d.date, get(d))).collect()
    };
    let series: Vec<DailySeries> = [
        (
            Metric::Views,
            DailyMetric::Views,
            (|d| d.views) as fn(&DayFigures) -> _,
        ),
        (Metric::Contacts, DailyMetric::Contacts, |d| d.contacts),
    ]
    .into_iter()
    .filter(|(metric, ..)| shown(report, *metric).is_some())
    .map(|(_, metric, get)| DailySeries {
        metric,
        current: pick(&daily.days, get),
        previous: pick(&daily.previous, get),
    })
    .filter(|s| s.current.iter().any(|d| d.value.is_some()))
    .collect();
    if series.is_empty() {
        return None;
    }
    Some(DailyChart {
        title: titled(&report.profile, Word::ViewsAndContacts, lang),
        lang,
        from: first.date,
        to: last.date,
        previous_from: daily.previous.first().map(|d| d.date),
        series,
        marked_day: marked_day(report),
    })
}

/// Spending per day stacked by type, with cost per contact when the report shows it.
pub fn spending_chart(report: &ProfileReport, lang: Lang) -> Option<SpendingChart> {
    shown(report, Metric::Spending)?;
    let daily = report.daily.as_ref()?;
    let (first, last) = (daily.days.first()?, daily.days.last()?);
    // The types in the report's order, each only if it spent something in these days.
    let mut kinds: Vec<SpendingKind> = Vec::new();
    let parts = first.spending_parts.iter().map(|(part, _)| *part);
    for (i, part) in parts.enumerate() {
        let days: Vec<Day<Kopecks>> = daily
            .days
            .iter()
            .map(|d| Day::new(d.date, d.spending_parts.get(i).and_then(|(_, v)| *v)))
            .collect();
        if days.iter().any(|d| d.value.is_some_and(|v| v.0 != 0)) {
            kinds.push(SpendingKind {
                label: capitalized(part_label(part, lang)),
                days,
            });
        }
    }
    // Without a breakdown, the total as one layer.
    if kinds.is_empty() {
        let days: Vec<Day<Kopecks>> = daily
            .days
            .iter()
            .map(|d| Day::new(d.date, d.spending))
            .collect();
        if days.iter().all(|d| d.value.is_none()) {
            return None;
        }
        kinds.push(SpendingKind {
            label: word(Word::Spending, lang).to_owned(),
            days,
        });
    }
    let cost_per_contact = if shown(report, Metric::CostPerContact).is_some() {
        daily
            .days
            .iter()
            .map(|d| Day::new(d.date, cost_per_contact(d)))
            .collect()
    } else {
        Vec::new()
    };
    Some(SpendingChart {
        title: titled(&report.profile, Word::Spending, lang),
        lang,
        from: first.date,
        to: last.date,
        kinds,
        cost_per_contact,
        marked_day: marked_day(report),
    })
}

/// A day's spending per contact, computed as the report computes the period's; none on a
/// day without contacts.
pub fn cost_per_contact(day: &DayFigures) -> Option<Kopecks> {
    match (day.spending, day.contacts) {
        (Some(spent), Some(contacts)) if contacts > 0 => {
            Some(Kopecks::from_api(spent.0 as f64 / contacts as f64))
        }
        _ => None,
    }
}

/// Each profile's views, contacts and spending over the period, as its section shows them; a
/// profile that could not be reported is listed with dashes.
pub fn profiles_chart(report: &CombinedReport, lang: Lang) -> Option<ProfilesChart> {
    let count = |r: &ProfileReport, m| match shown(r, m) {
        Some(Value::Count(n)) => Some(*n),
        _ => None,
    };
    let profiles: Vec<ProfileBar> = report
        .sections
        .iter()
        .map(|s| match s {
            Section::Ok { report: r } => ProfileBar {
                name: r.profile.clone(),
                views: count(r, Metric::Views),
                contacts: count(r, Metric::Contacts),
                spending: match shown(r, Metric::Spending) {
                    Some(Value::Money(k)) => Some(*k),
                    _ => None,
                },
            },
            Section::Failed { profile, .. } => ProfileBar {
                name: profile.clone(),
                views: None,
                contacts: None,
                spending: None,
            },
        })
        .collect();
    let any = profiles
        .iter()
        .any(|p| p.views.is_some() || p.contacts.is_some() || p.spending.is_some());
    any.then(|| ProfilesChart {
        title: String::new(),
        lang,
        from: report.period.from,
        to: report.period.to,
        profiles,
    })
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Draws `charts`; one that cannot be drawn is logged and left out, so it never holds up the
/// report's text.
pub fn render_all(charts: &[NamedChart]) -> Vec<RenderedChart> {
    charts
        .iter()
        .filter_map(|c| match draw::render(&c.chart) {
            Ok(png) => Some(RenderedChart {
                file_name: format!("{}.png", c.name),
                png,
            }),
            Err(e) => {
                tracing::warn!(chart = c.name, error = %e, "chart left out of the report");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;
    use crate::avito::AvitoError;
    use crate::avito::model::{Analytics, AnalyticsGroup};
    use crate::report::build::build;
    use crate::report::fetch::{Fetched, chart_window};
    use crate::report::metrics::MetricSet;
    use crate::report::model::{Part, Value};
    use crate::report::period::Period;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    /// Stats v2 day groups from `from` for `n` days; `skip(i)` leaves a day out (Avito had
    /// nothing), `slugs` names the metrics Avito returns.
    fn groups(
        from: NaiveDate,
        n: i64,
        slugs: &[&str],
        skip: impl Fn(i64) -> bool,
    ) -> Vec<AnalyticsGroup> {
        (0..n)
            .filter(|i| !skip(*i))
            .map(|i| {
                let date = from + Duration::days(i);
                let k = (i % 5 + 1) as f64;
                let metrics = slugs
                    .iter()
                    .map(|slug| {
                        let v = match *slug {
                            "views" => 300.0 + 17.0 * k + i as f64,
                            "contacts" => 4.0 + k,
                            "presenceSpending" => 15_000.0 * k,
                            "promoSpending" => 9_950.0 + 100.0 * i as f64,
                            "commission" => 0.0,
                            "restSpending" => 1_234.0,
                            "spendingBonus" => 500.0,
                            _ => 1.0,
                        };
                        ((*slug).to_owned(), v)
                    })
                    .collect::<std::collections::BTreeMap<_, _>>();
                let mut metrics = metrics;
                // allSpending is the sum of the types, as Avito counts it.
                if slugs.contains(&"allSpending") {
                    let all: f64 = [
                        "presenceSpending",
                        "promoSpending",
                        "commission",
                        "restSpending",
                        "spendingBonus",
                    ]
                    .iter()
                    .filter_map(|s| metrics.get(*s))
                    .sum();
                    metrics.insert("allSpending".into(), all);
                }
                AnalyticsGroup {
                    id: date.and_hms_opt(0, 0, 0).expect("t").and_utc().timestamp(),
                    kind: "day".into(),
                    metrics,
                }
            })
            .collect()
    }

    const ALL_SLUGS: &[&str] = &[
        "views",
        "contacts",
        "allSpending",
        "presenceSpending",
        "promoSpending",
        "commission",
        "restSpending",
        "spendingBonus",
    ];

    fn fetched(period: Period, groups: Vec<AnalyticsGroup>) -> Fetched {
        Fetched {
            account_id: Some(crate::domain::AccountId(1)),
            current: period,
            previous: Some(period.previous()),
            chart: chart_window(period),
            analytics: Some(Ok(Analytics {
                groups,
                timestamp: None,
            })),
            calls: None,
            wallet: None,
            cpa: None,
            top_items: None,
            listings: None,
            listings_beyond: None,
            rating: None,
        }
    }

    fn report(fetched: &Fetched, metrics: &MetricSet) -> ProfileReport {
        let rating = crate::report::rating::RatingContext::default();
        build("Ромашка", fetched, metrics, "Europe/Moscow", &rating)
    }

    fn line(report: &ProfileReport, metric: Metric) -> (&Value, Option<&Value>) {
        let l = report
            .lines
            .iter()
            .find(|l| l.metric == metric)
            .expect("the line");
        (&l.value, l.previous.as_ref())
    }

    fn kopecks(days: &[Day<Kopecks>]) -> i64 {
        days.iter().filter_map(|d| d.value).map(|k| k.0).sum()
    }

    fn count(v: Option<&Value>) -> i64 {
        match v {
            Some(Value::Count(n)) => *n,
            other => panic!("a count, not {other:?}"),
        }
    }

    fn money(v: Option<&Value>) -> i64 {
        match v {
            Some(Value::Money(k)) => k.0,
            other => panic!("money, not {other:?}"),
        }
    }

    #[test]
    fn the_plotted_series_equal_the_reports_numbers() {
        let period = Period::new(day(11, 10), day(11, 16));
        // Both weeks, a day without any group in each (it counts as zero in the totals).
        let f = fetched(
            period,
            groups(day(11, 3), 14, ALL_SLUGS, |i| i == 2 || i == 11),
        );
        let r = report(&f, &MetricSet::all());
        let charts = profile_charts(&r, Lang::Ru);
        assert_eq!(
            charts.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["daily", "spending"]
        );

        let daily = daily_chart(&r, Lang::Ru).expect("a daily chart");
        assert_eq!((daily.from, daily.to), (period.from, period.to));
        assert_eq!(daily.previous_from, Some(day(11, 3)));
        assert_eq!(daily.marked_day, None);
        for (series, metric) in daily.series.iter().zip([Metric::Views, Metric::Contacts]) {
            assert_eq!(series.current.len(), 7);
            assert_eq!(series.previous.len(), 7);
            let (value, previous) = line(&r, metric);
            let total = |days: &[Day<i64>]| days.iter().filter_map(|d| d.value).sum::<i64>();
            assert_eq!(total(&series.current), count(Some(value)), "{metric:?}");
            assert_eq!(total(&series.previous), count(previous), "{metric:?}");
            // 14 November (day 11 of the groups) had no group: a zero, as in the totals.
            assert_eq!(series.current[4].value, Some(0), "{metric:?}");
        }

        let spending = spending_chart(&r, Lang::Ru).expect("a spending chart");
        let (total, _) = line(&r, Metric::Spending);
        let stacked: i64 = spending.kinds.iter().map(|k| kopecks(&k.days)).sum();
        assert_eq!(stacked, money(Some(total)));
        // Each layer is the report's part of the same name; a type that spent nothing
        // (commission) is no layer.
        let parts = &r
            .lines
            .iter()
            .find(|l| l.metric == Metric::Spending)
            .expect("spending")
            .parts;
        assert_eq!(spending.kinds.len(), parts.len());
        for (kind, part) in spending.kinds.iter().zip(parts) {
            assert_eq!(
                kind.label.to_lowercase(),
                part_label(part.part, Lang::Ru).to_lowercase()
            );
            assert_eq!(kopecks(&kind.days), money(Some(&part.value)));
        }
        assert!(!parts.iter().any(|p| p.part == Part::SpendingCommission));
        // Cost per contact per day: that day's spending over its contacts.
        assert_eq!(spending.cost_per_contact.len(), 7);
        let d = &r.daily.as_ref().expect("figures").days[0];
        let expected = d.spending.expect("spent").0 as f64 / d.contacts.expect("contacts") as f64;
        assert_eq!(
            spending.cost_per_contact[0].value,
            Some(Kopecks(expected.round() as i64))
        );
        // The day without contacts has no cost per contact (never zero).
        assert_eq!(spending.cost_per_contact[4].value, None);
    }

    #[test]
    fn a_missing_metric_is_left_out_never_zero() {
        let period = Period::new(day(11, 10), day(11, 16));
        // Avito returns no contacts at all, and one day lacks views.
        let mut g = groups(day(11, 3), 14, &["views", "allSpending"], |_| false);
        g[9].metrics.remove("views");
        let r = report(&fetched(period, g), &MetricSet::all());
        assert!(line(&r, Metric::Contacts).0.missing());
        let daily = daily_chart(&r, Lang::En).expect("views still chart");
        assert_eq!(daily.series.len(), 1);
        assert_eq!(daily.series[0].metric, DailyMetric::Views);
        assert_eq!(daily.series[0].current[2].value, None, "a gap, not a zero");
        let spending = spending_chart(&r, Lang::En).expect("spending");
        assert!(spending.cost_per_contact.iter().all(|d| d.value.is_none()));
        // Without a breakdown, the total is the only layer.
        assert_eq!(spending.kinds.len(), 1);
        assert_eq!(spending.kinds[0].label, "Spending");
        assert_eq!(
            kopecks(&spending.kinds[0].days),
            money(Some(line(&r, Metric::Spending).0))
        );

        // Not selected: not charted.
        let only_views = MetricSet::parse_list("views").expect("metrics");
        let r = report(
            &fetched(period, groups(day(11, 3), 14, ALL_SLUGS, |_| false)),
            &only_views,
        );
        assert!(spending_chart(&r, Lang::En).is_none());
        let daily = daily_chart(&r, Lang::En).expect("views");
        assert_eq!(daily.series.len(), 1);

        // Statistics that failed: no charts at all, the text goes alone.
        let mut f = fetched(period, Vec::new());
        f.analytics = Some(Err(AvitoError::Unavailable {
            operation: crate::avito::Operation::ItemAnalytics,
            attempts: 4,
            detail: "down".into(),
        }));
        assert!(profile_charts(&report(&f, &MetricSet::all()), Lang::Ru).is_empty());
    }

    #[test]
    fn a_one_day_report_charts_the_last_14_days_with_its_day_marked() {
        let period = Period::new(day(11, 20), day(11, 20));
        let f = fetched(period, groups(day(11, 7), 14, ALL_SLUGS, |_| false));
        assert_eq!(f.chart, Period::new(day(11, 7), day(11, 20)));
        let r = report(&f, &MetricSet::all());
        let daily = daily_chart(&r, Lang::Ru).expect("daily");
        assert_eq!((daily.from, daily.to), (day(11, 7), day(11, 20)));
        assert_eq!(daily.marked_day, Some(day(11, 20)));
        assert!(daily.series.iter().all(|s| s.previous.is_empty()));
        for (series, metric) in daily.series.iter().zip([Metric::Views, Metric::Contacts]) {
            assert_eq!(series.current.len(), 14);
            // The marked day is the reported day's number.
            assert_eq!(
                series.current[13].value,
                Some(count(Some(line(&r, metric).0))),
                "{metric:?}"
            );
        }
        let spending = spending_chart(&r, Lang::Ru).expect("spending");
        assert_eq!(spending.marked_day, Some(day(11, 20)));
        let last: i64 = spending
            .kinds
            .iter()
            .filter_map(|k| k.days[13].value)
            .map(|k| k.0)
            .sum();
        assert_eq!(last, money(Some(line(&r, Metric::Spending).0)));
    }

    #[test]
    fn profiles_side_by_side_are_the_sections_numbers() {
        let period = Period::new(day(11, 10), day(11, 16));
        let a = report(
            &fetched(period, groups(day(11, 3), 14, ALL_SLUGS, |_| false)),
            &MetricSet::all(),
        );
        let mut b = report(
            &fetched(period, groups(day(11, 3), 14, &["views"], |i| i == 8)),
            &MetricSet::all(),
        );
        b.profile = "Digital Store".into();
        let combined = CombinedReport {
            period,
            previous: Some(period.previous()),
            time_zone: "Europe/Moscow".into(),
            sections: vec![
                Section::Ok { report: a.clone() },
                Section::Ok { report: b.clone() },
                Section::Failed {
                    profile: "Шины".into(),
                    error: crate::report::model::Failure::Credentials,
                },
            ],
            total: Vec::new(),
            partial: true,
        };
        let charts = combined_charts(&combined, Lang::Ru);
        assert_eq!(charts.len(), 1);
        let Chart::Profiles(chart) = &charts[0].chart else {
            panic!("a profiles chart");
        };
        assert_eq!(chart.profiles.len(), 3);
        let bar = &chart.profiles[0];
        assert_eq!(bar.name, "Ромашка");
        assert_eq!(bar.views, Some(count(Some(line(&a, Metric::Views).0))));
        assert_eq!(
            bar.contacts,
            Some(count(Some(line(&a, Metric::Contacts).0)))
        );
        assert_eq!(
            bar.spending.map(|k| k.0),
            Some(money(Some(line(&a, Metric::Spending).0)))
        );
        let bar = &chart.profiles[1];
        assert_eq!(bar.views, Some(count(Some(line(&b, Metric::Views).0))));
        assert_eq!((bar.contacts, bar.spending), (None, None), "n/a is no bar");
        let bar = &chart.profiles[2];
        assert_eq!((bar.views, bar.contacts, bar.spending), (None, None, None));

        // One profile: its own charts.
        let single = CombinedReport {
            sections: vec![Section::Ok { report: a }],
            ..combined
        };
        let names: Vec<_> = combined_charts(&single, Lang::Ru)
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["daily", "spending"]);
    }

    #[test]
    fn a_reports_charts_render_as_pngs() {
        let period = Period::new(day(11, 20), day(11, 20));
        let f = fetched(period, groups(day(11, 7), 14, ALL_SLUGS, |_| false));
        let rendered = render_all(&profile_charts(&report(&f, &MetricSet::all()), Lang::En));
        let names: Vec<_> = rendered.iter().map(|c| c.file_name.as_str()).collect();
        assert_eq!(names, ["daily.png", "spending.png"]);
        for c in &rendered {
            assert!(c.png.bytes.starts_with(b"\x89PNG"));
            assert_eq!(
                (c.png.width, c.png.height),
                (super::super::WIDTH, super::super::HEIGHT)
            );
        }
    }
}
