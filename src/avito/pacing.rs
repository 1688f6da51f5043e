//! Client-side pacing at the documented per-minute limits, per (account, operation), so the
//! client never causes a 429 by itself.
//!
//! A sliding-window log: at most N calls in any window. That is never more than a fixed-window
//! server allows, whatever its window alignment, and still lets a burst of N go at once.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::operation::Operation;

pub struct Pacer {
    window: Duration,
    calls: Mutex<HashMap<(String, Operation), VecDeque<Instant>>>,
}

impl Pacer {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            calls: Mutex::new(HashMap::new()),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Waits until a call of `op` for `account` fits the limit, and records it.
    pub async fn acquire(&self, account: &str, op: Operation) {
        let Some(limit) = op.per_minute_limit() else {
            return;
        };
        loop {
            let wait = {
                let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
                let log = calls.entry((account.to_owned(), op)).or_default();
                let now = Instant::now();
                while log
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    log.pop_front();
                }
                if log.len() < limit as usize {
                    log.push_back(now);
                    return;
                }
                match log.front() {
                    Some(oldest) => (*oldest + self.window).saturating_duration_since(now),
                    None => Duration::ZERO,
                }
            };
            tracing::debug!(operation = %op, wait = ?wait, "pacing Avito requests");
            tokio::time::sleep(wait).await;
        }
    }

    /// The server says the window is spent (a 429, or `X-RateLimit-Remaining: 0`): treat the
    /// whole window from now as used.
    pub fn exhausted(&self, account: &str, op: Operation) {
        let limit = op.per_minute_limit().unwrap_or(1) as usize;
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let log = calls.entry((account.to_owned(), op)).or_default();
        let now = Instant::now();
        log.clear();
        log.extend(std::iter::repeat_n(now, limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_per_window_operations_wait_a_full_window() {
        let pacer = Pacer::new(Duration::from_secs(60));
        let start = Instant::now();
        pacer.acquire("a", Operation::ItemAnalytics).await;
        pacer.acquire("a", Operation::ItemAnalytics).await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        // Another account, or another operation, is not held up.
        let t = Instant::now();
        pacer.acquire("b", Operation::ItemAnalytics).await;
        pacer.acquire("a", Operation::AccountSpendings).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_limit_goes_at_once() {
        let pacer = Pacer::new(Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..25 {
            pacer.acquire("a", Operation::GetItemsInfo).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.acquire("a", Operation::GetItemsInfo).await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_operations_never_wait_and_exhaustion_blocks_a_window() {
        let pacer = Pacer::new(Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..1000 {
            pacer.acquire("a", Operation::GetMessagesV3).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.exhausted("a", Operation::GetItemsInfo);
        pacer.acquire("a", Operation::GetItemsInfo).await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }
}
