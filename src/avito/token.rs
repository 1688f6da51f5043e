//! Access tokens: OAuth2 client credentials, read tolerantly, cached per account,
//! persisted through a [`TokenStore`], refreshed shortly before expiry by one task at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::credentials::Credentials;
use super::error::{AvitoError, AvitoResult};
use super::operation::Operation;
use crate::domain::clock;
use crate::retry::Backoff;

/// Refresh this long before the token expires, so a request never carries a dying token.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Used when an answer's `expires_in` is missing or unbelievable (Avito documents 24 h).
const SAFE_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// A lifetime shorter than this would have every request fetch a token first.
const MIN_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Longer than a week is not what Avito documents; refresh within the hour instead.
const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// An access token and when it stops working.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    fn fresh(&self) -> bool {
        let margin = chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or_default();
        clock::now() + margin < self.expires_at
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where tokens outlive the process (the database, encrypted). Failures to store are logged by
/// the implementation and never fail a request.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    async fn load(&self, client_id: &str) -> Option<AccessToken>;
    async fn save(&self, client_id: &str, token: &AccessToken);
}

/// A store that keeps nothing: every process start fetches a new token.
pub struct NoTokenStore;

#[async_trait::async_trait]
impl TokenStore for NoTokenStore {
    async fn load(&self, _client_id: &str) -> Option<AccessToken> {
        None
    }
    async fn save(&self, _client_id: &str, _token: &AccessToken) {}
}

#[derive(Default)]
struct Slot {
    token: Option<AccessToken>,
    /// The store was consulted (or its token found bad): go to Avito next time.
    store_checked: bool,
}

pub struct TokenManager {
    http: reqwest::Client,
    token_url: String,
    store: Arc<dyn TokenStore>,
    retry: Backoff,
    /// One token request's longest wait (`AVITO_REQUEST_TIMEOUT_SEC`, like every request).
    timeout: Duration,
    observer: super::observe::Observed,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
}

impl TokenManager {
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        store: Arc<dyn TokenStore>,
        retry: Backoff,
        timeout: Duration,
        observer: super::observe::Observed,
    ) -> Self {
        Self {
            observer,
            http,
            token_url,
            store,
            retry,
            timeout,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, client_id: &str) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(client_id.to_owned()).or_default().clone()
    }

    /// A usable token: cached, stored, or freshly fetched. Concurrent callers for one account
    /// wait for the single refresh in progress rather than start their own.
    pub async fn token(&self, creds: &Credentials) -> AvitoResult<AccessToken> {
        let slot = self.slot(creds.client_id());
        let mut slot = slot.lock().await;
        if let Some(token) = slot.token.as_ref().filter(|t| t.fresh()) {
            return Ok(token.clone());
        }
        if !slot.store_checked {
            slot.store_checked = true;
            if let Some(token) = self
                .store
                .load(creds.client_id())
                .await
                .filter(AccessToken::fresh)
            {
                slot.token = Some(token.clone());
                return Ok(token);
            }
        }
        let token = self.fetch_with_retries(creds).await?;
        self.store.save(creds.client_id(), &token).await;
        slot.token = Some(token.clone());
        Ok(token)
    }

    /// A token fetched from Avito now, whatever is cached: proof that these very credentials
    /// work (a cached token, kept per client id, would pass a wrong secret for a known id).
    /// It replaces the cached one.
    pub async fn fresh_token(&self, creds: &Credentials) -> AvitoResult<AccessToken> {
        let slot = self.slot(creds.client_id());
        let mut slot = slot.lock().await;
        let token = self.fetch_with_retries(creds).await?;
        self.store.save(creds.client_id(), &token).await;
        slot.token = Some(token.clone());
        slot.store_checked = true;
        Ok(token)
    }

    /// Avito refused `rejected` (401/403): forget it, unless another caller already replaced
    /// it, so that a burst of refusals leads to one refresh.
    pub async fn invalidate(&self, creds: &Credentials, rejected: &AccessToken) {
        let slot = self.slot(creds.client_id());
        let mut slot = slot.lock().await;
        if slot
            .token
            .as_ref()
            .is_none_or(|t| t.token == rejected.token)
        {
            slot.token = None;
            slot.store_checked = true;
        }
    }

    async fn fetch_with_retries(&self, creds: &Credentials) -> AvitoResult<AccessToken> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.fetch(creds).await {
                Err(AvitoError::Unavailable { detail, .. })
                    if self.retry.allows_another(attempt) =>
                {
                    let delay = self.retry.delay(attempt);
                    tracing::warn!(attempt, error = %detail, retry_in = ?delay, "Avito token request failed, retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(AvitoError::Unavailable { detail, .. }) => {
                    return Err(AvitoError::Unavailable {
                        operation: Operation::GetAccessToken,
                        attempts: attempt,
                        detail,
                    });
                }
                other => return other,
            }
        }
    }

    /// `POST /token` (client credentials in the form body, as Avito documents).
    async fn fetch(&self, creds: &Credentials) -> AvitoResult<AccessToken> {
        let op = Operation::GetAccessToken;
        let started = std::time::Instant::now();
        let sent = self
            .http
            .post(&self.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds.client_id()),
                ("client_secret", creds.client_secret()),
            ])
            .timeout(self.timeout)
            .send()
            .await;
        let unavailable = |detail: String| AvitoError::Unavailable {
            operation: op,
            attempts: 1,
            detail,
        };
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                self.observer.request(op, None, started.elapsed());
                return Err(unavailable(if e.is_timeout() {
                    format!("no answer within {:?}", self.timeout)
                } else {
                    error_chain(&e)
                }));
            }
        };
        let status = response.status().as_u16();
        let body = response.bytes().await;
        let elapsed = started.elapsed();
        tracing::debug!(operation = "getAccessToken", status, elapsed = ?elapsed, "Avito request");
        self.observer.request(op, Some(status), elapsed);
        let body = body.map_err(|e| unavailable(error_chain(&e)))?;
        match status {
            200..=299 => read_token(&body, clock::now()),
            400 | 401 | 403 => Err(AvitoError::InvalidCredentials),
            429 | 500..=599 => Err(unavailable(format!("HTTP {status}"))),
            _ => Err(AvitoError::Unexpected {
                operation: op,
                status,
                detail: String::from_utf8_lossy(&body).chars().take(200).collect(),
            }),
        }
    }
}

/// Whether `token` can be sent in an `Authorization` header.
pub fn usable_token(token: &str) -> bool {
    !token.chars().any(|c| c.is_control() && c != '\t')
}

/// Reads a token answer tolerantly: only `access_token` is needed. `expires_in` is typed
/// `number` (so `86400.0` is fine); missing, out of range or absurd, it gives way to
/// [`SAFE_LIFETIME`] — a 401/403 refreshes the token early anyway.
fn read_token(body: &[u8], now: DateTime<Utc>) -> AvitoResult<AccessToken> {
    let op = Operation::GetAccessToken;
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default, deserialize_with = "super::lenient::opt_text")]
        access_token: Option<String>,
        #[serde(default, deserialize_with = "super::lenient::opt_f64")]
        expires_in: Option<f64>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| AvitoError::Unexpected {
        operation: op,
        status: 200,
        detail: format!("the token answer is not a JSON object: {e}"),
    })?;
    // The token is opaque: it goes back as it came, in an `Authorization` header, which
    // takes anything but control characters (tab aside).
    let token = answer
        .access_token
        .filter(|t| usable_token(t))
        .ok_or(AvitoError::Unexpected {
            operation: op,
            status: 200,
            detail: "the answer has no usable access_token".to_owned(),
        })?;
    let usable = MIN_LIFETIME.as_secs_f64()..=MAX_LIFETIME.as_secs_f64();
    let lifetime = match answer.expires_in {
        Some(secs) if usable.contains(&secs) => Duration::from_secs(secs as u64),
        other => {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!(expires_in = ?other, assumed = ?SAFE_LIFETIME, "Avito's token answer has no usable expires_in; assuming a safe lifetime (logged once)");
            });
            SAFE_LIFETIME
        }
    };
    Ok(AccessToken {
        token,
        expires_at: now
            + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1)),
    })
}

/// An error with its causes, for logs and messages ("error sending request: connection refused").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(body: &str) -> i64 {
        let now = clock::now();
        let token = read_token(body.as_bytes(), now).expect("token");
        (token.expires_at - now).num_seconds()
    }

    #[test]
    fn expires_in_is_read_tolerantly() {
        let body =
            |e: &str| format!(r#"{{"access_token":"abc","expires_in":{e},"token_type":"Bearer"}}"#);
        assert_eq!(lifetime(&body("86400")), 86_400);
        assert_eq!(lifetime(&body("86400.0")), 86_400);
        assert_eq!(lifetime(&body("\"86400\"")), 86_400);
        for odd in ["0", "-5", "0.5", "1e300", "null", "\"soon\"", "[]"] {
            assert_eq!(lifetime(&body(odd)), 3_600, "expires_in {odd}");
        }
        assert_eq!(lifetime(r#"{"access_token":"abc"}"#), 3_600);
    }

    #[test]
    fn a_token_that_cannot_be_sent_is_an_error() {
        for body in [
            r#"{"expires_in":86400}"#,
            "{\"access_token\":\"a\\nb\"}",
            "[]",
            "<html>",
        ] {
            assert!(read_token(body.as_bytes(), clock::now()).is_err(), "{body}");
        }
        assert!(read_token(br#"{"access_token":12345}"#, clock::now()).is_ok());
        assert!(read_token(r#"{"access_token":"токен"}"#.as_bytes(), clock::now()).is_ok());
    }
}
