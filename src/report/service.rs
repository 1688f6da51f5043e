//! What the bot and the scheduler call: build a report for one or many profiles and render it
//! as Telegram HTML messages. Failures never escape as errors: a profile that cannot be
//! reported gets a section saying what went wrong.

use crate::avito::{AvitoClient, AvitoError, AvitoResult};
use crate::domain::ProfileId;
use crate::i18n::Lang;

use super::charts::{self, NamedChart, RenderedChart};
use super::engine;
use super::model::{CombinedReport, Failure, ProfileReport, Section};
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
    /// Where the rating's daily snapshots are kept (see `engine::History`).
    history: Option<sea_orm::DatabaseConnection>,
}

impl ReportService {
    pub fn new(client: AvitoClient) -> Self {
        Self {
            client,
            history: None,
        }
    }

    /// Records the rating's daily snapshots in `db` and compares with them.
    pub fn with_history(self, db: sea_orm::DatabaseConnection) -> Self {
        Self {
            history: Some(db),
            ..self
        }
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
        let report =
            engine::profile_report_kept(&self.client, source, options, self.history.as_ref())
                .await?;
        checked(&report, options.lang)
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
        let made = if let [source] = sources {
            let history = self.history.as_ref();
            let report = engine::profile_report_kept(&self.client, source, options, history).await;
            made_single(source, report, options)
        } else {
            let history = self.history.as_ref();
            let combined =
                engine::combined_report_kept(&self.client, sources, options, history).await;
            made_combined(sources, &combined, options)
        };
        if with_charts {
            made
        } else {
            MadeReport {
                charts: Vec::new(),
                ..made
            }
        }
    }
}

/// A fetched report for the scheduler: refused keys fail it as a whole (the owner is told
/// instead of getting a failure section); other failures go with it, typed, so that a retry
/// is decided on what failed.
pub fn checked(report: &ProfileReport, lang: Lang) -> AvitoResult<CheckedReport> {
    let failures: Vec<Failure> = report.fetch_failures().into_iter().cloned().collect();
    if failures.contains(&Failure::Credentials) {
        return Err(AvitoError::InvalidCredentials);
    }
    let all_failed = !report.lines.is_empty() && failures.len() == report.lines.len();
    let text = render::profile(report, lang, Markup::Html);
    Ok(CheckedReport {
        chunks: split_message(&text, TELEGRAM_LIMIT),
        charts: charts::profile_charts(report, lang),
        failures,
        all_failed,
    })
}

/// A single profile's report for a person waiting; when it could not be made, its section
/// says what went wrong (without fetching again).
pub fn made_single(
    source: &ProfileSource,
    report: AvitoResult<ProfileReport>,
    options: &ReportOptions,
) -> MadeReport {
    match report {
        Ok(report) => MadeReport {
            chunks: split_message(
                &render::profile(&report, options.lang, Markup::Html),
                TELEGRAM_LIMIT,
            ),
            charts: charts::profile_charts(&report, options.lang),
            keys_refused: Vec::new(),
        },
        Err(e) => {
            let failed = engine::failed(source, &e, options);
            let keys_refused = if matches!(e, AvitoError::InvalidCredentials) {
                vec![source.profile_id]
            } else {
                Vec::new()
            };
            MadeReport {
                chunks: split_message(
                    &render::combined(&failed, options.lang, Markup::Html),
                    TELEGRAM_LIMIT,
                ),
                charts: Vec::new(),
                keys_refused,
            }
        }
    }
}

/// A combined report for a person waiting, with the profiles whose keys Avito refused.
pub fn made_combined(
    sources: &[ProfileSource],
    combined: &CombinedReport,
    options: &ReportOptions,
) -> MadeReport {
    let refused = |i: usize| {
        matches!(
            combined.sections.get(i),
            Some(Section::Failed {
                error: Failure::Credentials,
                ..
            })
        )
    };
    MadeReport {
        chunks: split_message(
            &render::combined(combined, options.lang, Markup::Html),
            TELEGRAM_LIMIT,
        ),
        charts: charts::combined_charts(combined, options.lang),
        keys_refused: refused_ids(sources, refused),
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
    use crate::avito::{Credentials, Operation};
    use crate::report::model::{MetricLine, Missing, Value};
    use crate::report::{Metric, MetricSet, Period};
    use chrono::NaiveDate;

    fn options() -> ReportOptions {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        ReportOptions {
            period: Period::new(day, day),
            metrics: MetricSet::from_iter([Metric::Views, Metric::Calls]),
            tz: chrono_tz::Europe::Moscow,
            lang: Lang::En,
            deadline: None,
            listings: crate::listings::fetch::Reuse::Ask,
        }
    }

    fn source(id: i64, name: &str) -> ProfileSource {
        ProfileSource {
            profile_id: ProfileId(id),
            name: name.to_owned(),
            credentials: Credentials::new("client", "secret").expect("credentials"),
            avito_user_id: None,
        }
    }

    fn report(values: Vec<(Metric, Value)>) -> ProfileReport {
        let period = options().period;
        ProfileReport {
            profile: "Shop".into(),
            account_id: None,
            period,
            previous: Some(period.previous()),
            time_zone: "Europe/Moscow".into(),
            lines: values
                .into_iter()
                .map(|(m, v)| MetricLine::new(m, v, None))
                .collect(),
            top_items: Vec::new(),
            listings: None,
            notes: Vec::new(),
            daily: None,
        }
    }

    fn failed(f: Failure) -> Value {
        Value::Missing(Missing::Failed(f))
    }

    fn unavailable() -> AvitoError {
        AvitoError::Unavailable {
            operation: Operation::ItemAnalytics,
            attempts: 3,
            detail: "timeout".into(),
        }
    }

    #[test]
    fn a_report_whose_every_metric_failed_is_all_failed() {
        let down = Failure::Unavailable("down".into());
        let all = report(vec![
            (Metric::Views, failed(down.clone())),
            (Metric::Calls, failed(down.clone())),
        ]);
        let checked = checked(&all, Lang::En).expect("made");
        assert!(checked.all_failed);
        assert_eq!(checked.failures, vec![down.clone(), down.clone()]);
        let some = report(vec![
            (Metric::Views, Value::Count(5)),
            (Metric::Calls, failed(down.clone())),
        ]);
        let checked = super::checked(&some, Lang::En).expect("made");
        assert!(!checked.all_failed);
        assert_eq!(checked.failures, vec![down]);
        assert!(!checked.chunks.is_empty());
        let empty = super::checked(&report(vec![]), Lang::En).expect("made");
        assert!(!empty.all_failed, "no metric is no failure");
    }

    #[test]
    fn refused_keys_fail_a_checked_report_as_a_whole() {
        let refused = report(vec![
            (Metric::Views, Value::Count(5)),
            (Metric::Calls, failed(Failure::Credentials)),
        ]);
        assert!(matches!(
            checked(&refused, Lang::En),
            Err(AvitoError::InvalidCredentials)
        ));
    }

    #[test]
    fn a_single_profile_that_failed_gets_a_section_saying_why() {
        let shop = source(7, "Shop");
        let made = made_single(&shop, Err(AvitoError::InvalidCredentials), &options());
        assert_eq!(made.keys_refused, vec![ProfileId(7)]);
        assert!(made.charts.is_empty());
        assert!(made.chunks.concat().contains("Shop"));
        let made = made_single(&shop, Err(unavailable()), &options());
        assert!(made.keys_refused.is_empty(), "only refused keys are named");
        assert!(!made.chunks.is_empty());
        let made = made_single(
            &shop,
            Ok(report(vec![(Metric::Views, Value::Count(5))])),
            &options(),
        );
        assert!(made.keys_refused.is_empty());
        assert!(!made.chunks.is_empty());
    }

    #[test]
    fn a_combined_report_names_the_profiles_whose_keys_were_refused() {
        let sources = [source(1, "One"), source(2, "Two"), source(3, "Three")];
        let sections = vec![
            Section::Ok {
                report: report(vec![(Metric::Views, Value::Count(5))]),
            },
            Section::Failed {
                profile: "Two".into(),
                error: Failure::Credentials,
            },
            Section::Failed {
                profile: "Three".into(),
                error: Failure::Unavailable("down".into()),
            },
        ];
        let combined = engine::combine(sections, &options());
        let made = made_combined(&sources, &combined, &options());
        assert_eq!(made.keys_refused, vec![ProfileId(2)]);
        let text = made.chunks.concat();
        assert!(text.contains("Two") && text.contains("Three"));
    }

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
