//! Building reports: one profile, or many concurrently with a bound.

use crate::avito::{AvitoClient, AvitoError, AvitoResult};

use super::build;
pub use super::build::totals;
use super::fetch::fetch_profile;
use super::input::{ProfileSource, ReportOptions};
use super::model::{CombinedReport, ProfileReport, Section};

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
    report_of(client, source, options, true).await
}

async fn report_of(
    client: &AvitoClient,
    source: &ProfileSource,
    options: &ReportOptions,
    with_top_items: bool,
) -> AvitoResult<ProfileReport> {
    let fetched = fetch_profile(
        client,
        source,
        options.period,
        &options.metrics,
        with_top_items,
        options.deadline,
    )
    .await?;
    Ok(build::build(
        &source.name,
        &fetched,
        &options.metrics,
        options.tz.name(),
    ))
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

/// [`combined_report`] with the top-items choice made by the caller.
pub async fn combined_report_with(
    client: &AvitoClient,
    sources: &[ProfileSource],
    options: &ReportOptions,
    with_top_items: bool,
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
            with_top_items,
            &permits,
        ));
    }
    let sections: Vec<Section> = futures::future::join_all(pending).await;
    let reports: Vec<&ProfileReport> = sections
        .iter()
        .filter_map(|s| match s {
            Section::Ok { report } => Some(report),
            Section::Failed { .. } => None,
        })
        .collect();
    let (total, partial_values) = build::totals(&reports, &options.metrics);
    let any_failed = reports.len() < sections.len();
    let previous = reports.iter().find_map(|r| r.previous);
    CombinedReport {
        period: options.period,
        previous: if reports.is_empty() {
            Some(options.period.previous())
        } else {
            previous
        },
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
    with_top_items: bool,
    permits: &tokio::sync::Semaphore,
) -> Section {
    // The semaphore is never closed, so acquiring only waits.
    let _permit = permits.acquire().await.ok();
    match report_of(client, source, options, with_top_items).await {
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
