//! The one retry policy of the crate: bounded attempts, exponential backoff with jitter. Used
//! by start-up (database, Telegram), the Avito transport and token refresh, the export, and
//! scheduled reports retried through the queue.

use std::future::Future;
use std::time::Duration;

/// How to retry: at most `attempts` tries, waiting base·2ⁿ⁻¹ (capped at `max`, ±20 %) after
/// the n-th failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(attempts: u32, base: Duration, max: Duration) -> Self {
        Self {
            attempts,
            base,
            max,
        }
    }

    /// Whether another attempt may follow `failures` failed ones.
    pub fn allows_another(&self, failures: u32) -> bool {
        failures < self.attempts
    }

    /// Delay before attempt `n + 1` after `n` failures: base·2ⁿ⁻¹, capped, with ±20 % jitter so
    /// that replicas restarted together do not retry in lockstep.
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = 2f64.powi(failures.saturating_sub(1).min(30) as i32);
        let raw = (self.base.as_secs_f64() * exp).min(self.max.as_secs_f64());
        let jitter = 0.8 + 0.4 * rand::random::<f64>();
        Duration::from_secs_f64(raw * jitter)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{what} failed after {attempts} attempts: {last}")]
pub struct GaveUp {
    pub what: &'static str,
    pub attempts: u32,
    pub last: String,
}

/// Runs `op` until it succeeds or the attempts are spent, each attempt limited to
/// `attempt_timeout`, logging each failure.
pub async fn retry<T, E, F, Fut>(
    what: &'static str,
    policy: Backoff,
    attempt_timeout: Duration,
    mut op: F,
) -> Result<T, GaveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut last = String::new();
    for attempt in 1..=policy.attempts {
        let outcome = tokio::time::timeout(attempt_timeout, op()).await;
        match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = format!("timed out after {attempt_timeout:?}"),
        }
        if attempt < policy.attempts {
            let delay = policy.delay(attempt);
            tracing::warn!(what, attempt, of = policy.attempts, error = %last, retry_in = ?delay, "start-up step failed, retrying");
            tokio::time::sleep(delay).await;
        }
    }
    Err(GaveUp {
        what,
        attempts: policy.attempts,
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    const TIMEOUT: Duration = Duration::from_millis(200);

    fn quick(attempts: u32) -> Backoff {
        Backoff::new(attempts, Duration::from_millis(1), Duration::from_millis(4))
    }

    #[test]
    fn delay_grows_exponentially_and_is_capped() {
        let b = Backoff::new(10, Duration::from_secs(1), Duration::from_secs(10));
        let d1 = b.delay(1).as_secs_f64();
        let d3 = b.delay(3).as_secs_f64();
        let d9 = b.delay(9).as_secs_f64();
        assert!((0.8..=1.2).contains(&d1), "{d1}");
        assert!((3.2..=4.8).contains(&d3), "{d3}");
        assert!((8.0..=12.0).contains(&d9), "{d9}");
    }

    #[tokio::test]
    async fn succeeds_after_transient_failures() {
        let calls = AtomicU32::new(0);
        let value = retry("thing", quick(5), TIMEOUT, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err("not yet")
            } else {
                Ok(7)
            }
        })
        .await
        .expect("third attempt succeeds");
        assert_eq!(value, 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_the_configured_attempts_with_the_last_error() {
        let calls = AtomicU32::new(0);
        let err = retry("database", quick(3), TIMEOUT, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>("connection refused")
        })
        .await
        .expect_err("never succeeds");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            err.to_string(),
            "database failed after 3 attempts: connection refused"
        );
    }

    #[tokio::test]
    async fn a_hanging_attempt_times_out() {
        let err = retry("telegram", quick(2), TIMEOUT, || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<(), &str>(())
        })
        .await
        .expect_err("times out");
        assert!(err.last.contains("timed out"));
    }
}
