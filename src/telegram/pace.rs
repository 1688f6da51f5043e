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
}

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
        }
    }

    /// Waits until a message to `chat` fits every limit, and books it. A turn woken too late
    /// (a busy machine) is given back and taken again: sent late, it would arrive with the
    /// messages booked after it.
    pub async fn turn(&self, chat: i64) {
        let budgets = budgets(self.bot, chat);
        for turn in 1..=TURNS {
            let (slot, shared) = self.reserve(&budgets).await;
            let due = tokio::time::Instant::now() + slot.wait;
            tokio::time::sleep_until(due).await;
            if due.elapsed() <= LATE || turn == TURNS {
                return;
            }
            tracing::debug!(late = ?due.elapsed(), "a Telegram turn came late; taking another");
            self.give_back(&budgets, slot, shared).await;
        }
    }

    async fn reserve(&self, budgets: &[(BudgetKey, Limit)]) -> (Slot, bool) {
        if let Some(shared) = &self.shared {
            match shared.reserve(budgets).await {
                Ok(slot) => return (slot, true),
                Err(e) => tracing::warn!(error = %e, "pacing Telegram in this process only"),
            }
        }
        (self.local.take_all(budgets), false)
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

    #[tokio::test(start_paused = true)]
    async fn a_turn_given_back_is_the_next_one_again() {
        let pace = Pace::new(30, None);
        let (first, _) = pace.reserve(&budgets(pace.bot, 1)).await;
        let (held, shared) = pace.reserve(&budgets(pace.bot, 2)).await;
        assert!(!shared && first.wait.is_zero() && !held.wait.is_zero());
        // Woken late, the turn at `held` is given back: another chat's message takes it.
        pace.give_back(&budgets(pace.bot, 2), held, shared).await;
        let (again, _) = pace.reserve(&budgets(pace.bot, 3)).await;
        assert_eq!(again.at, held.at);
    }
}
