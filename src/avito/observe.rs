//! Who hears of every request the client sends (the application's metrics).

use std::sync::Arc;
use std::time::Duration;

use super::operation::Operation;

/// Told of every request the client sends, with its status (`None`: no answer came) and
/// duration. The client records nothing itself: the application hands it its metrics.
pub trait Observer: Send + Sync {
    fn request(&self, operation: Operation, status: Option<u16>, elapsed: Duration);
}

/// An observer that ignores everything (commands without a metrics endpoint).
pub struct Unobserved;

impl Observer for Unobserved {
    fn request(&self, _: Operation, _: Option<u16>, _: Duration) {}
}

/// The client's [`Observer`], shared by its parts.
#[derive(Clone)]
pub struct Observed(Arc<dyn Observer>);

impl Observed {
    pub fn new(observer: Arc<dyn Observer>) -> Self {
        Self(observer)
    }

    pub(crate) fn request(&self, operation: Operation, status: Option<u16>, elapsed: Duration) {
        self.0.request(operation, status, elapsed);
    }
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observed")
    }
}
