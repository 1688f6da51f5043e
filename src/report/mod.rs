//! The report engine: metrics, periods, fetching for one or many profiles, aggregation and
//! rendering. It never sends messages itself.

pub mod metrics;
pub mod period;
pub mod service;

pub use metrics::{Metric, MetricSet, Unit};
pub use period::{Period, PeriodError, PeriodKind};
pub use service::{ProfileSource, ReportOptions, ReportService};

/// Escapes text for Telegram's HTML parse mode.
pub fn html_escape(text: &str) -> String {
    teloxide::utils::html::escape(text)
}
