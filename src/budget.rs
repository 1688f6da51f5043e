//! Request budgets at documented per-window limits — Avito's per (account, operation), and
//! Telegram's for the bot and per chat: the pure decisions, the narrow store they are kept in,
//! and the in-memory store of one process.
//!
//! A budget is the log of the instants its last calls were (or are reserved to be) sent, at most
//! `limit` of them. A call takes the next free instant: now while fewer than `limit` calls fall
//! in the last window, else one window (and a margin) after the oldest. Reserving a future
//! instant (instead of checking, sleeping and checking again) makes taking a slot one step,
//! which a database can do atomically for every process at once (`db::shared_avito` keeps it on
//! PostgreSQL). A call bound by several budgets (a Telegram message: the bot's and the chat's)
//! takes one instant free in all of them, in one step.
//!
//! That is a sliding-window log: never more than a fixed-window server allows, whatever its
//! window alignment; a budget of one call per window spaces calls evenly.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// An instant on the clock of the store that keeps a budget, as time since its origin (the
/// process start in memory, the Unix epoch in a database). Only ever compared within a store.
pub type Moment = Duration;

/// Whose budget: `avito|<account>|<operation>`, `telegram|bot`, `telegram|chat|<id>`,
/// `telegram|group|<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BudgetKey(String);

impl BudgetKey {
    /// An account's calls of one Avito operation.
    pub fn avito(account: &str, operation: &str) -> Self {
        Self(format!("avito|{account}|{operation}"))
    }

    /// Every message the bot sends.
    pub fn telegram_bot() -> Self {
        Self("telegram|bot".into())
    }

    /// The bot's messages to one chat.
    pub fn telegram_chat(chat: i64) -> Self {
        Self(format!("telegram|chat|{chat}"))
    }

    /// The bot's messages to one group, over a minute.
    pub fn telegram_group(chat: i64) -> Self {
        Self(format!("telegram|group|{chat}"))
    }
}

impl std::fmt::Display for BudgetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// At most `calls` in any `window`, booked `margin` apart from the window's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub calls: u32,
    pub window: Duration,
    /// How much later than one window a full budget books its next slot: a call's delay on
    /// the way must not bring it within a window of the next one's arrival (the servers count
    /// arrivals; we book departures).
    pub margin: Duration,
}

impl Limit {
    /// `calls` per `window` with a tenth of the window as margin (6 s of Avito's minute): a
    /// token fetch, a busy machine or the network may delay one request that long.
    pub fn new(calls: u32, window: Duration) -> Self {
        Self::with_margin(calls, window, window / 10)
    }

    pub fn with_margin(calls: u32, window: Duration, margin: Duration) -> Self {
        Self {
            calls,
            window,
            margin,
        }
    }

    /// How long a recorded call holds the next one back.
    fn span(&self) -> Duration {
        self.window + self.margin
    }
}

/// A taken slot: send after `wait`; `at` gives it back unused ([`release`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub at: Moment,
    pub wait: Duration,
}

/// Only the instants that still hold a later call back, oldest first.
fn live(recorded: &[Moment], span: Duration, now: Moment) -> Vec<Moment> {
    let mut live: Vec<Moment> = recorded
        .iter()
        .copied()
        .filter(|t| *t + span > now)
        .collect();
    live.sort();
    live
}

/// Whether a call at `t` keeps every window of `limit` holding at most `calls` calls, given
/// the live log (sorted). Only the windows that would hold `t` can change.
fn fits(log: &[Moment], limit: Limit, t: Moment) -> bool {
    let calls = limit.calls.max(1) as usize;
    let span = limit.span();
    let near: Vec<Moment> = log
        .iter()
        .copied()
        .filter(|e| e.abs_diff(t) < span)
        .collect();
    if near.len() < calls {
        return true;
    }
    // A window [x, x + span) that holds `t` starts after `t - span` and at `t` at the latest;
    // the fullest ones start just after `t - span` or at a call.
    let starts = near.iter().copied().filter(|e| *e <= t);
    let counts = std::iter::once(near.iter().filter(|e| **e + span > t).count())
        .chain(starts.map(|x| near.iter().filter(|e| **e >= x && **e < x + span).count()));
    counts.max().unwrap_or(0) < calls
}

/// The earliest instant at or after `from` a call fits a budget whose log is `recorded`, at
/// `now`. A gap between calls already booked is taken when it is wide enough: a slot booked
/// far ahead (a chat's next second) does not hold back the calls that fit before it.
pub fn next_free(recorded: &[Moment], limit: Limit, now: Moment, from: Moment) -> Moment {
    let log = live(recorded, limit.span(), now);
    // The first instant that fits is `from` or the end of some call's span.
    let mut candidates: Vec<Moment> = log
        .iter()
        .map(|e| *e + limit.span())
        .filter(|t| *t > from)
        .collect();
    candidates.sort();
    std::iter::once(from)
        .chain(candidates)
        .find(|t| fits(&log, limit, *t))
        // The end of the last call's span always fits; reached only if the log is damaged.
        .unwrap_or_else(|| log.last().map_or(from, |e| (*e + limit.span()).max(from)))
}

/// The log once a call is booked at `at`: every instant that still holds a call back.
pub fn record(recorded: &[Moment], limit: Limit, at: Moment, now: Moment) -> Vec<Moment> {
    let mut log = live(recorded, limit.span(), now);
    log.push(at);
    log.sort();
    log
}

/// One slot free in every budget of `logs` (each with its limit), and each log with it
/// booked: the earliest instant each budget allows from the latest one any other allows,
/// until they agree.
pub fn reserve_all(logs: &[(&[Moment], Limit)], now: Moment) -> (Slot, Vec<Vec<Moment>>) {
    let mut at = now;
    loop {
        let next = logs
            .iter()
            .map(|(log, limit)| next_free(log, *limit, now, at))
            .max()
            .unwrap_or(at);
        if next == at {
            break;
        }
        at = next;
    }
    let recorded = logs
        .iter()
        .map(|(log, limit)| record(log, *limit, at, now))
        .collect();
    (
        Slot {
            at,
            wait: at.saturating_sub(now),
        },
        recorded,
    )
}

/// Slots for several calls at once, in order, each bound by its budgets (indices into
/// `logs`, with their limits): each call's booking holds the next ones back, as if they had
/// been reserved one after another. `logs` ends with every slot booked.
pub fn reserve_each(
    logs: &mut [Vec<Moment>],
    calls: &[Vec<(usize, Limit)>],
    now: Moment,
) -> Vec<Slot> {
    calls
        .iter()
        .map(|budgets| {
            let pairs: Vec<(&[Moment], Limit)> = budgets
                .iter()
                .map(|(i, limit)| (logs[*i].as_slice(), *limit))
                .collect();
            let (slot, recorded) = reserve_all(&pairs, now);
            for ((i, _), log) in budgets.iter().zip(recorded) {
                logs[*i] = log;
            }
            slot
        })
        .collect()
}

/// The distinct keys of `calls` (in order of first use) and each call's budgets as indices
/// into them, for [`reserve_each`].
pub fn index_keys(calls: &[Vec<(BudgetKey, Limit)>]) -> (Vec<BudgetKey>, Vec<Vec<(usize, Limit)>>) {
    let mut keys: Vec<BudgetKey> = Vec::new();
    let indexed = calls
        .iter()
        .map(|budgets| {
            budgets
                .iter()
                .map(|(key, limit)| {
                    let i = keys.iter().position(|k| k == key).unwrap_or_else(|| {
                        keys.push(key.clone());
                        keys.len() - 1
                    });
                    (i, *limit)
                })
                .collect()
        })
        .collect();
    (keys, indexed)
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
    let within = log.iter().filter(|t| **t < now + limit.span()).count();
    log.extend(std::iter::repeat_n(now, calls.saturating_sub(within)));
    log.sort();
    log
}

/// Whether the server's word that a window is spent (`X-RateLimit-Remaining: 0` on an
/// answer) tells more than the booking of the call it came with: a one-call budget booked
/// that call's whole window, and the margin covers a call that left up to half of it late
/// (the rest is for the way there). `late`: how long after its slot the call left, when it
/// had one.
pub fn exhaustion_is_news(limit: Limit, late: Option<Duration>) -> bool {
    !(limit.calls == 1 && late.is_some_and(|late| late < limit.margin / 2))
}

/// A store of budgets could not be used (the database is down): the caller paces in memory.
#[derive(Debug, thiserror::Error)]
#[error("the shared Avito request budget is unavailable: {0}")]
pub struct BudgetUnavailable(pub String);

/// Where budgets are kept: in this process ([`MemoryBudgets`]), or shared by every process on
/// one database. Each method is one atomic step of the decisions above.
#[async_trait::async_trait]
pub trait BudgetStore: Send + Sync {
    /// One slot free in every budget of `budgets`, booked in each.
    async fn reserve(&self, budgets: &[(BudgetKey, Limit)]) -> Result<Slot, BudgetUnavailable>;
    /// A slot for each call of `calls` (each bound by its budgets), booked together: in
    /// order, as if reserved one after another, but in one step of the store. Each wait
    /// counts from the store's now when it decided (`at - wait`), not from when the answer
    /// came: the caller places the slots on its own clock.
    async fn reserve_each(
        &self,
        calls: &[Vec<(BudgetKey, Limit)>],
    ) -> Result<Vec<Slot>, BudgetUnavailable> {
        let mut slots = Vec::with_capacity(calls.len());
        for budgets in calls {
            slots.push(self.reserve(budgets).await?);
        }
        Ok(slots)
    }
    async fn release(&self, key: &BudgetKey, slot: Slot) -> Result<(), BudgetUnavailable>;
    async fn exhaust(&self, key: &BudgetKey, limit: Limit) -> Result<(), BudgetUnavailable>;
}

/// The budgets of one process (SQLite, commands without a database, a fallback).
pub struct MemoryBudgets {
    origin: tokio::time::Instant,
    logs: Mutex<Logs>,
}

#[derive(Default)]
struct Logs {
    by_key: HashMap<BudgetKey, Vec<Moment>>,
    /// How many logs to hold before dropping the idle ones (doubles with the live ones, so
    /// that dropping costs little per call).
    prune_above: usize,
}

impl Default for MemoryBudgets {
    fn default() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
            logs: Mutex::new(Logs {
                by_key: HashMap::new(),
                prune_above: 1024,
            }),
        }
    }
}

/// Logs whose last call is this old hold nothing back (windows are a minute at most): they
/// are dropped, so that a process that met many chats or accounts does not keep them all.
const FORGET_AFTER: Duration = Duration::from_secs(600);

impl MemoryBudgets {
    fn update<T>(
        &self,
        key: &BudgetKey,
        step: impl FnOnce(&[Moment], Moment) -> (Vec<Moment>, T),
    ) -> T {
        let now = self.origin.elapsed();
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        let log = logs.by_key.entry(key.clone()).or_default();
        let (recorded, out) = step(log, now);
        *log = recorded;
        out
    }

    /// A slot free in every budget of `budgets`, booked in each.
    pub fn take_all(&self, budgets: &[(BudgetKey, Limit)]) -> Slot {
        let now = self.origin.elapsed();
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        if logs.by_key.len() > logs.prune_above {
            logs.by_key
                .retain(|_, log| log.last().is_some_and(|t| *t + FORGET_AFTER > now));
            logs.prune_above = (logs.by_key.len() * 2).max(1024);
        }
        let current: Vec<Vec<Moment>> = budgets
            .iter()
            .map(|(key, _)| logs.by_key.get(key).cloned().unwrap_or_default())
            .collect();
        let pairs: Vec<(&[Moment], Limit)> = current
            .iter()
            .zip(budgets)
            .map(|(log, (_, limit))| (log.as_slice(), *limit))
            .collect();
        let (slot, recorded) = reserve_all(&pairs, now);
        for ((key, _), log) in budgets.iter().zip(recorded) {
            logs.by_key.insert(key.clone(), log);
        }
        slot
    }

    pub fn take(&self, key: &BudgetKey, limit: Limit) -> Slot {
        self.take_all(&[(key.clone(), limit)])
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
    async fn reserve(&self, budgets: &[(BudgetKey, Limit)]) -> Result<Slot, BudgetUnavailable> {
        Ok(self.take_all(budgets))
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

    /// One budget's slot, and its log with the slot booked.
    #[derive(Debug)]
    struct Reservation {
        slot: Slot,
        recorded: Vec<Moment>,
    }

    fn reserve(recorded: &[Moment], limit: Limit, now: Moment) -> Reservation {
        let (slot, mut recorded) = reserve_all(&[(recorded, limit)], now);
        Reservation {
            slot,
            recorded: recorded.pop().unwrap_or_default(),
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn s(secs: u64) -> Moment {
        Duration::from_secs(secs)
    }

    fn per_minute(calls: u32) -> Limit {
        Limit::new(calls, MINUTE)
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

    /// Booked together, calls get the slots they would have got one after another.
    #[test]
    fn calls_booked_together_get_the_slots_of_calls_booked_in_turn() {
        let bot = Limit::with_margin(1, Duration::from_millis(100), Duration::ZERO);
        let chat = Limit::new(1, Duration::from_secs(1));
        let key = |s: &str| BudgetKey(s.to_owned());
        let calls: Vec<Vec<(BudgetKey, Limit)>> = [1, 2, 1, 3]
            .iter()
            .map(|c| vec![(key("bot"), bot), (key(&format!("chat {c}")), chat)])
            .collect();
        let (keys, indexed) = index_keys(&calls);
        assert_eq!(keys.len(), 4, "the bot and three chats");
        let now = Duration::from_secs(10);
        let mut logs = vec![Vec::new(); keys.len()];
        let together = reserve_each(&mut logs, &indexed, now);
        let waits: Vec<Duration> = together.iter().map(|s| s.wait).collect();
        let ms = Duration::from_millis;
        // Each message a bot interval after the one before, except the second one to chat 1,
        // which waits for its chat's second and margin; the next takes the gap left before it.
        assert_eq!(waits, [ms(0), ms(100), ms(1100), ms(200)]);
        assert_eq!(logs[0], [now, now + ms(100), now + ms(200), now + ms(1100)]);
    }

    #[test]
    fn a_spent_window_is_news_unless_the_calls_own_booking_covers_it() {
        let minute = Limit::new(1, Duration::from_secs(60));
        let ms = Duration::from_millis;
        // Left on time, or late within half the 6 s margin: its booking holds the window.
        assert!(!exhaustion_is_news(minute, Some(ms(0))));
        assert!(!exhaustion_is_news(minute, Some(ms(2_999))));
        // Later than that, or with no slot of its own: the window from now is recorded.
        assert!(exhaustion_is_news(minute, Some(ms(3_000))));
        assert!(exhaustion_is_news(minute, None));
        // A budget of several calls may have met calls it never booked.
        assert!(exhaustion_is_news(
            Limit::new(25, Duration::from_secs(60)),
            Some(ms(0))
        ));
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
        assert_eq!(r.recorded, vec![s(100), s(166)]);
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
            26,
            "the log holds the calls that still hold one back"
        );
    }

    #[test]
    fn a_log_out_of_order_is_read_sorted() {
        let r = reserve(&[s(50), s(20)], per_minute(2), s(60));
        assert_eq!(r.slot.at, s(86));
        assert_eq!(r.recorded, vec![s(20), s(50), s(86)]);
    }

    #[test]
    fn a_released_slot_is_free_for_the_next_call() {
        let first = reserve(&[], per_minute(1), s(0));
        let second = reserve(&first.recorded, per_minute(1), s(0));
        assert_eq!(second.slot.at, s(66));
        let log = release(&second.recorded, second.slot.at);
        assert_eq!(log, vec![s(0)]);
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
        let key = BudgetKey::avito("client-1", "itemAnalytics");
        assert_eq!(key.to_string(), "avito|client-1|itemAnalytics");
        assert_eq!(
            BudgetKey::telegram_chat(-42).to_string(),
            "telegram|chat|-42"
        );
    }

    #[test]
    fn a_call_bound_by_several_budgets_takes_the_first_instant_free_in_all() {
        let bot = Limit::with_margin(1, Duration::from_millis(100), Duration::ZERO);
        let chat = Limit::new(1, Duration::from_secs(1));
        // The bot sent at 0.95 s, this chat at 0.5 s: the chat holds the call until 1.6 s.
        let (bot_log, chat_log) = (
            vec![Duration::from_millis(950)],
            vec![s(0) + Duration::from_millis(500)],
        );
        let (slot, logs) = reserve_all(&[(&bot_log, bot), (&chat_log, chat)], s(1));
        assert_eq!(slot.at, Duration::from_millis(1600));
        assert_eq!(slot.wait, Duration::from_millis(600));
        assert_eq!(
            logs,
            vec![
                vec![Duration::from_millis(950), slot.at],
                vec![Duration::from_millis(500), slot.at]
            ]
        );
        // Another chat's call at the same instant takes the gap before the booked one.
        let (other, logs) = reserve_all(&[(&logs[0], bot), (&[], chat)], s(1));
        assert_eq!(other.at, Duration::from_millis(1050));
        // A gap too narrow is left: the next goes after the booked one.
        let (third, _) = reserve_all(&[(&logs[0], bot), (&[], chat)], s(1));
        assert_eq!(third.at, Duration::from_millis(1150));
    }

    #[test]
    fn a_gap_is_taken_only_where_every_window_keeps_its_limit() {
        let two = Limit::with_margin(2, Duration::from_secs(10), Duration::ZERO);
        // Calls at 0 and 20: a third fits at 5 (windows hold at most 2)...
        assert_eq!(next_free(&[s(0), s(20)], two, s(1), s(1)), s(1));
        // ...but not between 0 and 5 once 5 is booked too: the next is 10.
        assert_eq!(next_free(&[s(0), s(5), s(20)], two, s(1), s(1)), s(10));
        // Nor where a window after it is full: 12 and 14 booked, 5 would make three in
        // [5, 15); 1 is far enough before them, 22 far enough after.
        assert_eq!(next_free(&[s(12), s(14)], two, s(1), s(1)), s(1));
        assert_eq!(next_free(&[s(12), s(14)], two, s(5), s(5)), s(22));
    }

    #[test]
    fn a_budget_of_one_call_per_window_spaces_a_burst_evenly() {
        let bot = Limit::with_margin(1, Duration::from_millis(100), Duration::ZERO);
        let mut log = Vec::new();
        let mut slots = Vec::new();
        for _ in 0..5 {
            let (slot, mut recorded) = reserve_all(&[(&log, bot)], s(10));
            log = recorded.remove(0);
            slots.push(slot.wait.as_millis());
        }
        assert_eq!(slots, vec![0, 100, 200, 300, 400]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_memory_store_forgets_idle_logs() {
        let store = MemoryBudgets::default();
        let limit = Limit::new(1, Duration::from_secs(1));
        for chat in 0..1025 {
            store.take(&BudgetKey::telegram_chat(chat), limit);
        }
        tokio::time::advance(FORGET_AFTER).await;
        store.take(&BudgetKey::telegram_chat(5000), limit);
        let held = store
            .logs
            .lock()
            .map(|l| l.by_key.len())
            .unwrap_or_default();
        assert_eq!(held, 1, "only the fresh log is kept");
    }
}
