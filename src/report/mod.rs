//! The report engine: metrics, periods, fetching for one or many profiles, aggregation and
//! rendering. It never sends messages itself.
//!
//! Files import only downwards. Leaves: `model`, `input`, `format`, `split`. Making a report:
//! `rating` (the rating's line, pure) → `fetch` (a pure plan of the sources, then the
//! requests) → `listings` (the "Listings to look at" section, pure) → `build` → `engine`. Showing it: `render` → `charts`. `service` stands on both (its decisions pure, beside the calls), and
//! this file only re-exports.

mod build;
pub mod charts;
pub mod engine;
pub mod fetch;
pub mod format;
pub mod input;
pub mod listings;
pub mod model;
pub use crate::domain::metric as metrics;
pub use crate::domain::period;
pub mod rating;
pub mod render;
pub mod service;
pub mod split;

pub use format::html_escape;
pub use input::{ProfileSource, ReportOptions};
pub use metrics::{Metric, MetricSet, Unit};
pub use period::{Period, PeriodError, PeriodKind};
pub use render::Markup;
pub use service::ReportService;
