//! Coalescing of identical concurrent requests, and reuse of recent answers of the 1/min
//! operations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::error::AvitoResult;

struct Entry {
    cell: Arc<OnceCell<Arc<Value>>>,
    created: Instant,
    ttl: Duration,
    /// An answer kept past its usual time (see [`ResponseCache::keep_until`]) as its JSON
    /// text, its parsed value let go: a page of 1,000 listings is several times larger parsed.
    packed: Option<Arc<str>>,
}

impl Entry {
    fn usable(&self, now: Instant) -> bool {
        let fresh = now.duration_since(self.created) < self.ttl;
        if self.packed.is_some() {
            return fresh;
        }
        // A request still in flight is always joined; a finished one only within its TTL.
        self.cell.get().is_none() || fresh
    }
}

/// What a key holds for a caller: a kept answer's text, or the cell to join or fill.
enum Held {
    Packed(Arc<str>),
    Cell(Arc<OnceCell<Arc<Value>>>),
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl ResponseCache {
    /// The answer for `key`: joined if in flight, reused if fresh, else fetched by `fetch`.
    /// Failures are not cached: the next caller tries again.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        key: String,
        ttl: Duration,
        fetch: F,
    ) -> AvitoResult<Arc<Value>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AvitoResult<Value>>,
    {
        let held = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            entries.retain(|_, e| e.usable(now));
            let entry = entries.entry(key.clone()).or_insert_with(|| Entry {
                cell: Arc::new(OnceCell::new()),
                created: now,
                ttl,
                packed: None,
            });
            match &entry.packed {
                Some(text) => Held::Packed(text.clone()),
                None => Held::Cell(entry.cell.clone()),
            }
        };
        let cell = match held {
            // Parsed outside the lock; text this cache wrote always parses.
            Held::Packed(text) => match serde_json::from_str(&text) {
                Ok(value) => return Ok(Arc::new(value)),
                Err(_) => return fetch().await.map(Arc::new),
            },
            Held::Cell(cell) => cell,
        };
        let result = cell
            .get_or_try_init(|| async { fetch().await.map(Arc::new) })
            .await
            .cloned();
        if ttl.is_zero() {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries
                .get(&key)
                .is_some_and(|e| Arc::ptr_eq(&e.cell, &cell))
            {
                entries.remove(&key);
            }
        }
        result
    }

    /// The answer for `key` if one is here and fresh; never fetches, never waits for a
    /// fetch in flight.
    pub fn peek(&self, key: &str) -> Option<Arc<Value>> {
        let packed = {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let entry = entries.get(key)?;
            if Instant::now().duration_since(entry.created) >= entry.ttl {
                return None;
            }
            match &entry.packed {
                Some(text) => text.clone(),
                None => return entry.cell.get().cloned(),
            }
        };
        serde_json::from_str(&packed).ok().map(Arc::new)
    }

    /// Keeps the answer for `key`, if one is here, at least until `until` (a warm-up ahead of
    /// a slot), packed as its text until then.
    pub fn keep_until(&self, key: &str, until: Instant) {
        let (answer, cell) = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let Some(entry) = entries.get_mut(key) else {
                return;
            };
            entry.ttl = entry
                .ttl
                .max(until.saturating_duration_since(entry.created));
            match (&entry.packed, entry.cell.get()) {
                (None, Some(answer)) => (answer.clone(), entry.cell.clone()),
                _ => return,
            }
        };
        // Written outside the lock, then swapped in if the entry still holds that answer.
        let text: Arc<str> = answer.to_string().into();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get_mut(key)
            && Arc::ptr_eq(&entry.cell, &cell)
        {
            entry.packed = Some(text);
            entry.cell = Arc::new(OnceCell::new());
        }
    }

    /// Drops every entry whose key starts with `prefix`: later callers fetch again (a fetch
    /// in flight still completes for those already waiting on it).
    pub fn forget(&self, prefix: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|key, _| !key.starts_with(prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::super::error::AvitoError;
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn identical_concurrent_requests_make_one_fetch() {
        let cache = Arc::new(ResponseCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("k".into(), Duration::ZERO, || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(Value::from(1))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(*t.await.expect("join").expect("ok"), Value::from(1));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peek_sees_a_fresh_answer_only_and_never_fetches() {
        let cache = ResponseCache::default();
        assert_eq!(cache.peek("k"), None);
        let ttl = Duration::from_secs(300);
        let answer = cache
            .get_or_fetch("k".into(), ttl, || async { Ok(Value::from(3)) })
            .await
            .expect("ok");
        assert_eq!(cache.peek("k"), Some(answer));
        assert_eq!(cache.peek("other"), None);
        tokio::time::advance(Duration::from_secs(301)).await;
        assert_eq!(cache.peek("k"), None, "stale");
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_reused_within_their_ttl_only() {
        let cache = ResponseCache::default();
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Value::from(2))
        };
        let ttl = Duration::from_secs(300);
        cache
            .get_or_fetch("k".into(), ttl, fetch)
            .await
            .expect("ok");
        cache
            .get_or_fetch("k".into(), ttl, fetch)
            .await
            .expect("ok");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(301)).await;
        cache
            .get_or_fetch("k".into(), ttl, fetch)
            .await
            .expect("ok");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_kept_longer_outlives_its_ttl_until_then() {
        let cache = ResponseCache::default();
        let ttl = Duration::from_secs(300);
        cache
            .get_or_fetch("k".into(), ttl, || async { Ok(Value::from(5)) })
            .await
            .expect("ok");
        cache.keep_until("k", Instant::now() + Duration::from_secs(3600));
        cache.keep_until("k", Instant::now() + Duration::from_secs(10));
        let again = cache
            .get_or_fetch("k".into(), ttl, || async {
                Err(AvitoError::InvalidRequest("no".into()))
            })
            .await;
        assert_eq!(
            again.ok(),
            Some(Arc::new(Value::from(5))),
            "read from the kept text"
        );
        tokio::time::advance(Duration::from_secs(3599)).await;
        assert_eq!(cache.peek("k"), Some(Arc::new(Value::from(5))), "kept");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.peek("k"), None, "gone after");
    }

    #[tokio::test(start_paused = true)]
    async fn forgotten_answers_are_fetched_again() {
        let cache = ResponseCache::default();
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(Value::from(4))
        };
        let ttl = Duration::from_secs(30);
        for key in [
            "a|GET|/r|offset=0",
            "a|GET|/r|offset=50",
            "b|GET|/r|offset=0",
        ] {
            cache
                .get_or_fetch(key.into(), ttl, fetch)
                .await
                .expect("ok");
        }
        cache.forget("a|GET|/r|");
        for key in [
            "a|GET|/r|offset=0",
            "a|GET|/r|offset=50",
            "b|GET|/r|offset=0",
        ] {
            cache
                .get_or_fetch(key.into(), ttl, fetch)
                .await
                .expect("ok");
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            5,
            "b's answer is still reused"
        );
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cache = ResponseCache::default();
        let err = cache
            .get_or_fetch("k".into(), Duration::from_secs(300), || async {
                Err(super::super::error::AvitoError::InvalidRequest(
                    "boom".into(),
                ))
            })
            .await;
        assert!(err.is_err());
        let ok = cache
            .get_or_fetch("k".into(), Duration::from_secs(300), || async {
                Ok(Value::from(3))
            })
            .await
            .expect("second try fetches");
        assert_eq!(*ok, Value::from(3));
    }
}
