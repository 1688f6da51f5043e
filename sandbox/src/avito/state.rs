//! The state every request of the Avito emulator shares: the dataset, tokens, limits, faults,
//! counters and what tests changed since start. The routes read and change it; the server
//! builds it and wires it to them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::Response;
use tokio::sync::watch;

use super::auth::Tokens;
use super::config::AvitoConfig;
use super::data::Dataset;
use super::error::ApiError;
use super::faults::{Fault, FaultTable};
use super::limits::{RateInfo, RateLimiter};
use super::live::Live;
use super::openapi::OpenApi;
use super::ops::Op;
use super::request::ApiRequest;
use super::review_state::ReviewState;
use super::validate::{Input, validate};
use crate::sync::lock;

pub(crate) struct Shared {
    pub data: Arc<Dataset>,
    pub spec: &'static OpenApi,
    pub tokens: Mutex<Tokens>,
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<FaultTable>,
    pub counts: Mutex<HashMap<&'static str, usize>>,
    /// Requests answered 429 because they broke a documented limit (not injected faults).
    pub rate_limited: AtomicUsize,
    pub failures: Mutex<Vec<String>>,
    pub latency: Mutex<Duration>,
    /// Balances moved, money spent, messages and calls added since start.
    pub live: Mutex<Live>,
    /// Reviews added, answered and moderated, ratings set, answer requests counted.
    pub reviews: Mutex<ReviewState>,
    shutdown: watch::Receiver<bool>,
}

pub(crate) type AppState = Arc<Shared>;

impl Shared {
    /// The state of a new emulator serving `data`; `shutdown` turns true when it stops.
    pub fn new(cfg: &AvitoConfig, data: Arc<Dataset>, shutdown: watch::Receiver<bool>) -> AppState {
        Arc::new(Shared {
            data,
            spec: OpenApi::embedded(),
            tokens: Mutex::new(Tokens::new(cfg.seed, cfg.token_ttl)),
            limiter: Mutex::new(RateLimiter::new(cfg.rate_window, cfg.enforce_rate_limits)),
            faults: Mutex::new(FaultTable::default()),
            counts: Mutex::new(HashMap::new()),
            rate_limited: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            live: Mutex::new(Live::default()),
            reviews: Mutex::new(ReviewState::default()),
            shutdown,
        })
    }

    pub fn count(&self, op: Op) {
        *lock(&self.counts).entry(op.id()).or_default() += 1;
    }

    pub fn record_failure(&self, what: String) {
        tracing::debug!(%what, "avito emulator: request not allowed by the spec");
        lock(&self.failures).push(what);
    }

    /// Sleeps, but wakes early when the emulator shuts down (so a `Timeout` fault cannot hold
    /// the server open).
    pub async fn sleep(&self, d: Duration) {
        let mut stop = self.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }

    pub fn take_fault(&self, op: Op) -> Option<Fault> {
        lock(&self.faults).take(op)
    }

    /// Authentication, spec validation and the `user_id` ownership check, in the order the
    /// real API is assumed to apply them. Returns the account index and the validated input.
    pub fn begin(&self, op: Op, req: &ApiRequest) -> Result<(usize, Input), ApiError> {
        let account = lock(&self.tokens).check(&req.headers)?;
        let input = validate(self.spec, op.id(), req, self.data.today())?;
        if let Some(uid) = input.path_i64("user_id") {
            let own = self.data.accounts().get(account).map(|a| a.user_id());
            if own != Some(uid) {
                return Err(
                    if self.data.account_index(uid).is_none() && op.documents_not_found() {
                        ApiError::NotFound("Неверный user_id в запросе".into())
                    } else {
                        ApiError::Forbidden(format!("user_id {uid} does not belong to this token"))
                    },
                );
            }
        }
        Ok((account, input))
    }

    /// Counts a request against the documented limit.
    pub fn rate(&self, op: Op, account: usize) -> Result<Option<RateInfo>, ApiError> {
        lock(&self.limiter).hit(account, op).map_err(|info| {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            ApiError::RateLimited(info)
        })
    }

    /// Renders an error for `op`, recording requests the spec does not allow.
    pub fn finish(&self, op: Op, result: Result<Response, ApiError>) -> Response {
        match result {
            Ok(r) => r,
            Err(e) => {
                if let ApiError::Invalid(msg) = &e {
                    self.record_failure(format!("{}: {msg}", op.id()));
                }
                e.render(op)
            }
        }
    }
}
