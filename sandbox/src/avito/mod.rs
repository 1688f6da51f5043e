//! Avito API emulator: the operations of `shared/avito/avito-analytics-openapi.json` (copied to
//! `sandbox/openapi/`) served over HTTP on 127.0.0.1, with deterministic data from a seed,
//! the documented rate limits, token expiry, request validation against the spec, and fault
//! injection.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use sandbox::avito::{AvitoConfig, AvitoEmulator, Fault};
//! let avito = AvitoEmulator::start(AvitoConfig::default()).await?;
//! avito.set_fault("itemAnalytics", Fault::Status(503));
//! // point the client at avito.base_url() with client_id "client-1", secret "secret-1"
//! avito.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! For client robustness tests, [`contract::ContractServer`] answers every operation with the
//! spec's own examples or random schema-valid data instead (no state or auth; requests are
//! validated as here, and refusals recorded).
//!
//! Behaviour worth knowing (details in each module):
//! * Errors: 401 missing/unknown token, 403 expired token or another account's `user_id`,
//!   400 for anything the spec does not allow (recorded in `validation_failures()`), in the
//!   error shape each operation documents. `/token` errors use RFC 6749 bodies with status 400.
//! * Lists: items and chats in a fixed order (items by id, chats newest first); messages newest
//!   first. Chats default to `chat_types=u2i` and items to `status=active`, as in the spec.
//! * Money: stats v2 in kopecks; spendings in roubles (per the schema); wallet in roubles;
//!   CPA balance in kopecks.
//! * Ratings: account 1 is rated with 14 reviews, account 2 is a new seller (`rating: null`),
//!   account 3 has its rating switched off (`AccountSpec::reviews`, `AccountSpec::rating`).
//!   Reviews come newest first, paged by `offset`/`limit` with `total`. An answer is stored in
//!   moderation and closes the review to answers (403 after that; 404 for a review the account
//!   does not have); a rejected answer opens it again. `answer_requests` counts the answer
//!   requests per review, and `accepted:` faults store an answer and then lose its response.

mod auth;
mod config;
pub mod contract;
mod control;
pub mod data;
mod error;
mod faults;
mod limits;
mod live;
pub mod openapi;
mod ops;
mod request;
mod review_state;
pub mod rng;
mod routes;
mod server;
mod state;
mod validate;

pub use auth::AuthError;
pub use config::{AccountSpec, AvitoConfig, ListingShape, RatingKind};
pub use data::{Dataset, Direction};
pub use faults::{Fault, parse_duration, parse_fault_spec};
pub use limits::RateInfo;
pub use live::{LiveError, NewMessage};
pub use ops::Op;
pub use review_state::{NewReview, Verdict};
pub use server::AvitoEmulator;
