//! The Avito API client: OAuth2 client-credentials tokens, typed operations, pacing at the
//! documented rate limits, retries, coalescing, and typed errors. It knows nothing of Telegram.
//!
//! ```no_run
//! # async fn demo() -> Result<(), avito_reports::avito::AvitoError> {
//! use avito_reports::avito::{AvitoClient, ClientConfig, Credentials};
//! let client = AvitoClient::new(ClientConfig::new("https://api.avito.ru".parse().unwrap()))?;
//! let account = client.account(Credentials::new("client-id", "client-secret")?);
//! let me = account.self_info().await?;
//! println!("{:?} {:?}", me.id, me.name);
//! # Ok(()) }
//! ```

mod answers;
mod cache;
mod client;
mod credentials;
mod error;
pub mod lenient;
pub mod model;
pub mod money;
mod observe;
mod operation;
mod ops;
mod pacing;
pub mod plausible;
pub mod query;
pub mod ratings;
mod token;
mod transport;

pub use answers::{AnswerStore, AnswersUnavailable, Shared};
pub use client::{Account, AvitoClient, ClientConfig};
pub use credentials::Credentials;
pub use error::{AvitoError, AvitoResult};
pub use observe::{Observed, Observer, Unobserved};
pub use operation::Operation;
pub use ops::{ChatsQuery, REVIEWS_PAGE};
pub use token::{AccessToken, NoTokenStore, TokenStore, usable_token};
pub use transport::RetryPolicy;
