//! Typed errors of the Avito client.

use std::time::Duration;

use super::operation::Operation;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AvitoError {
    /// The client id / secret pair was refused: the owner must fix it.
    #[error("Avito refused the client credentials (client_id or client_secret is wrong)")]
    InvalidCredentials,
    /// A valid token that lacks access (e.g. no subscription for Messenger, wrong user_id).
    #[error("Avito denied access to {operation}: {message}")]
    Forbidden {
        operation: Operation,
        message: String,
    },
    /// Still rate limited after waiting and retrying.
    #[error("Avito rate limit on {operation} persisted; retry after {retry_after:?}")]
    RateLimited {
        operation: Operation,
        retry_after: Duration,
    },
    /// Timeouts, connection failures and 5xx that outlasted the retries.
    #[error("Avito is unavailable for {operation} after {attempts} attempts: {detail}")]
    Unavailable {
        operation: Operation,
        attempts: u32,
        detail: String,
    },
    /// Avito said the request was wrong (400) or named something that does not exist (404).
    #[error("Avito rejected {operation} (HTTP {status}): {message}")]
    Rejected {
        operation: Operation,
        status: u16,
        message: String,
    },
    /// An answer the client cannot understand: reported, never a panic.
    #[error("unexpected answer from Avito to {operation} (HTTP {status}): {detail}")]
    Unexpected {
        operation: Operation,
        status: u16,
        detail: String,
    },
    /// A request the client refuses to send because the API would refuse it.
    #[error("{0}")]
    InvalidRequest(String),
    /// Only a recent answer would do (a person is waiting and a new request would wait for the
    /// operation's next minute), and there was none.
    #[error("no recent answer to {operation} to reuse")]
    NotCached { operation: Operation },
    /// A write (see [`Operation::is_write`]) was sent but its answer never came (a timeout, a
    /// dropped connection) or came as a 5xx: Avito may or may not have carried it out. It is
    /// never resent by the client; read the state back (the review's answer) before deciding
    /// anything.
    #[error("unknown whether Avito took {operation}: {detail}")]
    OutcomeUnknown {
        operation: Operation,
        detail: String,
    },
}

impl AvitoError {
    /// Whether retrying later (not immediately) could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AvitoError::RateLimited { .. } | AvitoError::Unavailable { .. }
        )
    }
}

pub type AvitoResult<T> = Result<T, AvitoError>;
