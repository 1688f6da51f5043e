//! Any chart to its picture: the entry of each kind's drawing.

use super::model::{Chart, ChartError, DailyChart, Png, ProfilesChart, SpendingChart};
use super::{daily, profiles, spending};

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
