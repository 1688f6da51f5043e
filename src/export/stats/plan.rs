//! The statistics export's texts and choices, without I/O: its period from the row, its
//! status lines, its file name and how its errors are told.

use chrono::NaiveDate;

use super::StatsError;
use super::model::{Stage, StatsSnapshot, StatsSummary};
use crate::domain::Period;
use crate::export::plan::{self, Failure, count, elapsed};
use crate::export::texts::{X, x, xf};
use crate::i18n::Lang;
use crate::report::html_escape;

/// Only a row edited by hand lacks its period: nothing to ask Avito.
pub const NO_PERIOD: &str = "the statistics export has no period";

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The period a statistics row asks for (`since`..=`until`), if it has one.
pub fn period_of(since: Option<NaiveDate>, until: Option<NaiveDate>) -> Option<Period> {
    since.zip(until).map(|(f, t)| Period::new(f, t))
}

/// `name`, `from` and `to` for the status texts (the name HTML-escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names([(&'static str, String); 3]);

impl Names {
    pub fn new(name: &str, period: Period) -> Self {
        Self([
            ("name", html_escape(name)),
            ("from", iso(period.from)),
            ("to", iso(period.to)),
        ])
    }

    fn with<'a>(&'a self, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        self.0
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(more.iter().copied())
            .collect()
    }
}

pub fn queued_text(lang: Lang, names: &Names) -> String {
    xf(lang, X::StatsQueued, &names.with(&[]))
}

/// The status line: the stage, and pages of items done of those known.
pub fn progress_text(lang: Lang, names: &Names, s: &StatsSnapshot) -> String {
    let items = count(lang, s.items);
    let stage = match s.stage {
        Stage::Totals => x(lang, X::StatsStageTotals).to_owned(),
        Stage::Listing => xf(lang, X::StatsStageListing, &[("items", &items)]),
        Stage::Items | Stage::Writing => xf(lang, X::StatsStageItems, &[("items", &items)]),
        Stage::Figures => xf(lang, X::StatsStageFigures, &[("items", &items)]),
    };
    let (done, known, took) = (
        count(lang, s.pages_done),
        count(lang, s.pages_known),
        elapsed(s.elapsed),
    );
    xf(
        lang,
        X::StatsProgress,
        &names.with(&[
            ("stage", &stage),
            ("done", &done),
            ("known", &known),
            ("elapsed", &took),
        ]),
    )
}

/// What changes the status line (its elapsed time alone does not).
pub fn progress_key(s: &StatsSnapshot) -> [u64; 4] {
    [s.stage as u64, s.items, s.pages_done, s.pages_known]
}

pub fn done_text(lang: Lang, names: &Names, summary: &StatsSummary, s: &StatsSnapshot) -> String {
    let (days, items, rows, took) = (
        count(lang, summary.days as u64),
        count(lang, summary.items as u64),
        count(lang, summary.rows as u64),
        elapsed(s.elapsed),
    );
    let done = xf(
        lang,
        X::StatsDone,
        &names.with(&[
            ("days", &days),
            ("items", &items),
            ("rows", &rows),
            ("elapsed", &took),
        ]),
    );
    match &summary.listings_failed {
        Some(reason) => {
            let reason = html_escape(reason);
            let note = xf(lang, X::StatsDoneNoFigures, &[("reason", &reason)]);
            format!("{}\n{note}", done.trim_end())
        }
        None => done,
    }
}

pub fn failed_text(lang: Lang, names: &Names, reason: &str) -> String {
    xf(lang, X::StatsFailed, &names.with(&[("reason", reason)]))
}

/// The document's caption: plain text, the name as it is.
pub fn caption(lang: Lang, name: &str, period: Period) -> String {
    xf(
        lang,
        X::StatsFileCaption,
        &[
            ("name", name),
            ("from", &iso(period.from)),
            ("to", &iso(period.to)),
        ],
    )
}

/// `avito-stats-<profile>-<from>-<to>.xlsx`, with the profile name reduced to safe characters.
pub fn file_name(name: &str, period: Period) -> String {
    format!(
        "avito-stats-{}-{}-{}.xlsx",
        plan::safe_name(name),
        iso(period.from),
        iso(period.to)
    )
}

/// How a failed statistics export is told.
pub fn failure(lang: Lang, e: StatsError) -> Failure {
    match e {
        StatsError::Avito { what, source } => plan::avito_failure(lang, what, &source),
        StatsError::Write(w) => plan::file_failure(lang, &w),
        StatsError::WriterGone => plan::internal(lang, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::avito::AvitoError;
    use crate::export::plan::Cause;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn snapshot(stage: Stage, done: u64, known: u64) -> StatsSnapshot {
        StatsSnapshot {
            stage,
            items: 1_500,
            pages_known: known,
            pages_done: done,
            rows: 0,
            elapsed: Duration::from_secs(3),
        }
    }

    #[test]
    fn a_row_without_both_ends_of_its_period_cannot_run() {
        assert_eq!(period_of(Some(d("2026-03-01")), None), None);
        assert_eq!(period_of(None, Some(d("2026-03-01"))), None);
        assert_eq!(
            period_of(Some(d("2026-03-01")), Some(d("2026-03-07"))),
            Some(Period::new(d("2026-03-01"), d("2026-03-07")))
        );
    }

    #[test]
    fn the_status_line_says_the_stage_and_pages_done_of_known() {
        let names = Names::new("A&B", Period::new(d("2026-03-01"), d("2026-03-07")));
        let items = progress_text(Lang::En, &names, &snapshot(Stage::Items, 3, 8));
        assert!(
            items.contains("A&amp;B") && items.contains("2026-03-07"),
            "{items}"
        );
        assert!(items.contains('3') && items.contains('8') && items.contains("1,500"));
        let totals = progress_text(Lang::En, &names, &snapshot(Stage::Totals, 0, 0));
        assert!(
            totals.contains(x(Lang::En, X::StatsStageTotals)),
            "{totals}"
        );
        assert_ne!(
            progress_key(&snapshot(Stage::Listing, 0, 0)),
            progress_key(&snapshot(Stage::Items, 0, 0)),
            "a new stage is shown"
        );
        let figures = progress_text(Lang::En, &names, &snapshot(Stage::Figures, 8, 8));
        assert!(figures.contains("once a minute"), "{figures}");
        assert_ne!(
            progress_key(&snapshot(Stage::Items, 8, 8)),
            progress_key(&snapshot(Stage::Figures, 8, 8)),
            "waiting for the per-listing figures is shown"
        );
    }

    #[test]
    fn a_workbook_without_the_per_listing_figures_says_so_when_done() {
        let names = Names::new("Shop", Period::new(d("2026-03-01"), d("2026-03-07")));
        let mut summary = StatsSummary {
            days: 7,
            items: 450,
            rows: 3_150,
            truncated: false,
            size: 1,
            listings_failed: None,
        };
        let s = snapshot(Stage::Writing, 3, 3);
        let plain = done_text(Lang::En, &names, &summary, &s);
        assert!(!plain.contains("impressions"), "{plain}");
        summary.listings_failed = Some("Avito answered <400>".into());
        let noted = done_text(Lang::En, &names, &summary, &s);
        assert!(noted.starts_with(plain.trim_end()), "{noted}");
        assert!(noted.contains("Avito answered &lt;400&gt;"), "{noted}");
    }

    #[test]
    fn files_and_failures_of_the_statistics_export() {
        let period = Period::new(d("2026-03-01"), d("2026-03-07"));
        assert_eq!(
            file_name("Shop 1", period),
            "avito-stats-Shop_1-2026-03-01-2026-03-07.xlsx"
        );
        let f = failure(
            Lang::En,
            StatsError::Avito {
                what: "the daily totals",
                source: AvitoError::InvalidCredentials,
            },
        );
        assert_eq!(f.cause, Cause::KeysRefused);
        assert!(f.detail.starts_with("the daily totals: "), "{}", f.detail);
        assert_eq!(
            failure(Lang::En, StatsError::WriterGone).cause,
            Cause::Internal
        );
    }
}
