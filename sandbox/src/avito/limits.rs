//! Documented per-minute limits, per (account, operation), as fixed windows that start with the
//! first request after the previous window ended.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::ops::Op;

/// Values of the `X-RateLimit-Limit` / `X-RateLimit-Remaining` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    used: u32,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    window: Duration,
    enforce: bool,
    windows: HashMap<(usize, Op), Window>,
}

impl RateLimiter {
    pub fn new(window: Duration, enforce: bool) -> Self {
        Self {
            window,
            enforce,
            windows: HashMap::new(),
        }
    }

    /// Counts one request. `Ok(None)`: the operation has no documented limit. `Err`: over the
    /// limit (when enforcing); the request must be answered 429.
    pub fn hit(&mut self, account: usize, op: Op) -> Result<Option<RateInfo>, RateInfo> {
        let Some(limit) = op.rate_limit() else {
            return Ok(None);
        };
        let now = Instant::now();
        let w = self.windows.entry((account, op)).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.duration_since(w.started) >= self.window {
            *w = Window {
                started: now,
                used: 0,
            };
        }
        if w.used >= limit && self.enforce {
            return Err(RateInfo {
                limit,
                remaining: 0,
            });
        }
        w.used += 1;
        Ok(Some(RateInfo {
            limit,
            remaining: limit.saturating_sub(w.used),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_window() {
        let mut l = RateLimiter::new(Duration::from_millis(50), true);
        assert_eq!(
            l.hit(0, Op::ItemAnalytics),
            Ok(Some(RateInfo {
                limit: 1,
                remaining: 0
            }))
        );
        assert_eq!(
            l.hit(0, Op::ItemAnalytics),
            Err(RateInfo {
                limit: 1,
                remaining: 0
            })
        );
        assert!(
            l.hit(1, Op::ItemAnalytics).is_ok(),
            "limits are per account"
        );
        assert_eq!(l.hit(0, Op::GetChatsV2), Ok(None));
        std::thread::sleep(Duration::from_millis(60));
        assert!(l.hit(0, Op::ItemAnalytics).is_ok());
    }
}
