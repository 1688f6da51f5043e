//! Control endpoints for out-of-process tests (not part of the Avito API, not counted). A
//! field that is missing or of the wrong kind is a 400 naming it.
//!
//! The emulator's switches and counters ([`switches`]):
//! * `POST /_control/faults` — body `{"faults": ["itemAnalytics=status:500", ...], "clear": true}`
//!   (`clear` first drops existing faults), or plain text with one fault spec per line.
//! * `DELETE /_control/faults` — clear all faults.
//! * `POST /_control/expire_tokens` — expire every issued token.
//! * `POST /_control/latency` — body `{"ms": 100}`: delay added to every request.
//! * `GET /_control/counts` — `{"counts": {operationId: n}, "token_requests": n,
//!   "validation_failures": [...], "answer_requests": {review_id: n}}` (`createReviewAnswerV1`
//!   requests per review).
//!
//! Live changes to an account ([`live`]; each names it by `user_id`; 400 with the reason when
//! refused):
//! * `POST /_control/wallet` — `{"user_id": 1000001, "real": 450.0}`: the wallet's money, ₽.
//! * `POST /_control/cpa_balance` — `{"user_id": 1000001, "roubles": -20.5}`.
//! * `POST /_control/spending` — `{"user_id": 1000001, "roubles": 900, "at": UNIX}` (`at`
//!   defaults to now): a promotion charge in the operations history.
//! * `POST /_control/chat_message` — `{"user_id": 1000001, "chat_id": "u2i~…", "direction":
//!   "in", "text": "…", "created": UNIX}` (chat: default the newest; direction: default `in`;
//!   created: default now) → `{"chat_id": "…"}`.
//! * `POST /_control/missed_call` — `{"user_id": 1000001, "item_id": 1, "date": "2026-12-03"}`
//!   (item: default one alive that day; date: default today in Moscow) → `{"item_id": N}`.
//! * `POST /_control/demand` — `{"user_id": 1000001, "date": "2026-12-03", "percent": 40}`
//!   (date: default today in Moscow): that day's views and contacts at `percent` of the
//!   generated figures.
//! * `POST /_control/item_status` — `{"user_id": 1000001, "item_id": N, "status": "blocked"}`
//!   (`status`: active, removed, old, blocked or rejected): the listing's status from now on,
//!   as `getItemsInfo` lists it and `getItemInfo` gives it.
//!
//! Reviews, answers and the rating ([`reviews`]):
//! * `POST /_control/review` — `{"user_id": 1000001, "score": 2, "stage": "fell_through",
//!   "text": "…", "item_id": N, "sender": "Иван", "can_answer": true, "used_in_score": true,
//!   "created_at": UNIX}` → `{"review_id": N}`. Only `user_id` and `score` (1–5) are required;
//!   defaults: stage `done`, a stock text, no item, no sender, answerable, counted in the
//!   score, created now.
//! * `POST /_control/rating` — `{"user_id": 1000001, "enabled": true, "rating": {"score": 4.7,
//!   "reviews_count": 12, "reviews_with_score_count": 10}}`; `"rating": null` is a seller with
//!   no rating (`rating` must be given; `enabled` defaults to true). Any finite score and whole
//!   counts are served as given, so tests can serve implausible ones.
//! * `POST /_control/moderate` — `{"user_id": 1000001, "review_id": N, "status": "rejected",
//!   "reasons": ["Оскорбления"]}` (`status`: `published`, `rejected` or `moderation`; reasons
//!   only for `rejected`, default one stock reason).

mod body;
mod live;
mod reviews;
mod switches;

use axum::Router;
use axum::routing::{get, post};

use crate::avito::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/_control/faults",
            post(switches::set_faults).delete(switches::clear_faults),
        )
        .route("/_control/expire_tokens", post(switches::expire_tokens))
        .route("/_control/latency", post(switches::set_latency))
        .route("/_control/counts", get(switches::counts))
        .route("/_control/wallet", post(live::set_wallet))
        .route("/_control/cpa_balance", post(live::set_cpa))
        .route("/_control/spending", post(live::add_spending))
        .route("/_control/chat_message", post(live::add_chat_message))
        .route("/_control/missed_call", post(live::add_missed_call))
        .route("/_control/demand", post(live::set_demand))
        .route("/_control/item_status", post(live::set_item_status))
        .route("/_control/review", post(reviews::add_review))
        .route("/_control/rating", post(reviews::set_rating))
        .route("/_control/moderate", post(reviews::moderate))
}
