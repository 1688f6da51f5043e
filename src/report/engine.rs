//! Building reports: one profile, or many concurrently with a bound.

use sea_orm::DatabaseConnection;

use crate::avito::{AvitoClient, AvitoError, AvitoResult};
use crate::domain::{clock, dates};

use super::build;
pub use super::build::totals;
use super::fetch::fetch_profile;
use super::input::{ProfileSource, ReportOptions};
use super::model::{CombinedReport, ProfileReport, Section};
use super::rating::{self, RatingContext, ReviewWindow};

/// Where the rating's daily snapshots are kept: `None` (the command line, tests) shows the
/// rating with no change since the period began.
pub type History<'a> = Option<&'a DatabaseConnection>;

/// Profiles fetched at once for a combined report. Each profile's own requests are paced per
/// account, so this bounds sockets and memory, not Avito's limits.
/// High enough that a team's `/stats` over dozens of profiles takes about as long as one.
pub const CONCURRENT_PROFILES: usize = 64;

/// The report of one profile, with its top items.
pub async fn profile_report(
    client: &AvitoClient,
    source: &ProfileSource,
    options: &ReportOptions,
) -> AvitoResult<ProfileReport> {
    report_of(client, source, options, true, None).await
}

/// [`profile_report`] that records the rating's snapshot of the day and compares with the
/// one the period began with.
pub async fn profile_report_kept(
    client: &AvitoClient,
    source: &ProfileSource,
    options: &ReportOptions,
    history: History<'_>,
) -> AvitoResult<ProfileReport> {
    report_of(client, source, options, true, history).await
}

async fn report_of(
    client: &AvitoClient,
    source: &ProfileSource,
    options: &ReportOptions,
    with_top_items: bool,
    history: History<'_>,
) -> AvitoResult<ProfileReport> {
    let fetched = fetch_profile(
        client,
        source,
        options.period,
        &options.metrics,
        with_top_items,
        options.deadline,
        super::listings::wanted(&options.metrics, options.period).then_some(options.listings),
    )
    .await?;
    let rating = rating_context(history, source, options, &fetched).await;
    Ok(build::build(
        &source.name,
        &fetched,
        &options.metrics,
        options.tz.name(),
        &rating,
    ))
}

/// The period's instants for its new reviews, and the snapshot it began with; records
/// today's snapshot (the day's first stays). A database that fails costs only the change.
async fn rating_context(
    history: History<'_>,
    source: &ProfileSource,
    options: &ReportOptions,
    fetched: &super::fetch::Fetched,
) -> RatingContext {
    let window = ReviewWindow::of(options.period, options.tz);
    let (Some(db), Some(Ok(fetch))) = (history, &fetched.rating) else {
        return RatingContext {
            window,
            baseline: None,
        };
    };
    let profile_id = source.profile_id;
    let baseline = crate::db::ratings::at_or_before(db, profile_id, options.period.from)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(profile_id = profile_id.0, error = %e, "rating snapshots not read");
            None
        });
    let today = rating::snapshot_of(&fetch.info, dates::avito_today(), clock::now().timestamp());
    if let Some(snapshot) = today
        && let Err(e) = crate::db::ratings::record(db, profile_id, &snapshot).await
    {
        tracing::warn!(profile_id = profile_id.0, error = %e, "rating snapshot not stored");
    }
    RatingContext { window, baseline }
}

/// One report over `sources`: a section each (a failing profile's section says why) and a
/// total. Profiles are fetched concurrently; sections keep the order of `sources`.
pub async fn combined_report(
    client: &AvitoClient,
    sources: &[ProfileSource],
    options: &ReportOptions,
) -> CombinedReport {
    // A single profile keeps its top items; many profiles keep the message short.
    combined_report_with(client, sources, options, sources.len() == 1).await
}

/// [`combined_report`] keeping the rating's snapshots (see [`profile_report_kept`]).
pub async fn combined_report_kept(
    client: &AvitoClient,
    sources: &[ProfileSource],
    options: &ReportOptions,
    history: History<'_>,
) -> CombinedReport {
    combined_of(client, sources, options, sources.len() == 1, history).await
}

/// [`combined_report`] with the top-items choice made by the caller.
pub async fn combined_report_with(
    client: &AvitoClient,
    sources: &[ProfileSource],
    options: &ReportOptions,
    with_top_items: bool,
) -> CombinedReport {
    combined_of(client, sources, options, with_top_items, None).await
}

async fn combined_of(
    client: &AvitoClient,
    sources: &[ProfileSource],
    options: &ReportOptions,
    with_top_items: bool,
    history: History<'_>,
) -> CombinedReport {
    // A plain loop of `async fn` futures under a semaphore, not a stream combinator with an
    // async closure: the latter's future is not provably `Send` (rustc's higher-ranked
    // lifetime limits), and handlers and jobs must be able to await this.
    let permits = tokio::sync::Semaphore::new(CONCURRENT_PROFILES);
    let mut pending = Vec::with_capacity(sources.len());
    for source in sources {
        pending.push(section_of(
            client,
            source,
            options,
            (with_top_items, history),
            &permits,
        ));
    }
    let sections: Vec<Section> = futures::future::join_all(pending).await;
    combine(sections, options)
}

/// The combined report of `sections`: totals over the profiles that reported, partial when
/// a value or a profile is missing, compared with the period the reports were compared with.
pub fn combine(sections: Vec<Section>, options: &ReportOptions) -> CombinedReport {
    let reports: Vec<&ProfileReport> = sections
        .iter()
        .filter_map(|s| match s {
            Section::Ok { report } => Some(report),
            Section::Failed { .. } => None,
        })
        .collect();
    let (total, partial_values) = build::totals(&reports, &options.metrics);
    let any_failed = reports.len() < sections.len();
    // With no report to say otherwise, the failure sections name the usual previous period.
    let previous = if reports.is_empty() {
        Some(options.period.previous())
    } else {
        reports.iter().find_map(|r| r.previous)
    };
    CombinedReport {
        period: options.period,
        previous,
        time_zone: options.tz.name().to_owned(),
        sections,
        total,
        partial: partial_values || any_failed,
    }
}

async fn section_of(
    client: &AvitoClient,
    source: &ProfileSource,
    options: &ReportOptions,
    (with_top_items, history): (bool, History<'_>),
    permits: &tokio::sync::Semaphore,
) -> Section {
    // The semaphore is never closed, so acquiring only waits.
    let _permit = permits.acquire().await.ok();
    match report_of(client, source, options, with_top_items, history).await {
        Ok(report) => Section::Ok { report },
        Err(e) => {
            tracing::warn!(profile_id = source.profile_id.0, error = %e, "profile left out of the report");
            Section::Failed {
                profile: source.name.clone(),
                error: (&e).into(),
            }
        }
    }
}

/// A report of one profile that could not be fetched.
pub fn failed(
    source: &ProfileSource,
    error: &AvitoError,
    options: &ReportOptions,
) -> CombinedReport {
    CombinedReport {
        period: options.period,
        previous: Some(options.period.previous()),
        time_zone: options.tz.name().to_owned(),
        sections: vec![Section::Failed {
            profile: source.name.clone(),
            error: error.into(),
        }],
        total: Vec::new(),
        partial: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avito::Credentials;
    use crate::domain::ProfileId;
    use crate::i18n::Lang;
    use crate::report::model::{Failure, MetricLine, Value};
    use crate::report::{Metric, MetricSet, Period};
    use chrono::NaiveDate;

    fn options() -> ReportOptions {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).expect("date");
        ReportOptions {
            period: Period::new(d(1), d(30)),
            metrics: MetricSet::from_iter([Metric::Views]),
            tz: chrono_tz::Europe::Moscow,
            lang: Lang::Ru,
            deadline: None,
            listings: crate::listings::fetch::Reuse::Ask,
        }
    }

    fn ok(views: i64, previous: Option<Period>) -> Section {
        Section::Ok {
            report: ProfileReport {
                profile: "Shop".into(),
                account_id: None,
                period: options().period,
                previous,
                time_zone: "Europe/Moscow".into(),
                lines: vec![MetricLine::new(Metric::Views, Value::Count(views), None)],
                top_items: Vec::new(),
                listings: None,
                notes: Vec::new(),
                daily: None,
            },
        }
    }

    fn down() -> Section {
        Section::Failed {
            profile: "Down".into(),
            error: Failure::Unavailable("no answer".into()),
        }
    }

    fn views(report: &CombinedReport) -> Option<&Value> {
        report
            .total
            .iter()
            .find(|l| l.metric == Metric::Views)
            .map(|l| &l.value)
    }

    #[test]
    fn the_total_sums_the_profiles_that_reported() {
        let combined = combine(vec![ok(5, None), ok(7, None)], &options());
        assert_eq!(views(&combined), Some(&Value::Count(12)));
        assert!(!combined.partial);
        assert_eq!(combined.sections.len(), 2);
        assert_eq!(combined.time_zone, "Europe/Moscow");
    }

    #[test]
    fn a_profile_left_out_makes_the_total_partial() {
        let combined = combine(vec![ok(5, None), down()], &options());
        assert_eq!(views(&combined), Some(&Value::Count(5)));
        assert!(combined.partial);
    }

    #[test]
    fn the_previous_period_is_the_reports_or_the_usual_one_when_none_reported() {
        let period = options().period;
        let compared = Some(period.previous());
        assert_eq!(
            combine(vec![ok(1, None), ok(2, compared)], &options()).previous,
            compared
        );
        assert_eq!(combine(vec![ok(1, None)], &options()).previous, None);
        let none = combine(vec![down()], &options());
        assert_eq!(none.previous, compared);
        assert!(none.partial);
    }

    #[test]
    fn a_profile_that_could_not_be_fetched_is_a_failed_section() {
        let source = ProfileSource {
            profile_id: ProfileId(3),
            name: "Shop".into(),
            credentials: Credentials::new("client", "secret").expect("credentials"),
            avito_user_id: None,
        };
        let report = failed(&source, &AvitoError::InvalidCredentials, &options());
        assert_eq!(
            report.sections,
            vec![Section::Failed {
                profile: "Shop".into(),
                error: Failure::Credentials,
            }]
        );
        assert!(report.partial && report.total.is_empty());
    }
}
