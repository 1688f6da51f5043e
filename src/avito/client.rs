//! The client and one account bound to it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::answers::Shared;
use super::cache::ResponseCache;
use super::credentials::Credentials;
use super::error::{AvitoError, AvitoResult};
use super::observe::{Observed, Observer, Unobserved};
use super::pacing::Pacer;
use super::token::{AccessToken, NoTokenStore, TokenManager, TokenStore};
use super::transport::{Request, RetryPolicy, Transport};

/// How the client talks to Avito.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: Url,
    pub retry: RetryPolicy,
    /// Token requests while Avito is briefly unavailable.
    pub token_retry: crate::retry::Backoff,
    /// The rate-limit window (a minute on the real API; tests shorten it together with the
    /// emulator's).
    pub rate_window: Duration,
    /// `X-Source` header value for the CPA operations.
    pub x_source: String,
    /// Who hears of each request (metrics).
    pub observer: Observed,
}

impl ClientConfig {
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            retry: RetryPolicy::default(),
            token_retry: crate::retry::Backoff::new(
                4,
                Duration::from_millis(500),
                Duration::from_secs(8),
            ),
            rate_window: Duration::from_secs(60),
            x_source: "avito-reports".to_owned(),
            observer: Observed::new(Arc::new(Unobserved)),
        }
    }

    /// The config with `observer` told of every request.
    pub fn observed_by(self, observer: Arc<dyn Observer>) -> Self {
        Self {
            observer: Observed::new(observer),
            ..self
        }
    }
}

/// The client; cheap to clone, shared by every account in the process so that pacing and
/// coalescing see all requests.
#[derive(Clone)]
pub struct AvitoClient {
    transport: Arc<Transport>,
}

impl AvitoClient {
    /// A client that keeps tokens in memory only.
    pub fn new(config: ClientConfig) -> AvitoResult<Self> {
        Self::with_token_store(config, Arc::new(NoTokenStore))
    }

    /// A client that persists tokens through `store`.
    pub fn with_token_store(config: ClientConfig, store: Arc<dyn TokenStore>) -> AvitoResult<Self> {
        Self::with_stores(config, store, None)
    }

    /// A client that persists tokens through `store` and, given `shared`, takes request slots
    /// and once-a-window answers from what every process on one database shares.
    pub fn with_stores(
        config: ClientConfig,
        store: Arc<dyn TokenStore>,
        shared: Option<Shared>,
    ) -> AvitoResult<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("avito-reports/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // Never follow redirects with credentials or tokens attached.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                AvitoError::InvalidRequest(format!("cannot build the HTTP client: {e}"))
            })?;
        let base_url = config.base_url.as_str().trim_end_matches('/').to_owned();
        let token_url = format!("{base_url}/token");
        Ok(Self {
            transport: Arc::new(Transport {
                tokens: TokenManager::new(
                    http.clone(),
                    token_url,
                    store,
                    config.token_retry,
                    config.retry.request_timeout,
                    config.observer.clone(),
                ),
                observer: config.observer,
                http,
                base_url,
                pacer: Pacer::new(
                    config.rate_window,
                    shared.as_ref().map(|s| s.budgets.clone()),
                ),
                cache: ResponseCache::default(),
                answers: shared.map(|s| s.answers),
                retry: config.retry,
                x_source: config.x_source,
            }),
        })
    }

    /// Operations on the account of `creds`.
    pub fn account(&self, creds: Credentials) -> Account {
        Account {
            transport: self.transport.clone(),
            creds,
        }
    }
}

/// One Avito account (client credentials), bound to the shared client.
#[derive(Clone)]
pub struct Account {
    pub(super) transport: Arc<Transport>,
    pub(super) creds: Credentials,
}

impl Account {
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// A token for this account, fetched if needed: checks the credentials.
    pub async fn access_token(&self) -> AvitoResult<AccessToken> {
        self.transport.tokens.token(&self.creds).await
    }

    pub(super) async fn call(&self, req: Request) -> AvitoResult<Arc<Value>> {
        self.transport.call(&self.creds, req).await
    }

    /// [`Self::call`] answered only from a recent answer (see `Transport::cached`): a request
    /// not answered lately is [`AvitoError::NotCached`], and nothing is sent.
    pub(super) async fn cached(&self, req: Request) -> AvitoResult<Arc<Value>> {
        let operation = req.op;
        self.transport
            .cached(&self.creds, &req)
            .await
            .ok_or(AvitoError::NotCached { operation })
    }
}
