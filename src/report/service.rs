//! What the bot and the scheduler call: build a report for one or many profiles and render it
//! as Telegram HTML messages. Failures never escape as errors: a profile that cannot be
//! reported gets a section saying what went wrong.

use crate::avito::AvitoClient;
use crate::domain::ProfileId;

use super::charts::{self, NamedChart, RenderedChart};
use super::engine;
use super::model::{Failure, Section};
use super::render::{self, Markup};
use super::split::{TELEGRAM_LIMIT, split_message};
// The inputs live in `input`; re-exported for the paths callers already use.
pub use super::input::{ProfileSource, ReportOptions, SecretUnreadable};

/// A report with what could not be fetched for it.
#[derive(Debug, Clone)]
pub struct CheckedReport {
    pub chunks: Vec<String>,
    /// What the report's charts draw (not drawn yet: see [`draw_charts`]).
    pub charts: Vec<NamedChart>,
    /// Why metrics could not be fetched (Avito unavailable, a request refused), one per
    /// metric that failed, typed so that a retry is decided on what failed.
    pub failures: Vec<Failure>,
    /// No metric could be fetched.
    pub all_failed: bool,
}

#[derive(Clone)]
pub struct ReportService {
    client: AvitoClient,
}

impl ReportService {
    pub fn new(client: AvitoClient) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &AvitoClient {
        &self.client
    }

    /// The report of one profile as Telegram HTML messages with what failed in it, or why
    /// it could not be made at all (the scheduler retries or tells the owner instead of
    /// sending a failure section).
    pub async fn profile_report_checked(
        &self,
        source: &ProfileSource,
        options: &ReportOptions,
    ) -> crate::avito::AvitoResult<CheckedReport> {
        let report = engine::profile_report(&self.client, source, options).await?;
        let failures: Vec<Failure> = report.fetch_failures().into_iter().cloned().collect();
        if failures.contains(&Failure::Credentials) {
            return Err(crate::avito::AvitoError::InvalidCredentials);
        }
        let all_failed = !report.lines.is_empty() && failures.len() == report.lines.len();
        let text = render::profile(&report, options.lang, Markup::Html);
        Ok(CheckedReport {
            chunks: split_message(&text, TELEGRAM_LIMIT),
            charts: charts::profile_charts(&report, options.lang),
            failures,
            all_failed,
        })
    }

    /// One combined report over `sources` (a section each and a total; a single source gives
    /// that profile's own report) as Telegram HTML messages of at most 4096 characters, with
    /// what its charts draw when `with_charts` (not drawn yet: see [`draw_charts`]), and the
    /// profiles whose keys Avito refused (their sections say so).
    pub async fn make_html(
        &self,
        sources: &[ProfileSource],
        options: &ReportOptions,
        with_charts: bool,
    ) -> MadeReport {
        let (text, charts, keys_refused) = if let [source] = sources {
            match engine::profile_report(&self.client, source, options).await {
                Ok(report) => (
                    render::profile(&report, options.lang, Markup::Html),
                    charts::profile_charts(&report, options.lang),
                    Vec::new(),
                ),
                // The section form says what went wrong, without fetching again.
                Err(e) => (
                    render::combined(
                        &engine::failed(source, &e, options),
                        options.lang,
                        Markup::Html,
                    ),
                    Vec::new(),
                    refused_ids(std::slice::from_ref(source), |_| {
                        matches!(e, crate::avito::AvitoError::InvalidCredentials)
                    }),
                ),
            }
        } else {
            let combined = engine::combined_report(&self.client, sources, options).await;
            let refused = refused_ids(sources, |i| {
                matches!(
                    combined.sections.get(i),
                    Some(Section::Failed {
                        error: Failure::Credentials,
                        ..
                    })
                )
            });
            (
                render::combined(&combined, options.lang, Markup::Html),
                charts::combined_charts(&combined, options.lang),
                refused,
            )
        };
        MadeReport {
            chunks: split_message(&text, TELEGRAM_LIMIT),
            charts: if with_charts { charts } else { Vec::new() },
            keys_refused,
        }
    }
}

/// A report made for a person waiting (Report now, a historical report, `/stats`).
#[derive(Debug, Clone)]
pub struct MadeReport {
    pub chunks: Vec<String>,
    pub charts: Vec<NamedChart>,
    /// Profiles whose keys Avito refused.
    pub keys_refused: Vec<ProfileId>,
}

/// The ids of the `sources` at the indexes `refused` picks.
fn refused_ids(sources: &[ProfileSource], refused: impl Fn(usize) -> bool) -> Vec<ProfileId> {
    sources
        .iter()
        .enumerate()
        .filter(|(i, _)| refused(*i))
        .map(|(_, s)| s.profile_id)
        .collect()
}

/// Draws `charts` off the async workers (tens of milliseconds of CPU each). One that cannot
/// be drawn is left out and logged: the text goes out all the same.
pub async fn draw_charts(charts: Vec<NamedChart>) -> Vec<RenderedChart> {
    if charts.is_empty() {
        return Vec::new();
    }
    match tokio::task::spawn_blocking(move || charts::render_all(&charts)).await {
        Ok(drawn) => drawn,
        Err(e) => {
            tracing::warn!(error = %e, "the report's charts were not drawn");
            Vec::new()
        }
    }
}

/// [`draw_charts`] as pictures to send: (file name, PNG bytes).
pub async fn chart_pictures(charts: Vec<NamedChart>) -> Vec<(String, Vec<u8>)> {
    draw_charts(charts)
        .await
        .into_iter()
        .map(|c| (c.file_name, c.png.bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Handlers and jobs run in `Send + 'static` futures: the service's must be `Send`.
    #[allow(dead_code)]
    fn report_futures_are_send(
        service: ReportService,
        sources: Vec<ProfileSource>,
        options: ReportOptions,
    ) {
        fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
        spawnable(async move { service.make_html(&sources, &options, true).await });
    }
}
