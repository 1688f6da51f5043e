//! Operating the worker: the health and metrics endpoint, metrics recording, admin alerts.
//!
//! `app::run` wires them in: it starts [`http::serve`] when `HTTP_ADDR` is set, feeds
//! [`http::PollingHealth`] from the poller, counts updates with [`metrics::update_handled`],
//! and raises [`alerts::AdminAlerts`] for invalid credentials, dead jobs and repeated
//! delivery failures.

pub mod alerts;
pub mod http;
pub mod metrics;

pub use alerts::{AdminAlerts, AlertCause, AlertOutcome};
pub use http::{PollingHealth, Probes};
