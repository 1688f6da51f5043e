//! The emulator's handle: starts the server (the state wired to the routes on a loopback
//! listener) and lets tests look at and change the state.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::config::AvitoConfig;
use super::data::{Dataset, RatingInfo, Review, moscow};
use super::faults::Fault;
use super::live::{LiveError, NewMessage};
use super::ops::Op;
use super::review_state::{NewReview, Verdict};
use super::state::{AppState, Shared};
use crate::sync::lock;

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
        let shared = Shared::new(&cfg, data, stopped);
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
