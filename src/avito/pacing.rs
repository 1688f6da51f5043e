//! Client-side pacing at the documented per-minute limits, per (account, operation), so the
//! client never causes a 429 by itself: each call takes a slot of its budget
//! ([`crate::budget`]), kept in this process or, given a shared store, by every process at
//! once. A shared store that fails is not a reason to fail a request: this process then paces
//! in memory and says so in the log.

use std::sync::Arc;
use std::time::Duration;

use super::operation::Operation;
use crate::budget::{BudgetKey, BudgetStore, Limit, MemoryBudgets, Slot};

pub struct Pacer {
    window: Duration,
    shared: Option<Arc<dyn BudgetStore>>,
    local: MemoryBudgets,
}

/// A slot taken from a budget, and which store it came from (to give it back there).
#[derive(Debug, Clone, Copy)]
pub struct Taken {
    pub slot: Slot,
    shared: bool,
    /// When the call may leave.
    pub due: tokio::time::Instant,
}

impl Taken {
    fn new(slot: Slot, shared: bool) -> Self {
        Self {
            slot,
            shared,
            due: tokio::time::Instant::now() + slot.wait,
        }
    }
}

impl Pacer {
    pub fn new(window: Duration, shared: Option<Arc<dyn BudgetStore>>) -> Self {
        Self {
            window,
            shared,
            local: MemoryBudgets::default(),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn limit(&self, op: Operation) -> Option<Limit> {
        op.per_minute_limit()
            .map(|calls| Limit::new(calls, self.window))
    }

    /// Takes the next slot of `account`'s budget for `op` without waiting for it; `None` for
    /// operations without a documented limit.
    pub async fn reserve(&self, account: &str, op: Operation) -> Option<Taken> {
        let limit = self.limit(op)?;
        let key = BudgetKey::avito(account, op.id());
        if let Some(shared) = &self.shared {
            match shared.reserve(&[(key.clone(), limit)]).await {
                Ok(slot) => return Some(Taken::new(slot, true)),
                Err(e) => {
                    tracing::warn!(error = %e, operation = %op, "pacing in this process only")
                }
            }
        }
        Some(Taken::new(self.local.take(&key, limit), false))
    }

    /// Waits until a call of `op` for `account` fits the limit, and records it; the slot
    /// taken, for an operation with a limit.
    pub async fn acquire(&self, account: &str, op: Operation) -> Option<Taken> {
        let taken = self.reserve(account, op).await?;
        wait_for(op, taken.slot.wait).await;
        Some(taken)
    }

    /// Gives back a slot that went unused.
    pub async fn release(&self, account: &str, op: Operation, taken: Taken) {
        let key = BudgetKey::avito(account, op.id());
        match &self.shared {
            Some(shared) if taken.shared => {
                if let Err(e) = shared.release(&key, taken.slot).await {
                    tracing::warn!(error = %e, operation = %op, "cannot give back a request slot");
                }
            }
            _ => self.local.give_back(&key, taken.slot),
        }
    }

    /// The server says the window is spent (a 429, or `X-RateLimit-Remaining: 0`): treat the
    /// whole window from now as used. `met`: the call that was told, with its slot and when
    /// it left, when the answer was not a refusal; its booking may already say as much.
    pub async fn exhausted(
        &self,
        account: &str,
        op: Operation,
        met: Option<(Taken, tokio::time::Instant)>,
    ) {
        let Some(limit) = self.limit(op) else {
            return;
        };
        let late = met.map(|(taken, left)| left.saturating_duration_since(taken.due));
        if !crate::budget::exhaustion_is_news(limit, late) {
            return;
        }
        let key = BudgetKey::avito(account, op.id());
        // Held here too: if the shared store fails at the next call, this process still knows.
        self.local.spent(&key, limit);
        if let Some(shared) = &self.shared
            && let Err(e) = shared.exhaust(&key, limit).await
        {
            tracing::warn!(error = %e, operation = %op, "cannot share a spent request window");
        }
    }
}

/// Sleeps out a slot's wait.
pub async fn wait_for(op: Operation, wait: Duration) {
    if !wait.is_zero() {
        tracing::debug!(operation = %op, wait = ?wait, "pacing Avito requests");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn one_per_window_operations_wait_a_full_window() {
        let pacer = Pacer::new(Duration::from_secs(60), None);
        let start = Instant::now();
        pacer.acquire("a", Operation::ItemAnalytics).await;
        pacer.acquire("a", Operation::ItemAnalytics).await;
        // A full window and its transit margin.
        assert_eq!(start.elapsed(), Duration::from_secs(66));
        // Another account, or another operation, is not held up.
        let t = Instant::now();
        pacer.acquire("b", Operation::ItemAnalytics).await;
        pacer.acquire("a", Operation::AccountSpendings).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_limit_goes_at_once() {
        let pacer = Pacer::new(Duration::from_secs(60), None);
        let start = Instant::now();
        for _ in 0..25 {
            pacer.acquire("a", Operation::GetItemsInfo).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.acquire("a", Operation::GetItemsInfo).await;
        // A full window and its transit margin.
        assert_eq!(start.elapsed(), Duration::from_secs(66));
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_operations_never_wait_and_exhaustion_blocks_a_window() {
        let pacer = Pacer::new(Duration::from_secs(60), None);
        let start = Instant::now();
        for _ in 0..1000 {
            pacer.acquire("a", Operation::GetMessagesV3).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.exhausted("a", Operation::GetItemsInfo, None).await;
        pacer.acquire("a", Operation::GetItemsInfo).await;
        // A full window and its transit margin.
        assert_eq!(start.elapsed(), Duration::from_secs(66));
    }
}
