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
//!
//! Files import only downwards: `model`, `words`, `series`, `encode` → `canvas` → `layout` →
//! `plot` (the layers the day charts share) → `daily`, `spending`, `profiles` (each `render`
//! a short sequence of layers) → `draw` → `from_report` → this file, which only re-exports.

mod canvas;
mod daily;
mod draw;
mod encode;
mod from_report;
mod layout;
mod model;
mod plot;
mod profiles;
mod series;
mod spending;
mod words;

pub use draw::{render, render_daily, render_profiles, render_spending};
pub use from_report::{
    NamedChart, RenderedChart, combined_charts, cost_per_contact, daily_chart, profile_charts,
    profiles_chart, render_all, spending_chart,
};
pub use model::{
    Chart, ChartError, ChartValue, DailyChart, DailyMetric, DailySeries, Day, HEIGHT, MAX_DAYS,
    Png, ProfileBar, ProfilesChart, SpendingChart, SpendingKind, WIDTH,
};

// What the unit tests reach through `super::*`.
#[cfg(test)]
use crate::{avito::money::Kopecks, i18n::Lang};
#[cfg(test)]
use series::{segments, slot_values};

#[cfg(test)]
mod tests;
