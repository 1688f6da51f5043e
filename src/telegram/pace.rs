//! Telegram's sending limits — about 30 messages a second for the bot, one a second per chat,
//! 20 a minute per group — as request budgets ([`crate::budget`]): every message takes one
//! instant free in the bot's budget and its chat's, so messages go out evenly spaced instead of
//! a second's worth at once, and on PostgreSQL every process takes them from the same budgets.
//! A shared store that fails paces this process alone (and says so in the log).
//!
//! Senders reserve one message at a time, so the queue ahead of a person's reply is never
//! longer than the sends in flight (a few dozen: under two seconds at 30/s).

use std::sync::Arc;
use std::time::Duration;

use crate::budget::{BudgetKey, BudgetStore, Limit, MemoryBudgets, Slot};

/// Where the bot's messages are paced.
pub struct Pace {
    bot: Limit,
    shared: Option<Arc<dyn BudgetStore>>,
    local: MemoryBudgets,
    /// Turns asked for in the shared budgets while another reservation is on its way.
    waiting: std::sync::Mutex<Vec<Asked>>,
    /// Held by the one reservation of this process on its way to the shared budgets.
    flight: tokio::sync::Mutex<()>,
    /// Where the shared budgets' clock stands against this process's.
    clock: std::sync::Mutex<StoreClock>,
}

/// The shared budgets' clock placed on this process's. A booking's answer comes after the
/// store's now it was decided at, by the write, the commit and the way back; the largest
/// (store now − answered) of the last bookings is the closest to no delay at all. Placing
/// every slot by it keeps the turns of two bookings in their order and spacing; counting
/// each booking's waits from when its answer came, which differs from booking to booking on
/// a busy machine, sent one booking's turns onto the next's (429s from the bot's second).
/// What remains of the delay sends every turn that much late, alike.
struct StoreClock {
    origin: tokio::time::Instant,
    gaps: std::collections::VecDeque<i128>,
}

/// Bookings the clock's placement is taken from.
const CLOCK_SAMPLES: usize = 32;

impl StoreClock {
    fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
            gaps: std::collections::VecDeque::with_capacity(CLOCK_SAMPLES),
        }
    }

    /// A booking decided at the store's `store_now` was answered at `answered`.
    fn booked(&mut self, store_now: Duration, answered: tokio::time::Instant) {
        let local = micros(answered.saturating_duration_since(self.origin));
        if self.gaps.len() == CLOCK_SAMPLES {
            self.gaps.pop_front();
        }
        self.gaps.push_back(micros(store_now) - local);
    }

    /// The instant of this process the store's moment `at` is.
    fn due(&self, at: Duration) -> tokio::time::Instant {
        let gap = self.gaps.iter().copied().max().unwrap_or_default();
        let local = u64::try_from(micros(at) - gap).unwrap_or(0);
        self.origin + Duration::from_micros(local)
    }
}

fn micros(d: Duration) -> i128 {
    i128::try_from(d.as_micros()).unwrap_or(i128::MAX)
}

/// Said when the sender that was booking a turn went away before it was booked.
const DROPPED: &str = "the booking of this turn was dropped";

/// A turn asked for, and where its slot goes.
type Asked = (
    Vec<(BudgetKey, Limit)>,
    tokio::sync::oneshot::Sender<Result<(Slot, tokio::time::Instant), String>>,
);

/// A thirtieth of the spacing: 30 sends in a row may each be that much late on the way (a
/// busy machine, a slow connection) before two of them arrive within Telegram's second.
const BOT_MARGIN_SHARE: u32 = 30;

/// How late a woken turn may be and still go: later, it is taken again.
const LATE: Duration = Duration::from_millis(20);
/// Turns taken at most; the last one goes however late.
const TURNS: usize = 3;

/// The bot's budget at `messages_per_sec`: one message per interval, evenly spaced.
pub fn bot_limit(messages_per_sec: u32) -> Limit {
    let every = Duration::from_secs(1) / messages_per_sec.max(1);
    Limit::with_margin(1, every, every / BOT_MARGIN_SHARE)
}

/// The budgets a message to `chat` is bound by: the bot's, the chat's (1/s) and, for a group
/// (negative ids), the group's 20 a minute.
pub fn budgets(bot: Limit, chat: i64) -> Vec<(BudgetKey, Limit)> {
    let mut budgets = vec![
        (BudgetKey::telegram_bot(), bot),
        (
            BudgetKey::telegram_chat(chat),
            Limit::new(1, Duration::from_secs(1)),
        ),
    ];
    if chat < 0 {
        budgets.push((
            BudgetKey::telegram_group(chat),
            Limit::new(20, Duration::from_secs(60)),
        ));
    }
    budgets
}

impl Pace {
    /// `messages_per_sec` for the bot in all (shared) or in this process (alone).
    pub fn new(messages_per_sec: u32, shared: Option<Arc<dyn BudgetStore>>) -> Self {
        Self {
            bot: bot_limit(messages_per_sec),
            shared,
            local: MemoryBudgets::default(),
            waiting: std::sync::Mutex::default(),
            flight: tokio::sync::Mutex::default(),
            clock: std::sync::Mutex::new(StoreClock::new()),
        }
    }

    /// Waits until a message to `chat` fits every limit, and books it. A turn woken too late
    /// (a busy machine) is given back and taken again: sent late, it would arrive with the
    /// messages booked after it.
    pub async fn turn(&self, chat: i64) {
        let budgets = budgets(self.bot, chat);
        for turn in 1..=TURNS {
            let (slot, due, shared) = self.reserve(&budgets).await;
            tokio::time::sleep_until(due).await;
            if due.elapsed() <= LATE || turn == TURNS {
                return;
            }
            tracing::debug!(late = ?due.elapsed(), "a Telegram turn came late; taking another");
            self.give_back(&budgets, slot, shared).await;
        }
    }

    /// A slot in every budget of `budgets`, when it is due, and whether it is the shared
    /// budgets'.
    async fn reserve(&self, budgets: &[(BudgetKey, Limit)]) -> (Slot, tokio::time::Instant, bool) {
        if let Some(shared) = &self.shared {
            match self.reserve_shared(shared.as_ref(), budgets).await {
                Ok((slot, due)) => return (slot, due, true),
                Err(e) => tracing::warn!(error = %e, "pacing Telegram in this process only"),
            }
        }
        let slot = self.local.take_all(budgets);
        (slot, tokio::time::Instant::now() + slot.wait, false)
    }

    /// A slot from the shared budgets, booked together with the turns other senders of this
    /// process asked for meanwhile: the bot's budget is one row every message of every
    /// process books, and one booking per message queued the senders behind its lock (a
    /// burst of thousands fell far behind Telegram's rate on a busy machine).
    async fn reserve_shared(
        &self,
        shared: &dyn BudgetStore,
        budgets: &[(BudgetKey, Limit)],
    ) -> Result<(Slot, tokio::time::Instant), String> {
        let (tell, mut told) = tokio::sync::oneshot::channel();
        lock(&self.waiting).push((budgets.to_vec(), tell));
        // Whoever holds the flight books every turn asked for by then: this one's, unless the
        // holder before did (then it is told at once, not after every sender queued for the
        // flight has held it in turn, which sent the last of a batch late and onto the next).
        let flight = tokio::select! {
            biased;
            slot = &mut told => return slot.unwrap_or_else(|_| Err(DROPPED.to_owned())),
            flight = self.flight.lock() => flight,
        };
        {
            let _flight = flight;
            let asked = std::mem::take(&mut *lock(&self.waiting));
            if !asked.is_empty() {
                let calls: Vec<Vec<(BudgetKey, Limit)>> =
                    asked.iter().map(|(budgets, _)| budgets.clone()).collect();
                match shared.reserve_each(&calls).await {
                    Ok(slots) => {
                        let now = tokio::time::Instant::now();
                        let mut clock = lock(&self.clock);
                        if let Some(first) = slots.first() {
                            clock.booked(first.at.saturating_sub(first.wait), now);
                        }
                        for ((_, tell), slot) in asked.into_iter().zip(slots) {
                            let due = clock.due(slot.at);
                            // The wait as this process counts it.
                            let wait = due.saturating_duration_since(now);
                            let _ = tell.send(Ok((Slot { wait, ..slot }, due)));
                        }
                    }
                    Err(e) => {
                        for (_, tell) in asked {
                            let _ = tell.send(Err(e.to_string()));
                        }
                    }
                }
            }
        }
        told.await.unwrap_or_else(|_| Err(DROPPED.to_owned()))
    }

    async fn give_back(&self, budgets: &[(BudgetKey, Limit)], slot: Slot, shared: bool) {
        for (key, _) in budgets {
            match &self.shared {
                Some(store) if shared => {
                    if let Err(e) = store.release(key, slot).await {
                        tracing::warn!(error = %e, "cannot give back a Telegram turn");
                    }
                }
                _ => self.local.give_back(key, slot),
            }
        }
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[test]
    fn a_group_message_is_bound_by_the_group_budget_too() {
        assert_eq!(budgets(bot_limit(30), 42).len(), 2);
        let group = budgets(bot_limit(30), -100);
        assert_eq!(group.len(), 3);
        assert_eq!(group[2].1.calls, 20);
    }

    #[tokio::test(start_paused = true)]
    async fn messages_to_many_chats_go_evenly_spaced_at_the_bot_rate() {
        let pace = Pace::new(30, None);
        let start = Instant::now();
        for chat in 0..31 {
            pace.turn(chat).await;
        }
        // 30 intervals of a thirtieth of a second and their margins: just over a second.
        let took = start.elapsed();
        assert!(
            took > Duration::from_secs(1) && took < Duration::from_millis(1050),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn messages_to_one_chat_go_a_second_apart() {
        let pace = Pace::new(30, None);
        let start = Instant::now();
        for _ in 0..3 {
            pace.turn(7).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(2200));
    }

    /// The store's clock is placed by the answer that came quickest after its decision.
    #[tokio::test(start_paused = true)]
    async fn the_store_clock_is_placed_by_the_quickest_answer() {
        let mut clock = StoreClock::new();
        let origin = clock.origin;
        let ms = Duration::from_millis;
        let store = |t: u64| Duration::from_secs(1_000) + ms(t);
        // The store's clock 1,000 s ahead; answers 2, 40 and 5 ms after their decisions.
        clock.booked(store(10), origin + ms(12));
        clock.booked(store(20), origin + ms(60));
        clock.booked(store(30), origin + ms(35));
        assert_eq!(clock.due(store(100)), origin + ms(102));
    }

    /// A shared store a round trip away, counting its bookings.
    #[derive(Default)]
    struct Remote {
        budgets: MemoryBudgets,
        bookings: std::sync::atomic::AtomicUsize,
    }

    #[async_trait::async_trait]
    impl BudgetStore for Remote {
        async fn reserve(
            &self,
            budgets: &[(BudgetKey, Limit)],
        ) -> Result<Slot, crate::budget::BudgetUnavailable> {
            Ok(self.reserve_each(&[budgets.to_vec()]).await?[0])
        }

        async fn reserve_each(
            &self,
            calls: &[Vec<(BudgetKey, Limit)>],
        ) -> Result<Vec<Slot>, crate::budget::BudgetUnavailable> {
            self.bookings
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(calls.iter().map(|b| self.budgets.take_all(b)).collect())
        }

        async fn release(
            &self,
            key: &BudgetKey,
            slot: Slot,
        ) -> Result<(), crate::budget::BudgetUnavailable> {
            self.budgets.give_back(key, slot);
            Ok(())
        }

        async fn exhaust(
            &self,
            key: &BudgetKey,
            limit: Limit,
        ) -> Result<(), crate::budget::BudgetUnavailable> {
            self.budgets.spent(key, limit);
            Ok(())
        }
    }

    /// Senders that ask at once are booked together, a few bookings for many messages, and
    /// still go out evenly spaced.
    #[tokio::test(start_paused = true)]
    async fn turns_asked_at_once_are_booked_together() {
        let remote = Arc::new(Remote::default());
        let pace = Arc::new(Pace::new(30, Some(remote.clone())));
        let start = Instant::now();
        let senders: Vec<_> = (0..60)
            .map(|chat| {
                let pace = pace.clone();
                tokio::spawn(async move {
                    pace.turn(chat).await;
                    start.elapsed()
                })
            })
            .collect();
        let mut sent = Vec::new();
        for sender in senders {
            sent.push(sender.await.expect("sender"));
        }
        let bookings = remote.bookings.load(std::sync::atomic::Ordering::Relaxed);
        assert!(bookings <= 3, "{bookings} bookings for 60 messages");
        sent.sort();
        let gaps: Vec<Duration> = sent.windows(2).map(|w| w[1] - w[0]).collect();
        let every = Duration::from_secs(1) / 30;
        assert!(gaps.iter().all(|g| *g >= every), "{gaps:?}");
        // Two seconds of messages, and the round trips of the bookings.
        assert!(sent[59] < Duration::from_millis(2100), "{:?}", sent[59]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_given_back_is_the_next_one_again() {
        let pace = Pace::new(30, None);
        let (first, _, _) = pace.reserve(&budgets(pace.bot, 1)).await;
        let (held, _, shared) = pace.reserve(&budgets(pace.bot, 2)).await;
        assert!(!shared && first.wait.is_zero() && !held.wait.is_zero());
        // Woken late, the turn at `held` is given back: another chat's message takes it.
        pace.give_back(&budgets(pace.bot, 2), held, shared).await;
        let (again, _, _) = pace.reserve(&budgets(pace.bot, 3)).await;
        assert_eq!(again.at, held.at);
    }
}
