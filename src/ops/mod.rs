//! Operating the worker: the health and metrics endpoint, metrics recording, admin alerts.
//!
//! Not yet wired into `app::run` (next: start [`http::serve`] when `HTTP_ADDR` is set, feed
//! [`http::PollingHealth`] from the poller, count updates with [`metrics::update_handled`],
//! raise [`alerts::AdminAlerts`] for invalid credentials, dead jobs and delivery failures).

pub mod alerts;
pub mod http;
pub mod metrics;

pub use alerts::{AdminAlerts, AlertCause, AlertOutcome};
pub use http::{PollingHealth, Probes};
