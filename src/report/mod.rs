//! The report engine: metrics, periods, fetching for one or many profiles, aggregation and
//! rendering. It never sends messages itself.

mod build;
pub mod charts;
pub mod engine;
pub mod fetch;
pub mod format;
pub mod model;
pub use crate::domain::metric as metrics;
pub use crate::domain::period;
pub mod render;
pub mod service;
pub mod split;

pub use metrics::{Metric, MetricSet, Unit};
pub use period::{Period, PeriodError, PeriodKind};
pub use render::Markup;
pub use service::{ProfileSource, ReportOptions, ReportService};

/// Escapes text for Telegram's HTML parse mode.
pub fn html_escape(text: &str) -> String {
    teloxide::utils::html::escape(text)
}
