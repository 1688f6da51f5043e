//! Operating the worker: the health and metrics endpoint and admin alerts (the metrics
//! themselves are recorded through [`crate::metrics`]).
//!
//! `app::serve` binds [`http::HttpServer`] when `HTTP_ADDR` is set, feeds [`PollingHealth`]
//! from the poller, counts updates through [`observed`], and counts queued jobs on each scrape;
//! the jobs raise [`AdminAlerts`] for invalid credentials, dead jobs and delivery failures.

pub mod alerts;
pub mod http;

pub use alerts::{AdminAlerts, AlertCause, AlertOutcome};
pub use http::{PollingHealth, Probes};

use teloxide::dispatching::UpdateHandler;

use crate::metrics;
use teloxide::prelude::*;

/// `schema` with every update counted ([`metrics::update_handled`]) and taken as proof that
/// polling works ([`PollingHealth::mark_ok`]) before the handlers see it.
pub fn observed<E>(schema: UpdateHandler<E>, polling: PollingHealth) -> UpdateHandler<E>
where
    E: Send + Sync + 'static,
{
    dptree::entry()
        .inspect(move |update: Update| {
            metrics::update_handled(&update);
            polling.mark_ok();
        })
        .chain(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn observed_updates_are_counted_and_mark_polling_alive() {
        // From text, as Telegram sends it (teloxide reads updates from raw JSON).
        let update: Update = serde_json::from_str(
            r#"{"update_id": 1, "message": {"message_id": 5, "date": 1700000000,
                "chat": {"id": 42, "type": "private", "first_name": "Ann"},
                "from": {"id": 42, "is_bot": false, "first_name": "Ann"}, "text": "hi"}}"#,
        )
        .expect("update");
        let polling = PollingHealth::new(std::time::Duration::from_secs(60));
        polling.mark_failed();
        let reached = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = reached.clone();
        let schema: UpdateHandler<std::convert::Infallible> = dptree::endpoint(move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            async { Ok(()) }
        });
        let handler = observed(schema, polling.clone());
        let key = "avito_reports_updates_handled_total{kind=\"message\"} ";
        let count = |text: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let before = count(&metrics::encode());
        let outcome = handler.dispatch(dptree::deps![update]).await;
        assert!(matches!(outcome, std::ops::ControlFlow::Break(Ok(()))));
        assert!(
            reached.load(std::sync::atomic::Ordering::SeqCst),
            "handlers still run"
        );
        assert_eq!(
            count(&metrics::encode()),
            before + 1,
            "{}",
            metrics::encode()
        );
        assert_eq!(polling.status(), Ok(()));
    }
}
