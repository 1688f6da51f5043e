//! How often a worker looks for jobs that have fallen due (a slot's delivery is found only by
//! looking: nothing is pushed at its time).

use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};

/// Wakes a worker every `every`, and always leaves its next wake-up set. apalis' interval
/// strategy makes a new timer when one fires without polling it, so a worker could sleep
/// until its heartbeat or the next job pushed: deliveries were claimed 13–17 s after their
/// slot, and tests waited 40 s for checks.
pub struct Every(tokio::time::Interval);

impl Every {
    pub fn new(every: Duration) -> Self {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self(interval)
    }
}

impl PollStrategy for Every {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut fired = false;
        // Until it is pending: then its next tick is bound to wake this worker.
        while self.0.poll_tick(cx).is_ready() {
            fired = true;
        }
        if fired {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    /// Counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_tick_that_fires_leaves_the_next_one_set() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut every = Every::new(Duration::from_millis(500));
        let snapshot = PollSnapshot::default();
        // The first tick is at once; the worker then looks for jobs and is not polled again
        // until something wakes it.
        assert!(every.poll_drive(&mut cx, &snapshot).is_ready());
        tokio::time::advance(Duration::from_millis(499)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 0, "woken early");
        tokio::time::advance(Duration::from_millis(2)).await;
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the next tick must wake it"
        );
        assert!(every.poll_drive(&mut cx, &snapshot).is_ready());
        assert!(every.poll_drive(&mut cx, &snapshot).is_pending());
    }
}
