//! Report charts as PNG pictures, drawn in process: data in, PNG bytes out, no I/O.
//!
//! Three kinds, each 1280×720 on white, with its words in Russian or English:
//! - [`DailyChart`]: counts per day (views, contacts, …), one panel per metric, the previous
//!   period as a faint dashed line; with a [`DailyChart::marked_day`] (a one-day report showing
//!   the last 14 days) the days are bars and the reported day stands out.
//! - [`SpendingChart`]: spending per day stacked by type, cost per contact as a line on a
//!   second axis.
//! - [`ProfilesChart`]: profiles side by side (views, contacts, spending), one column each.
//!
//! A missing value (`None`) is left out — a gap in a line, no bar, "—" — and never drawn as
//! zero; a metric missing everywhere is left out of the chart and its legend, and a chart with
//! nothing at all to draw is [`ChartError::NothingToDraw`] (send the text alone then).
//!
//! What a report's charts show is taken from the report itself by [`profile_charts`] and
//! [`combined_charts`] (`from_report`): the per-day figures its totals are summed from, and
//! only the metrics its text shows.
//!
//! Dates are calendar days as the report counts them, i.e. already in the task's time zone.
//! Text is drawn in DejaVu Sans, compiled in (`assets/fonts`): no system font is read.

mod canvas;
mod daily;
mod encode;
mod from_report;
mod layout;
mod profiles;
mod spending;

use chrono::NaiveDate;

pub use from_report::{
    NamedChart, RenderedChart, combined_charts, cost_per_contact, daily_chart, profile_charts,
    profiles_chart, render_all, spending_chart,
};

use crate::avito::money::Kopecks;
use crate::i18n::Lang;

/// Width of every chart, in pixels.
pub const WIDTH: u32 = 1280;
/// Height of every chart, in pixels.
pub const HEIGHT: u32 = 720;

/// The longest period a daily chart draws, in days.
pub const MAX_DAYS: usize = 400;

/// An encoded PNG picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Every value is missing (or there are no days or profiles): send the text alone.
    #[error("nothing to draw: every value of the chart is missing")]
    NothingToDraw,
    #[error("invalid chart: {0}")]
    Invalid(&'static str),
    #[error("the embedded chart font cannot be read")]
    Font,
    #[error("cannot allocate the chart's canvas")]
    Canvas,
    #[error("cannot encode the chart as PNG: {0}")]
    Encode(#[from] std::io::Error),
}

/// A value a chart can plot.
pub trait ChartValue: Copy {
    /// The value on the chart's axis (money in roubles).
    fn plot(self) -> f64;
}

impl ChartValue for i64 {
    fn plot(self) -> f64 {
        self as f64
    }
}

impl ChartValue for f64 {
    fn plot(self) -> f64 {
        self
    }
}

impl ChartValue for Kopecks {
    fn plot(self) -> f64 {
        self.to_roubles().0
    }
}

/// One day's value; `None` when it is unknown (never drawn as zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day<T> {
    pub date: NaiveDate,
    pub value: Option<T>,
}

impl<T> Day<T> {
    pub fn new(date: NaiveDate, value: Option<T>) -> Self {
        Day { date, value }
    }
}

/// A count a daily chart shows; it names the panel and picks its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DailyMetric {
    Views,
    Contacts,
    Favorites,
    Calls,
}

/// One metric of a daily chart.
#[derive(Debug, Clone, PartialEq)]
pub struct DailySeries {
    pub metric: DailyMetric,
    /// Days of the chart's period; a day not listed counts as missing.
    pub current: Vec<Day<i64>>,
    /// Days of the previous period, drawn faint under the current ones: day
    /// `previous_from + i` under day `from + i`. Empty for none.
    pub previous: Vec<Day<i64>>,
}

/// Counts per day over a period, one panel per metric.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyChart {
    /// Top left, e.g. the profile's name; empty for the default ("Views and contacts").
    pub title: String,
    pub lang: Lang,
    /// First day on the x axis.
    pub from: NaiveDate,
    /// Last day on the x axis (inclusive).
    pub to: NaiveDate,
    /// First day of the previous period; `None` for the period of the same length right
    /// before `from`.
    pub previous_from: Option<NaiveDate>,
    pub series: Vec<DailySeries>,
    /// The reported day of a one-day report: the days are drawn as bars and this one is
    /// highlighted with its value.
    pub marked_day: Option<NaiveDate>,
}

/// One spending type of a [`SpendingChart`] (a layer of the stacked bars).
#[derive(Debug, Clone, PartialEq)]
pub struct SpendingKind {
    /// As the report names it, e.g. "Продвижение".
    pub label: String,
    pub days: Vec<Day<Kopecks>>,
}

/// Spending per day stacked by type, and cost per contact on a second axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendingChart {
    /// Top left; empty for the default ("Spending").
    pub title: String,
    pub lang: Lang,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Bottom to top in the given order; the largest six are kept, the rest are summed as
    /// "Other".
    pub kinds: Vec<SpendingKind>,
    /// Empty or all missing for no line.
    pub cost_per_contact: Vec<Day<Kopecks>>,
    /// The reported day of a one-day report, highlighted.
    pub marked_day: Option<NaiveDate>,
}

/// One profile of a [`ProfilesChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileBar {
    pub name: String,
    pub views: Option<i64>,
    pub contacts: Option<i64>,
    pub spending: Option<Kopecks>,
}

/// Profiles side by side: one row per profile, a column of bars per metric.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfilesChart {
    /// Top left; empty for the default ("Profiles").
    pub title: String,
    pub lang: Lang,
    /// The period the numbers cover, for the line under the title.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// In the order to show, top to bottom.
    pub profiles: Vec<ProfileBar>,
}

/// Any chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Daily(DailyChart),
    Spending(SpendingChart),
    Profiles(ProfilesChart),
}

/// Renders any chart.
pub fn render(chart: &Chart) -> Result<Png, ChartError> {
    match chart {
        Chart::Daily(c) => render_daily(c),
        Chart::Spending(c) => render_spending(c),
        Chart::Profiles(c) => render_profiles(c),
    }
}

/// Renders counts per day.
pub fn render_daily(chart: &DailyChart) -> Result<Png, ChartError> {
    daily::render(chart)
}

/// Renders spending per day.
pub fn render_spending(chart: &SpendingChart) -> Result<Png, ChartError> {
    spending::render(chart)
}

/// Renders profiles side by side.
pub fn render_profiles(chart: &ProfilesChart) -> Result<Png, ChartError> {
    profiles::render(chart)
}

/// The chart's own words (in `locales/*/report.toml`, `chart_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    ViewsAndContacts,
    CurrentPeriod,
    PreviousPeriod,
    Spending,
    CostPerContact,
    Other,
    Profiles,
    Views,
    Contacts,
    Favorites,
    Calls,
}

fn word(w: Word, lang: Lang) -> &'static str {
    use crate::report::render::ReportText as T;
    let key = match w {
        Word::ViewsAndContacts => T::ChartViewsAndContacts,
        Word::CurrentPeriod => T::ChartCurrentPeriod,
        Word::PreviousPeriod => T::ChartPreviousPeriod,
        Word::Spending => T::ChartSpending,
        Word::CostPerContact => T::ChartCostPerContact,
        Word::Other => T::ChartOther,
        Word::Profiles => T::ChartProfiles,
        Word::Views => T::ChartViews,
        Word::Contacts => T::ChartContacts,
        Word::Favorites => T::ChartFavorites,
        Word::Calls => T::ChartCalls,
    };
    crate::i18n::text(lang, key)
}

/// "and 3 more", for profiles that did not fit.
fn more(hidden: usize, lang: Lang) -> String {
    crate::i18n::format(
        lang,
        crate::report::render::ReportText::ChartMore,
        &[("count", &hidden.to_string())],
    )
}

/// The title to draw: the caller's, or the chart's default.
fn title_or(title: &str, default: Word, lang: Lang) -> String {
    let title = title.trim();
    if title.is_empty() {
        word(default, lang).to_owned()
    } else {
        title.to_owned()
    }
}

/// The days from `from` to `to`, checked.
fn axis_days(from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, ChartError> {
    if to < from {
        return Err(ChartError::Invalid("the period ends before it starts"));
    }
    let n = (to - from).num_days() as usize + 1;
    if n > MAX_DAYS {
        return Err(ChartError::Invalid("the period is too long to draw by day"));
    }
    Ok(from.iter_days().take(n).collect())
}

/// The values of `days` placed on the axis of `slots` days starting at `start`: one entry per
/// axis day, `None` where the day is missing or not listed. A listed day outside the axis is
/// ignored; a day listed twice keeps its last value.
fn slot_values<T: ChartValue>(start: NaiveDate, slots: usize, days: &[Day<T>]) -> Vec<Option<f64>> {
    let mut out = vec![None; slots];
    for day in days {
        let i = (day.date - start).num_days();
        if (0..slots as i64).contains(&i) {
            out[i as usize] = day.value.map(ChartValue::plot).filter(|v| v.is_finite());
        }
    }
    out
}

/// The runs of consecutive known values, as (slot, value): each run is drawn as one line, so a
/// missing day is a gap, never a zero.
fn segments(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut run: Vec<(usize, f64)> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((i, *v)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

#[cfg(test)]
mod tests;
