//! What a chart is: its data, the picture it becomes and why it may not be drawn. A leaf:
//! every other file of the charts takes these.

use chrono::NaiveDate;

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
