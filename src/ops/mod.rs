//! Operating the worker: the health and metrics endpoint, metrics recording, admin alerts.
//!
//! `app::run` wires them in: it starts [`http::serve`] when `HTTP_ADDR` is set, feeds
//! [`http::PollingHealth`] from the poller, counts updates with [`metrics::update_handled`],
//! and raises [`alerts::AdminAlerts`] for invalid credentials, dead jobs and repeated
//! delivery failures.

pub mod alerts;
pub mod http;
pub mod metrics;

pub use alerts::{AdminAlerts, AlertCause, AlertOutcome};
pub use http::{PollingHealth, Probes};

use teloxide::dispatching::UpdateHandler;
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
        let update: Update = serde_json::from_value(serde_json::json!({
            "update_id": 1,
            "edited_channel_post": {
                "message_id": 5,
                "date": 1_700_000_000,
                "edit_date": 1_700_000_100,
                "chat": {"id": -100_1, "type": "channel", "title": "c"},
                "text": "hi"
            }
        }))
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
        let key = "avito_reports_updates_handled_total{kind=\"edited_channel_post\"} ";
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
        assert_eq!(count(&metrics::encode()), before + 1);
        assert_eq!(polling.status(), Ok(()));
    }
}
