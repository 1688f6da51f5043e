//! Answers of the once-a-window operations kept for every process on one database, so a
//! report, an alert check and `/stats` on different workers share one `itemAnalytics` call.
//! In one process the in-memory cache ([`super::cache`]) does this alone.
//!
//! Concurrent misses across processes: each takes its own slot of the shared budget. The one
//! whose slot is now fetches and stores the answer; the others wait for their slot while
//! looking for the stored answer, and give their slot back when it comes first.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::budget::BudgetStore;

/// A store of answers could not be used: the request goes to Avito as if nothing were stored.
#[derive(Debug, thiserror::Error)]
#[error("the shared Avito answers are unavailable: {0}")]
pub struct AnswersUnavailable(pub String);

/// Where the once-a-window answers are kept, by the canonical request key
/// (account, method, path, query and body).
#[async_trait::async_trait]
pub trait AnswerStore: Send + Sync {
    /// The answer stored under `key`, if it is still fresh.
    async fn load(&self, key: &str) -> Result<Option<Value>, AnswersUnavailable>;
    /// Keeps `answer` under `key` for `keep_for`, or as long as an answer there already is
    /// kept if that is later (a warm-up's answer stays until its slot).
    async fn save(
        &self,
        key: &str,
        answer: &Value,
        keep_for: Duration,
    ) -> Result<(), AnswersUnavailable>;
}

/// What the processes of one deployment share (PostgreSQL): request budgets and answers.
#[derive(Clone)]
pub struct Shared {
    pub budgets: Arc<dyn BudgetStore>,
    pub answers: Arc<dyn AnswerStore>,
}

/// How often a process waiting for its slot looks for another's stored answer: often enough
/// to take it well before the slot (a window away), rarely enough not to load the database.
pub fn poll_every(window: Duration) -> Duration {
    (window / 20).clamp(Duration::from_millis(20), Duration::from_secs(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_processes_look_twenty_times_a_window_within_bounds() {
        assert_eq!(poll_every(Duration::from_secs(60)), Duration::from_secs(2));
        assert_eq!(
            poll_every(Duration::from_secs(2)),
            Duration::from_millis(100)
        );
        assert_eq!(
            poll_every(Duration::from_millis(5)),
            Duration::from_millis(20)
        );
    }
}
