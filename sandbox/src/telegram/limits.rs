//! Flood control: Telegram's documented sending limits, answered with 429 and `retry_after`.
//!
//! Per chat a token bucket (short bursts pass, ~1 message/s sustained), per group a sliding
//! minute window, and a global sliding one-second window across all chats.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The limits in force; built from [`super::TelegramConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub per_chat_per_sec: u32,
    pub per_chat_burst: u32,
    pub group_per_min: u32,
    pub global_per_sec: u32,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct Limiter {
    chats: HashMap<i64, Bucket>,
    groups: HashMap<i64, VecDeque<Instant>>,
    global: VecDeque<Instant>,
    /// Messages refused, by the limit they met.
    pub refused: Refused,
    /// When each admitted message arrived, in order of admission: a benchmark reads how
    /// evenly the bot used its rate.
    pub admitted: Vec<Instant>,
}

/// Messages refused by each limit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub chat: usize,
    pub group: usize,
    pub overall: usize,
}

const MINUTE: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);

impl Limiter {
    /// Admits one message to `chat_id` now, or says how many seconds to wait.
    /// A refused message consumes nothing.
    pub fn admit(
        &mut self,
        limits: &Limits,
        chat_id: i64,
        is_group: bool,
        now: Instant,
    ) -> Result<(), u64> {
        let rate = f64::from(limits.per_chat_per_sec.max(1));
        let capacity = f64::from(limits.per_chat_burst.max(limits.per_chat_per_sec).max(1));
        let bucket = self.chats.entry(chat_id).or_insert(Bucket {
            tokens: capacity,
            refilled_at: now,
        });
        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        // Arrival times can come slightly out of order: never move the refill back.
        bucket.refilled_at = bucket.refilled_at.max(now);
        if bucket.tokens < 1.0 {
            self.refused.chat += 1;
            return Err(whole_seconds((1.0 - bucket.tokens) / rate));
        }

        prune(&mut self.global, now, SECOND);
        if self.global.len() >= limits.global_per_sec.max(1) as usize {
            self.refused.overall += 1;
            return Err(wait_for_oldest(&self.global, now, SECOND));
        }

        if is_group {
            let window = self.groups.entry(chat_id).or_default();
            prune(window, now, MINUTE);
            if window.len() >= limits.group_per_min.max(1) as usize {
                self.refused.group += 1;
                return Err(wait_for_oldest(window, now, MINUTE));
            }
            push_in_order(window, now);
        }
        push_in_order(&mut self.global, now);
        self.admitted.push(now);
        if let Some(bucket) = self.chats.get_mut(&chat_id) {
            bucket.tokens -= 1.0;
        }
        Ok(())
    }
}

/// Keeps a window in time order when arrival times come slightly out of order.
fn push_in_order(window: &mut VecDeque<Instant>, t: Instant) {
    let at = window.iter().rposition(|&x| x <= t).map_or(0, |i| i + 1);
    window.insert(at, t);
}

fn prune(window: &mut VecDeque<Instant>, now: Instant, span: Duration) {
    while window
        .front()
        .is_some_and(|&t| now.saturating_duration_since(t) >= span)
    {
        window.pop_front();
    }
}

fn wait_for_oldest(window: &VecDeque<Instant>, now: Instant, span: Duration) -> u64 {
    let oldest = window.front().copied().unwrap_or(now);
    let free_at = oldest + span;
    whole_seconds(free_at.saturating_duration_since(now).as_secs_f64())
}

/// Telegram's `retry_after` is whole seconds, at least 1.
fn whole_seconds(secs: f64) -> u64 {
    (secs.ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_chat_per_sec: 1,
        per_chat_burst: 3,
        group_per_min: 20,
        global_per_sec: 30,
    };

    #[test]
    fn burst_passes_then_one_per_second() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.admit(&LIMITS, 1, false, t0), Ok(()));
        }
        assert_eq!(limiter.admit(&LIMITS, 1, false, t0), Err(1));
        assert_eq!(limiter.admit(&LIMITS, 2, false, t0), Ok(()));
        assert_eq!(
            limiter.admit(&LIMITS, 1, false, t0 + Duration::from_millis(1000)),
            Ok(())
        );
    }

    #[test]
    fn group_is_limited_per_minute() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            let t = t0 + Duration::from_secs(i * 2);
            assert_eq!(limiter.admit(&LIMITS, -5, true, t), Ok(()));
        }
        let retry = limiter
            .admit(&LIMITS, -5, true, t0 + Duration::from_secs(40))
            .expect_err("21st message in a minute");
        assert_eq!(retry, 20);
    }

    #[test]
    fn global_limit_spans_chats() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        for chat in 0..30 {
            assert_eq!(limiter.admit(&LIMITS, chat, false, t0), Ok(()));
        }
        assert_eq!(limiter.admit(&LIMITS, 99, false, t0), Err(1));
    }
}
