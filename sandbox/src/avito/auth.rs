//! Access tokens: issue on `POST /token`, check `Authorization: Bearer ...` elsewhere.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use super::rng::mix;

/// Why a request's token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 401.
    #[error("authorization header is missing")]
    Missing,
    /// 401.
    #[error("invalid access token")]
    Invalid,
    /// 403: the real API answers 403 once a token is past its 24 h.
    #[error("access token expired")]
    Expired,
}

#[derive(Debug)]
struct Entry {
    account: usize,
    expires_at: Instant,
}

#[derive(Debug)]
pub(crate) struct Tokens {
    seed: u64,
    issued: u64,
    ttl: Duration,
    by_token: HashMap<String, Entry>,
}

impl Tokens {
    pub fn new(seed: u64, ttl: Duration) -> Self {
        Self {
            seed,
            issued: 0,
            ttl,
            by_token: HashMap::new(),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A fresh token for `account`; earlier tokens stay valid until they expire, as with Avito.
    pub fn issue(&mut self, account: usize) -> String {
        self.issued += 1;
        let token = format!(
            "{:016x}{:08x}",
            mix(&[self.seed, account as u64, self.issued]),
            self.issued
        );
        self.by_token.insert(
            token.clone(),
            Entry {
                account,
                expires_at: Instant::now() + self.ttl,
            },
        );
        token
    }

    /// Makes every issued token expired.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for e in self.by_token.values_mut() {
            e.expires_at = now;
        }
    }

    /// The account the request's bearer token belongs to.
    pub fn check(&self, headers: &HeaderMap) -> Result<usize, AuthError> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?;
        let value = value.to_str().map_err(|_| AuthError::Invalid)?.trim();
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Invalid)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Invalid);
        }
        let entry = self.by_token.get(token.trim()).ok_or(AuthError::Invalid)?;
        if Instant::now() >= entry.expires_at {
            return Err(AuthError::Expired);
        }
        Ok(entry.account)
    }
}
