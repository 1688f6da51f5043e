//! The emulator handle and the state shared by all requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::response::Response;
use tokio::sync::watch;

use super::auth::Tokens;
use super::config::AvitoConfig;
use super::data::{Dataset, RatingInfo, Review, moscow};
use super::error::ApiError;
use super::faults::{Fault, FaultTable};
use super::limits::{RateInfo, RateLimiter};
use super::live::{Live, LiveError, NewMessage};
use super::openapi::OpenApi;
use super::ops::Op;
use super::request::ApiRequest;
use super::review_state::{NewReview, ReviewState, Verdict};
use super::validate::{Input, validate};

/// A poisoned lock only means another request panicked; the data is still usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct Shared {
    pub data: Arc<Dataset>,
    pub spec: &'static OpenApi,
    pub tokens: Mutex<Tokens>,
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<FaultTable>,
    pub counts: Mutex<HashMap<&'static str, usize>>,
    /// Requests answered 429 because they broke a documented limit (not injected faults).
    pub rate_limited: std::sync::atomic::AtomicUsize,
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
            self.rate_limited
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

/// A running Avito API emulator on 127.0.0.1. Cheap to clone; all clones control one server.
#[derive(Clone)]
pub struct AvitoEmulator {
    shared: AppState,
    addr: SocketAddr,
    serving: crate::serving::Serving,
}

impl AvitoEmulator {
    /// Generates the dataset and starts serving.
    pub async fn start(cfg: AvitoConfig) -> anyhow::Result<AvitoEmulator> {
        let today = cfg
            .today
            .unwrap_or_else(|| chrono::Utc::now().with_timezone(&moscow()).date_naive());
        let data = Arc::new(Dataset::generate(cfg.seed, today, &cfg.accounts)?);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
        let addr = listener.local_addr()?;
        let switch = crate::serving::Serving::switch();
        let stopped = switch.1.clone();
        let shared = Arc::new(Shared {
            data,
            spec: OpenApi::embedded(),
            tokens: Mutex::new(Tokens::new(cfg.seed, cfg.token_ttl)),
            limiter: Mutex::new(RateLimiter::new(cfg.rate_window, cfg.enforce_rate_limits)),
            faults: Mutex::new(FaultTable::default()),
            counts: Mutex::new(HashMap::new()),
            rate_limited: std::sync::atomic::AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            live: Mutex::new(Live::default()),
            reviews: Mutex::new(ReviewState::default()),
            shutdown: stopped.clone(),
        });
        let app = super::routes::router(shared.clone());
        let serving = crate::serving::Serving::spawn(listener, app, switch, "avito emulator");
        tracing::info!(%addr, "avito emulator listening");
        Ok(AvitoEmulator {
            shared,
            addr,
            serving,
        })
    }

    /// `http://127.0.0.1:PORT`, the API base URL (use it where `https://api.avito.ru` would go).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Expires every token issued so far: requests with them get 403, like the real API after 24 h.
    pub fn expire_tokens(&self) {
        lock(&self.shared.tokens).expire_all();
    }

    /// Injects a fault for an operationId (or `*` for all operations).
    pub fn set_fault(&self, operation_id: &str, fault: Fault) {
        lock(&self.shared.faults).set(operation_id, fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Requests received for an operationId (including failed ones).
    pub fn request_count(&self, operation_id: &str) -> usize {
        lock(&self.shared.counts)
            .get(operation_id)
            .copied()
            .unwrap_or(0)
    }

    /// Requests answered 429 for breaking a documented rate limit (the client's pacing failed),
    /// injected 429 faults not included.
    pub fn rate_limited_count(&self) -> usize {
        self.shared
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Requests to `POST /token`.
    pub fn token_requests(&self) -> usize {
        self.request_count(Op::GetAccessToken.id())
    }

    /// Requests the spec does not allow, as `"operationId: reason"`, oldest first.
    pub fn validation_failures(&self) -> Vec<String> {
        lock(&self.shared.failures).clone()
    }

    /// Delay added to every request.
    pub fn set_latency(&self, d: Duration) {
        *lock(&self.shared.latency) = d;
    }

    /// Sets the wallet's money (roubles) of account `user_id`; bonuses stay.
    pub fn set_wallet_balance(&self, user_id: i64, roubles: f64) -> Result<(), LiveError> {
        let data = &self.shared.data;
        lock(&self.shared.live).set_wallet(data, user_id, roubles)
    }

    /// Sets the demand (views and contacts of `itemAnalytics` grouped by day) of a Moscow
    /// `day` to `percent` of the generated figures: a demand drop for alert tests.
    pub fn set_demand(
        &self,
        user_id: i64,
        day: chrono::NaiveDate,
        percent: u32,
    ) -> Result<(), LiveError> {
        let data = &self.shared.data;
        lock(&self.shared.live).set_demand(data, user_id, day, percent)
    }

    /// Sets the CPA balance (roubles; negative: in debt) of account `user_id`.
    pub fn set_cpa_balance(&self, user_id: i64, roubles: f64) -> Result<(), LiveError> {
        let data = &self.shared.data;
        lock(&self.shared.live).set_cpa(data, user_id, roubles)
    }

    /// Adds a promotion charge of `roubles` at `at` (unix seconds) to the operations history;
    /// a negative amount is a refund.
    pub fn add_spending(&self, user_id: i64, roubles: f64, at: i64) -> Result<(), LiveError> {
        let data = &self.shared.data;
        lock(&self.shared.live).add_spending(data, user_id, roubles, at)
    }

    /// Adds a text message to a chat (the newest chat about an item when none is named); returns
    /// the chat id.
    pub fn add_message(&self, user_id: i64, message: NewMessage) -> Result<String, LiveError> {
        let data = &self.shared.data;
        lock(&self.shared.live).add_message(data, user_id, message)
    }

    /// Adds a missed call on `day` (Moscow) about `item_id` (default: an item alive that day);
    /// returns the item's id.
    pub fn add_missed_call(
        &self,
        user_id: i64,
        item_id: Option<i64>,
        day: chrono::NaiveDate,
    ) -> Result<i64, LiveError> {
        let data = &self.shared.data;
        lock(&self.shared.live).add_missed_call(data, user_id, item_id, day)
    }

    /// Adds a review to account `user_id`; returns its id.
    pub fn add_review(&self, user_id: i64, review: NewReview) -> Result<i64, LiveError> {
        lock(&self.shared.reviews).add_review(&self.shared.data, user_id, review)
    }

    /// Sets what `getRatingsInfoV1` answers for account `user_id` from now on.
    pub fn set_rating(&self, user_id: i64, rating: RatingInfo) -> Result<(), LiveError> {
        lock(&self.shared.reviews).set_rating(&self.shared.data, user_id, rating)
    }

    /// Moderation publishes or rejects the answer to a review.
    pub fn moderate_answer(
        &self,
        user_id: i64,
        review_id: i64,
        verdict: Verdict,
    ) -> Result<(), LiveError> {
        lock(&self.shared.reviews).moderate(&self.shared.data, user_id, review_id, verdict)
    }

    /// A review as `getReviewsV1` serves it now (answers and moderation included).
    pub fn review(&self, user_id: i64, review_id: i64) -> Option<Review> {
        lock(&self.shared.reviews).review(&self.shared.data, user_id, review_id)
    }

    /// Every review of account `user_id` as served now, in `getReviewsV1` order (newest
    /// first); empty for an unknown account.
    pub fn reviews(&self, user_id: i64) -> Vec<Review> {
        let data = &self.shared.data;
        let Some(i) = data.account_index(user_id) else {
            return Vec::new();
        };
        let state = lock(&self.shared.reviews);
        state.reviews(data, i).into_iter().cloned().collect()
    }

    /// The rating `getRatingsInfoV1` answers for account `user_id` now.
    pub fn rating(&self, user_id: i64) -> Option<RatingInfo> {
        let data = &self.shared.data;
        let i = data.account_index(user_id)?;
        Some(lock(&self.shared.reviews).rating(data, i))
    }

    /// `createReviewAnswerV1` requests that named `review_id` and reached the emulator's
    /// handler, whatever came of them (refused, stored, or stored and then lost to an
    /// `accepted:` fault). A request an injected fault stopped before the handler is not
    /// counted here (it is in `request_count`).
    pub fn answer_requests(&self, review_id: i64) -> usize {
        lock(&self.shared.reviews).answer_requests(review_id)
    }

    /// The generated data, to compute what responses should contain.
    pub fn data(&self) -> Arc<Dataset> {
        self.shared.data.clone()
    }

    /// Stops the server; requests held by a `Timeout` fault are released.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

impl std::fmt::Debug for AvitoEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvitoEmulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
