//! The operations endpoint (`HTTP_ADDR`): `/healthz`, `/readyz` and `/metrics`.
//!
//! - `/healthz` answers 200 `ok` while the process can serve HTTP at all (the container's
//!   health check).
//! - `/readyz` answers 200 `ready` when the database answers a ping within a short timeout and
//!   Telegram polling is alive ([`PollingHealth`]); otherwise 503 with a one-line reason.
//! - `/metrics` is the process' registry ([`crate::metrics`]) in the text exposition format.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::metrics;

/// How long `/readyz` waits for the database.
pub const DEFAULT_DB_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `/metrics` waits for the scrape hook before serving what it has.
const SCRAPE_HOOK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("HTTP_ADDR {addr} is in use: another process listens there; pick another port")]
    InUse { addr: SocketAddr },
    #[error("HTTP_ADDR {addr} cannot be listened on: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP endpoint failed: {0}")]
    Serve(std::io::Error),
}

/// Whether Telegram polling is alive, as the worker reports it.
///
/// teloxide's poller reports failed polls (its backoff strategy is called for each) but not
/// successful quiet ones, so a failure streak counts as over when no new failure was reported
/// for `stale_after`: a poller that keeps failing reports again within its poll timeout plus
/// its longest backoff.
#[derive(Clone)]
pub struct PollingHealth {
    inner: Arc<Mutex<PollState>>,
    stale_after: Duration,
}

#[derive(Debug, Clone, Copy)]
enum PollState {
    NotStarted,
    Ok,
    Failing {
        since: Instant,
        last: Instant,
        count: u32,
    },
    Stopped,
}

impl PollingHealth {
    /// `stale_after`: at least the long-poll timeout plus the longest backoff between polls.
    pub fn new(stale_after: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(PollState::NotStarted)),
            stale_after,
        }
    }

    fn update(&self, f: impl FnOnce(PollState) -> PollState) {
        // A panic while holding this lock cannot leave the state half-written: take it anyway.
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        *state = f(*state);
    }

    /// Polling started, or a poll brought updates.
    pub fn mark_ok(&self) {
        self.update(|s| match s {
            PollState::Stopped => s,
            _ => PollState::Ok,
        });
    }

    /// A poll failed.
    pub fn mark_failed(&self) {
        let now = Instant::now();
        self.update(|s| match s {
            PollState::Stopped => s,
            PollState::Failing { since, count, .. } => PollState::Failing {
                since,
                last: now,
                count: count.saturating_add(1),
            },
            _ => PollState::Failing {
                since: now,
                last: now,
                count: 1,
            },
        });
    }

    /// Polling stopped for good (shutdown, or it gave up): not ready any more.
    pub fn mark_stopped(&self) {
        self.update(|_| PollState::Stopped);
    }

    /// `Err` with a one-line reason when polling is not alive.
    pub fn status(&self) -> Result<(), String> {
        self.status_at(Instant::now())
    }

    fn status_at(&self, now: Instant) -> Result<(), String> {
        let state = *self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match state {
            PollState::Ok => Ok(()),
            PollState::NotStarted => Err("Telegram polling has not started".to_owned()),
            PollState::Stopped => Err("Telegram polling has stopped".to_owned()),
            PollState::Failing { last, .. }
                if now.saturating_duration_since(last) >= self.stale_after =>
            {
                Ok(())
            }
            PollState::Failing { since, count, .. } => Err(format!(
                "Telegram polling is failing: {count} failed poll(s) in a row over {}s",
                now.saturating_duration_since(since).as_secs()
            )),
        }
    }
}

impl std::fmt::Debug for PollingHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollingHealth")
            .field("status", &self.status())
            .finish()
    }
}

/// Runs before each `/metrics` answer, e.g. to count the queued jobs
/// ([`metrics::set_queue_depth`]).
pub type ScrapeHook = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// What the endpoint checks.
#[derive(Clone)]
pub struct Probes {
    db: DatabaseConnection,
    polling: PollingHealth,
    db_timeout: Duration,
    on_scrape: Option<ScrapeHook>,
}

impl Probes {
    pub fn new(db: DatabaseConnection, polling: PollingHealth) -> Self {
        Self {
            db,
            polling,
            db_timeout: DEFAULT_DB_TIMEOUT,
            on_scrape: None,
        }
    }

    /// How long `/readyz` waits for the database's answer.
    pub fn db_timeout(mut self, timeout: Duration) -> Self {
        self.db_timeout = timeout;
        self
    }

    /// Runs `hook` (bounded by a short timeout) before every `/metrics` answer.
    pub fn on_scrape<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_scrape = Some(Arc::new(move || Box::pin(hook())));
        self
    }

    /// `Err` with a one-line reason when the worker is not ready.
    pub async fn readiness(&self) -> Result<(), String> {
        self.polling.status()?;
        match tokio::time::timeout(self.db_timeout, self.db.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!(
                "database unreachable: {}",
                one_line(&e.to_string())
            )),
            Err(_) => Err(format!(
                "database did not answer within {:?}",
                self.db_timeout
            )),
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A bound listener, before it serves: binding first lets a caller learn the port (port 0)
/// and report a busy address before anything else starts.
pub struct HttpServer {
    listener: TcpListener,
}

impl HttpServer {
    pub async fn bind(addr: SocketAddr) -> Result<Self, HttpError> {
        match TcpListener::bind(addr).await {
            Ok(listener) => Ok(Self { listener }),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(HttpError::InUse { addr }),
            Err(source) => Err(HttpError::Bind { addr, source }),
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn serve(
        self,
        probes: Probes,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), HttpError> {
        if let Ok(addr) = self.listener.local_addr() {
            tracing::info!(%addr, "health and metrics endpoint listening");
        }
        axum::serve(self.listener, router(probes))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(HttpError::Serve)
    }
}

/// Binds `addr` and serves `/healthz`, `/readyz` and `/metrics` until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    probes: Probes,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    HttpServer::bind(addr)
        .await?
        .serve(probes, shutdown)
        .await?;
    Ok(())
}

fn router(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(probes)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(probes): State<Probes>) -> impl IntoResponse {
    match probes.readiness().await {
        Ok(()) => (StatusCode::OK, "ready".to_owned()),
        Err(reason) => {
            tracing::debug!(%reason, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, reason)
        }
    }
}

async fn metrics_text(State(probes): State<Probes>) -> impl IntoResponse {
    if let Some(hook) = &probes.on_scrape
        && tokio::time::timeout(SCRAPE_HOOK_TIMEOUT, hook())
            .await
            .is_err()
    {
        tracing::warn!(timeout = ?SCRAPE_HOOK_TIMEOUT, "the metrics scrape hook timed out; serving the last values");
    }
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::encode(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE: Duration = Duration::from_secs(60);

    #[test]
    fn polling_is_not_ready_before_it_starts() {
        let health = PollingHealth::new(STALE);
        assert!(health.status().is_err());
        health.mark_ok();
        assert_eq!(health.status(), Ok(()));
    }

    #[test]
    fn a_failure_streak_makes_polling_not_ready_until_it_goes_stale() {
        let health = PollingHealth::new(STALE);
        health.mark_ok();
        health.mark_failed();
        health.mark_failed();
        let now = Instant::now();
        let reason = health.status_at(now).expect_err("failing");
        assert!(reason.contains("2 failed poll(s)"), "{reason}");
        // No new failure for longer than a failing poller could stay quiet: it recovered.
        assert_eq!(health.status_at(now + STALE), Ok(()));
    }

    #[test]
    fn an_update_after_failures_makes_polling_ready_again() {
        let health = PollingHealth::new(STALE);
        health.mark_failed();
        health.mark_ok();
        assert_eq!(health.status(), Ok(()));
    }

    #[test]
    fn stopped_polling_stays_not_ready() {
        let health = PollingHealth::new(STALE);
        health.mark_ok();
        health.mark_stopped();
        health.mark_ok();
        let reason = health.status().expect_err("stopped");
        assert!(reason.contains("stopped"), "{reason}");
    }

    #[test]
    fn reasons_are_one_line() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }
}
