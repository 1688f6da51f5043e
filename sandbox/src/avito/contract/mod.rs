//! Contract answers: every operation of the Avito OpenAPI subset answered with either the spec's
//! own examples or random schema-valid data, so a client can be shown to survive whatever the
//! spec allows (absent optionals, nulls, extremes, unknown properties, empty and long strings...).
//! Unlike [`AvitoEmulator`](super::AvitoEmulator) there is no state or auth, but every request
//! is checked against the spec with the emulator's validator: one the spec allows gets 200 and
//! a body, any other 400 naming the field, and it is recorded
//! ([`ContractServer::violations`]), so a client can be shown to send only what the spec allows.
//! [`ContractServer::start_paged`] answers the paged operations with pages as long as asked.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use sandbox::avito::contract::{AnswerMode, ContractServer};
//! let server = ContractServer::start(AnswerMode::random(7)).await?;
//! // point the client at server.base_url(); on failure print server.last_answer("getChatsV2")
//! assert!(server.violations().is_empty(), "{:?}", server.violations());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Two operations have a documented alternative form (`shared/avito/NOTES.md`), which
//! [`Forms`] picks between:
//! * `getMessagesV3`: a top-level array per the spec; the real API may wrap it as
//!   `{"messages": [...]}`;
//! * `postOperationsHistory`: `{"result": {"operations": [...]}}` per the schema,
//!   `{"operations": [...]}` in the spec's example.

mod answer;
pub mod example;
pub mod generate;
mod pages;
mod server;

pub use answer::{ALTERNATIVE_FORMS, AnswerMode, Forms, alternative_form, operation_key};
pub use example::{example_answer, schema_example};
pub use generate::{MAX_CHARS, MAX_ITEMS, random_answer, random_value};
pub use pages::Listings;
pub use server::{ContractServer, Received, Violation};
