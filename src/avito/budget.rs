//! Request budgets at the documented per-window limits, per (account, operation): the pure
//! decisions, the narrow store they are kept in, and the in-memory store of one process.
//!
//! A budget is the log of the instants its last calls were (or are reserved to be) sent, at most
//! `limit` of them. A call takes the next free instant: now while fewer than `limit` calls fall
//! in the last window, else one window after the oldest. Reserving a future instant (instead of
//! checking, sleeping and checking again) makes taking a slot one step, which a database can
//! do atomically for every process at once (the database layer keeps it on PostgreSQL).
//!
//! That is a sliding-window log: never more than a fixed-window server allows, whatever its
//! window alignment, and still a burst of `limit` at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::operation::Operation;

/// An instant on the clock of the store that keeps a budget, as time since its origin (the
/// process start in memory, the Unix epoch in a database). Only ever compared within a store.
pub type Moment = Duration;

/// Whose budget: an account's calls of one operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BudgetKey {
    pub account: String,
    pub op: Operation,
}

impl BudgetKey {
    pub fn new(account: &str, op: Operation) -> Self {
        Self {
            account: account.to_owned(),
            op,
        }
    }
}

impl std::fmt::Display for BudgetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}|{}", self.account, self.op.id())
    }
}

/// At most `calls` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub calls: u32,
    pub window: Duration,
}

/// A taken slot: send after `wait`; `at` gives it back unused ([`release`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub at: Moment,
    pub wait: Duration,
}

/// What taking a slot decides: the slot, and the log to record instead of `recorded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub slot: Slot,
    pub recorded: Vec<Moment>,
}

/// Only the instants that still hold a later call back, oldest first.
fn live(recorded: &[Moment], window: Duration, now: Moment) -> Vec<Moment> {
    let mut live: Vec<Moment> = recorded
        .iter()
        .copied()
        .filter(|t| *t + window > now)
        .collect();
    live.sort();
    live
}

/// How much later than one window a full budget books its next slot: a tenth of the window
/// (6 s of Avito's minute), so one request's delay on the way never brings it within a window
/// of the next one's arrival.
pub fn transit_margin(window: Duration) -> Duration {
    window / 10
}

/// The next free slot of a budget whose log is `recorded`, at `now`.
pub fn reserve(recorded: &[Moment], limit: Limit, now: Moment) -> Reservation {
    let calls = limit.calls.max(1) as usize;
    // A call stays in the log for as long as it holds back the next one.
    let mut log = live(recorded, limit.window + transit_margin(limit.window), now);
    let at = if log.len() < calls {
        now
    } else {
        // Full: the call goes one window after the oldest of the last `calls`, plus a margin:
        // Avito counts arrivals, we book departures, and a request may spend longer on the
        // way (a token fetch, a busy machine, the network) than the one after it.
        let oldest = log[log.len() - calls];
        (oldest + limit.window + transit_margin(limit.window)).max(now)
    };
    log.push(at);
    let keep_from = log.len().saturating_sub(calls);
    Reservation {
        slot: Slot {
            at,
            wait: at.saturating_sub(now),
        },
        recorded: log.split_off(keep_from),
    }
}

/// The log once the slot at `at` goes unused (another process's answer came first): a later
/// call may take it.
pub fn release(recorded: &[Moment], at: Moment) -> Vec<Moment> {
    let mut log = recorded.to_vec();
    if let Some(i) = log.iter().rposition(|t| *t == at) {
        log.remove(i);
    }
    log
}

/// The log once the server says the window is spent (a 429 or `X-RateLimit-Remaining: 0`):
/// nothing more goes before a window from now, and slots already reserved later stay taken.
pub fn exhaust(recorded: &[Moment], limit: Limit, now: Moment) -> Vec<Moment> {
    let calls = limit.calls.max(1) as usize;
    let mut log: Vec<Moment> = recorded.iter().copied().filter(|t| *t >= now).collect();
    log.extend(std::iter::repeat_n(now, calls.saturating_sub(log.len())));
    log.sort();
    let keep_from = log.len().saturating_sub(calls);
    log.split_off(keep_from)
}

/// A store of budgets could not be used (the database is down): the caller paces in memory.
#[derive(Debug, thiserror::Error)]
#[error("the shared Avito request budget is unavailable: {0}")]
pub struct BudgetUnavailable(pub String);

/// Where budgets are kept: in this process ([`MemoryBudgets`]), or shared by every process on
/// one database. Each method is one atomic step of the decisions above.
#[async_trait::async_trait]
pub trait BudgetStore: Send + Sync {
    async fn reserve(&self, key: &BudgetKey, limit: Limit) -> Result<Slot, BudgetUnavailable>;
    async fn release(&self, key: &BudgetKey, slot: Slot) -> Result<(), BudgetUnavailable>;
    async fn exhaust(&self, key: &BudgetKey, limit: Limit) -> Result<(), BudgetUnavailable>;
}

/// The budgets of one process (SQLite, commands without a database, a fallback).
pub struct MemoryBudgets {
    origin: tokio::time::Instant,
    logs: Mutex<HashMap<BudgetKey, Vec<Moment>>>,
}

impl Default for MemoryBudgets {
    fn default() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
            logs: Mutex::new(HashMap::new()),
        }
    }
}

impl MemoryBudgets {
    fn update<T>(
        &self,
        key: &BudgetKey,
        step: impl FnOnce(&[Moment], Moment) -> (Vec<Moment>, T),
    ) -> T {
        let now = self.origin.elapsed();
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        let log = logs.entry(key.clone()).or_default();
        let (recorded, out) = step(log, now);
        *log = recorded;
        out
    }

    pub fn take(&self, key: &BudgetKey, limit: Limit) -> Slot {
        self.update(key, |log, now| {
            let r = reserve(log, limit, now);
            (r.recorded, r.slot)
        })
    }

    pub fn give_back(&self, key: &BudgetKey, slot: Slot) {
        self.update(key, |log, _| (release(log, slot.at), ()));
    }

    pub fn spent(&self, key: &BudgetKey, limit: Limit) {
        self.update(key, |log, now| (exhaust(log, limit, now), ()));
    }
}

#[async_trait::async_trait]
impl BudgetStore for MemoryBudgets {
    async fn reserve(&self, key: &BudgetKey, limit: Limit) -> Result<Slot, BudgetUnavailable> {
        Ok(self.take(key, limit))
    }

    async fn release(&self, key: &BudgetKey, slot: Slot) -> Result<(), BudgetUnavailable> {
        self.give_back(key, slot);
        Ok(())
    }

    async fn exhaust(&self, key: &BudgetKey, limit: Limit) -> Result<(), BudgetUnavailable> {
        self.spent(key, limit);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn s(secs: u64) -> Moment {
        Duration::from_secs(secs)
    }

    fn per_minute(calls: u32) -> Limit {
        Limit {
            calls,
            window: MINUTE,
        }
    }

    #[test]
    fn an_empty_budget_gives_now() {
        let r = reserve(&[], per_minute(1), s(100));
        assert_eq!(
            r.slot,
            Slot {
                at: s(100),
                wait: Duration::ZERO
            }
        );
        assert_eq!(r.recorded, vec![s(100)]);
    }

    #[test]
    fn a_one_per_window_budget_gives_one_window_and_its_margin_after_the_last() {
        let r = reserve(&[s(100)], per_minute(1), s(130));
        assert_eq!(
            r.slot,
            Slot {
                at: s(166),
                wait: s(36)
            }
        );
        assert_eq!(r.recorded, vec![s(166)]);
        // The next process in the same instant queues behind the reserved one.
        let next = reserve(&r.recorded, per_minute(1), s(130));
        assert_eq!(
            next.slot,
            Slot {
                at: s(232),
                wait: s(102)
            }
        );
    }

    #[test]
    fn a_call_after_the_window_goes_at_once_and_old_calls_are_forgotten() {
        let r = reserve(&[s(10), s(20)], per_minute(2), s(90));
        assert_eq!(r.slot.wait, Duration::ZERO);
        assert_eq!(r.recorded, vec![s(90)]);
    }

    #[test]
    fn a_burst_up_to_the_limit_goes_at_once_then_waits_for_the_oldest() {
        let mut log = Vec::new();
        for _ in 0..25 {
            let r = reserve(&log, per_minute(25), s(5));
            assert_eq!(r.slot.wait, Duration::ZERO);
            log = r.recorded;
        }
        assert_eq!(log.len(), 25);
        let r = reserve(&log, per_minute(25), s(5));
        assert_eq!(
            r.slot,
            Slot {
                at: s(71),
                wait: s(66)
            }
        );
        assert_eq!(
            r.recorded.len(),
            25,
            "the log never holds more than the limit"
        );
    }

    #[test]
    fn a_log_out_of_order_is_read_sorted() {
        let r = reserve(&[s(50), s(20)], per_minute(2), s(60));
        assert_eq!(r.slot.at, s(86));
        assert_eq!(r.recorded, vec![s(50), s(86)]);
    }

    #[test]
    fn a_released_slot_is_free_for_the_next_call() {
        let first = reserve(&[], per_minute(1), s(0));
        let second = reserve(&first.recorded, per_minute(1), s(0));
        assert_eq!(second.slot.at, s(66));
        let log = release(&second.recorded, second.slot.at);
        assert!(log.is_empty());
        // A slot that is no longer in the log changes nothing.
        assert_eq!(release(&[s(5)], s(9)), vec![s(5)]);
    }

    #[test]
    fn exhaustion_holds_a_window_from_now_and_keeps_later_reservations() {
        let log = exhaust(&[s(10)], per_minute(2), s(30));
        assert_eq!(log, vec![s(30), s(30)]);
        assert_eq!(reserve(&log, per_minute(2), s(31)).slot.at, s(96));
        // A slot reserved beyond now by another process stays taken.
        let log = exhaust(&[s(40), s(100)], per_minute(2), s(50));
        assert_eq!(log, vec![s(50), s(100)]);
        assert_eq!(reserve(&log, per_minute(2), s(50)).slot.at, s(116));
    }

    #[test]
    fn a_zero_limit_is_read_as_one() {
        let r = reserve(&[s(0)], per_minute(0), s(1));
        assert_eq!(r.slot.at, s(66));
    }

    #[test]
    fn budget_keys_name_the_account_and_the_operation() {
        let key = BudgetKey::new("client-1", Operation::ItemAnalytics);
        assert_eq!(key.to_string(), "client-1|itemAnalytics");
    }
}
