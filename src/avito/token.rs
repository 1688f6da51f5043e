//! Access tokens: OAuth2 client credentials (through the `oauth2` crate), cached per account,
//! persisted through a [`TokenStore`], refreshed shortly before expiry by one task at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, TokenResponse, TokenUrl};

use super::credentials::Credentials;
use super::error::{AvitoError, AvitoResult};
use super::operation::Operation;

/// Refresh this long before the token expires, so a request never carries a dying token.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Avito documents 24 h; used when an answer leaves `expires_in` out.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// An access token and when it stops working.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    fn fresh(&self) -> bool {
        let margin = chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or_default();
        Utc::now() + margin < self.expires_at
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

/// How token requests are retried when Avito is briefly unavailable.
#[derive(Debug, Clone, Copy)]
pub struct TokenRetry {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

pub struct TokenManager {
    http: reqwest::Client,
    token_url: TokenUrl,
    store: Arc<dyn TokenStore>,
    retry: TokenRetry,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
}

/// The HTTP client handed to `oauth2`, remembering the status of the answer: `oauth2` folds it
/// away, but it decides between "wrong credentials" and "Avito is down".
struct StatusRecordingClient {
    http: reqwest::Client,
    status: Arc<AtomicU16>,
}

type TokenHttpFuture<'c> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, TokenHttpError>> + Send + 'c>,
>;

impl<'c> oauth2::AsyncHttpClient<'c> for StatusRecordingClient {
    type Error = TokenHttpError;
    type Future = TokenHttpFuture<'c>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = self.http.execute(request).await?;
            self.status
                .store(response.status().as_u16(), Ordering::SeqCst);
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await?;
            Ok(builder.body(body.to_vec())?)
        })
    }
}

#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error(transparent)]
    Reqwest(#[from] reqwest::Error),
    #[error(transparent)]
    Http(#[from] oauth2::http::Error),
}

impl TokenManager {
    pub fn new(
        http: reqwest::Client,
        token_url: TokenUrl,
        store: Arc<dyn TokenStore>,
        retry: TokenRetry,
    ) -> Self {
        Self {
            http,
            token_url,
            store,
            retry,
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
                Err(AvitoError::Unavailable { detail, .. }) if attempt < self.retry.attempts => {
                    let delay = backoff(self.retry.base, self.retry.max, attempt);
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

    async fn fetch(&self, creds: &Credentials) -> AvitoResult<AccessToken> {
        let client = BasicClient::new(ClientId::new(creds.client_id().to_owned()))
            .set_client_secret(ClientSecret::new(creds.client_secret().to_owned()))
            .set_token_uri(self.token_url.clone())
            // Avito takes the credentials in the form body, not in Basic auth.
            .set_auth_type(AuthType::RequestBody);
        let http = StatusRecordingClient {
            http: self.http.clone(),
            status: Arc::new(AtomicU16::new(0)),
        };
        let started = std::time::Instant::now();
        let outcome = client
            .exchange_client_credentials()
            .request_async(&http)
            .await;
        let status = http.status.load(Ordering::SeqCst);
        let elapsed = started.elapsed();
        tracing::debug!(operation = "getAccessToken", status, elapsed = ?elapsed, "Avito request");
        // 0: no HTTP answer came (the recorder saw no status).
        crate::ops::metrics::avito_request(
            Operation::GetAccessToken.id(),
            (status != 0).then_some(status),
            elapsed,
        );
        match outcome {
            Ok(response) => {
                let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
                Ok(AccessToken {
                    token: response.access_token().secret().clone(),
                    expires_at: Utc::now()
                        + chrono::Duration::from_std(lifetime)
                            .unwrap_or_else(|_| chrono::Duration::hours(24)),
                })
            }
            Err(error) => Err(classify(status, error)),
        }
    }
}

fn classify<RE: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
    status: u16,
    error: RequestTokenError<RE, T>,
) -> AvitoError {
    let op = Operation::GetAccessToken;
    match (status, &error) {
        (400 | 401 | 403, _) => AvitoError::InvalidCredentials,
        (0, RequestTokenError::Request(e)) => AvitoError::Unavailable {
            operation: op,
            attempts: 1,
            detail: error_chain(e),
        },
        (429 | 500..=599, _) => AvitoError::Unavailable {
            operation: op,
            attempts: 1,
            detail: format!("HTTP {status}"),
        },
        (_, RequestTokenError::Request(e)) => AvitoError::Unavailable {
            operation: op,
            attempts: 1,
            detail: error_chain(e),
        },
        (_, RequestTokenError::Parse(e, _)) => AvitoError::Unexpected {
            operation: op,
            status,
            detail: e.to_string(),
        },
        (_, other) => AvitoError::Unexpected {
            operation: op,
            status,
            detail: other.to_string(),
        },
    }
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

/// base·2ⁿ⁻¹ capped at `max`, with ±20 % jitter.
pub(crate) fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = 2f64.powi(attempt.saturating_sub(1).min(20) as i32);
    let raw = (base.as_secs_f64() * exp).min(max.as_secs_f64());
    Duration::from_secs_f64(raw * (0.8 + 0.4 * rand::random::<f64>()))
}
