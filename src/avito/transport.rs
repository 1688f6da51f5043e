//! Sending one Avito request: pacing, the bearer token (refreshed once on 401/403), retries of
//! transient failures with backoff and jitter, 429 handling, and mapping answers to typed
//! errors. Callers get the JSON body.
//!
//! Writes ([`Operation::is_write`]) are sent once: a 401/403 (refused, so not taken) may be
//! resent after the token refresh, but a timeout, a dropped connection or a 5xx comes back as
//! [`AvitoError::OutcomeUnknown`] and a 429 as `RateLimited`, never retried.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::answers::{self, AnswerStore};
use super::cache::ResponseCache;
use super::credentials::Credentials;
use super::error::{AvitoError, AvitoResult};
use super::operation::Operation;
use super::pacing::{Pacer, Taken};
use super::token::{TokenManager, error_chain};
use crate::retry::Backoff;

type BoxedFetch = std::pin::Pin<Box<dyn std::future::Future<Output = AvitoResult<Value>> + Send>>;

/// One request, before it is sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub op: Operation,
    pub method: Method,
    /// Path below the base URL, starting with `/`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    /// Keep the answer at least until then, beyond the operation's reuse time: a warm-up ahead
    /// of a report's slot, whose report reads it there.
    pub keep_until: Option<tokio::time::Instant>,
}

impl Request {
    pub fn get(op: Operation, path: String) -> Self {
        Self {
            op,
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
            keep_until: None,
        }
    }

    pub fn post(op: Operation, path: String, body: Value) -> Self {
        Self {
            op,
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
            keep_until: None,
        }
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// The answer kept until `until` at least (see [`Request::keep_until`]).
    pub fn kept_until(self, until: tokio::time::Instant) -> Self {
        Self {
            keep_until: Some(until),
            ..self
        }
    }

    /// How long the answer is kept from now: the operation's reuse time, or until
    /// [`Request::keep_until`] if later. An operation never reused is never kept.
    fn keep_for(&self, window: Duration, now: tokio::time::Instant) -> Duration {
        let reuse = self.op.reuse_for(window);
        match self.keep_until {
            Some(until) if !reuse.is_zero() => reuse.max(until.saturating_duration_since(now)),
            _ => reuse,
        }
    }

    fn cache_key(&self, account: &str) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "{}{}|{}",
            key_prefix(account, &self.method, &self.path),
            query.join("&"),
            self.body.as_ref().map(Value::to_string).unwrap_or_default()
        )
    }
}

/// The start of the cache keys of every request of `account` to `method` `path`.
fn key_prefix(account: &str, method: &Method, path: &str) -> String {
    format!("{account}|{method}|{path}|")
}

/// Retry and timing policy of the client.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Timeouts, connection errors and 5xx.
    pub transient: Backoff,
    /// Waits for a 429 before giving up with `RateLimited`.
    pub rate_limit_waits: u32,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            transient: Backoff::new(4, Duration::from_millis(500), Duration::from_secs(8)),
            rate_limit_waits: 3,
            request_timeout: Duration::from_secs(30),
        }
    }
}

pub struct Transport {
    pub observer: super::observe::Observed,
    pub http: reqwest::Client,
    pub base_url: String,
    pub tokens: TokenManager,
    pub pacer: Pacer,
    pub cache: ResponseCache,
    /// Answers of the once-a-window operations shared with other processes, if any.
    pub answers: Option<Arc<dyn AnswerStore>>,
    pub retry: RetryPolicy,
    /// Value of the `X-Source` header CPA operations require.
    pub x_source: String,
}

enum Outcome {
    Done(Value),
    /// Try again after this delay (None = at once).
    Retry(Option<Duration>, AvitoError),
    Fail(AvitoError),
}

impl Transport {
    /// Sends `req` for the account of `creds`, coalesced with identical requests in flight and
    /// reusing fresh answers of the 1/min operations.
    pub async fn call(
        self: &Arc<Self>,
        creds: &Credentials,
        req: Request,
    ) -> AvitoResult<Arc<Value>> {
        let key = req.cache_key(creds.client_id());
        let window = self.pacer.window();
        let ttl = req.keep_for(window, tokio::time::Instant::now());
        let keep_until = req
            .keep_until
            .filter(|_| !req.op.reuse_for(window).is_zero());
        // The fetch owns its inputs: a future borrowing them would not be `Send` for spawned
        // callers (higher-ranked lifetime inference).
        let this = Arc::clone(self);
        let creds = creds.clone();
        match self.answers.clone().filter(|_| req.op.shares_answers()) {
            // The shared store keeps the answer for its time; in memory, only coalesce.
            Some(answers) => {
                let shared_key = key.clone();
                self.cache
                    .get_or_fetch(key, Duration::ZERO, move || {
                        let fetch: BoxedFetch =
                            Box::pin(this.fetch_shared(creds, req, shared_key, ttl, answers));
                        fetch
                    })
                    .await
            }
            None => {
                let answer = self
                    .cache
                    .get_or_fetch(key.clone(), ttl, move || {
                        let fetch: BoxedFetch = Box::pin(this.send_with_retries(creds, req, None));
                        fetch
                    })
                    .await?;
                // An answer got earlier for a shorter time is kept as long as asked now.
                if let Some(until) = keep_until {
                    self.cache.keep_until(&key, until);
                }
                Ok(answer)
            }
        }
    }

    /// The answer to `req` this process or (on PostgreSQL) another one got within its reuse
    /// time, if any: nothing is sent.
    pub async fn cached(&self, creds: &Credentials, req: &Request) -> Option<Arc<Value>> {
        let key = req.cache_key(creds.client_id());
        if let Some(answer) = self.cache.peek(&key) {
            return Some(answer);
        }
        let answers = self.answers.as_ref().filter(|_| req.op.shares_answers())?;
        load(answers.as_ref(), &key).await.map(Arc::new)
    }

    /// A once-a-window answer: another process's if stored (or stored while this one waits
    /// for its slot), else fetched in this process's slot and stored for the others.
    async fn fetch_shared(
        self: Arc<Self>,
        creds: Credentials,
        req: Request,
        key: String,
        keep_for: Duration,
        answers: Arc<dyn AnswerStore>,
    ) -> AvitoResult<Value> {
        let (account, op) = (creds.client_id(), req.op);
        // A stored answer asked for longer than it is kept (a warm-up) is kept longer.
        let longer = keep_for > op.reuse_for(self.pacer.window());
        if let Some(answer) = load(answers.as_ref(), &key).await {
            if longer {
                save(answers.as_ref(), &key, &answer, keep_for, op).await;
            }
            return Ok(answer);
        }
        let reserved = self.pacer.reserve(account, op).await;
        if let Some(taken) = reserved
            && let Some(answer) = self
                .stored_within(answers.as_ref(), &key, taken.slot.wait)
                .await
        {
            self.pacer.release(account, op, taken).await;
            if longer {
                save(answers.as_ref(), &key, &answer, keep_for, op).await;
            }
            return Ok(answer);
        }
        let value = Arc::clone(&self)
            .send_with_retries(creds.clone(), req, reserved)
            .await?;
        save(answers.as_ref(), &key, &value, keep_for, op).await;
        Ok(value)
    }

    /// The answer another process stores before `wait` is over, looked for now and then.
    async fn stored_within(
        &self,
        answers: &dyn AnswerStore,
        key: &str,
        wait: Duration,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let every = answers::poll_every(self.pacer.window());
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            tokio::time::sleep(left.min(every)).await;
            if let Some(answer) = load(answers, key).await {
                return Some(answer);
            }
        }
    }

    /// Drops the cached answers of `account`'s `GET path` requests (any query), so the next
    /// read asks Avito.
    pub fn forget_reads(&self, creds: &Credentials, path: &str) {
        self.cache
            .forget(&key_prefix(creds.client_id(), &Method::GET, path));
    }

    async fn send_with_retries(
        self: Arc<Self>,
        creds: Credentials,
        req: Request,
        // The first attempt's slot, taken and waited for already (an operation without a
        // limit has none, and asking for one costs nothing).
        mut paced: Option<Taken>,
    ) -> AvitoResult<Value> {
        let (creds, req) = (&creds, &req);
        let mut transient_failures = 0;
        let mut rate_limit_waits = 0;
        let mut refreshed = false;
        loop {
            let taken = match paced.take() {
                Some(taken) => Some(taken),
                None => self.pacer.acquire(creds.client_id(), req.op).await,
            };
            let token = self.tokens.token(creds).await?;
            match self.send_once(creds, req, &token.token, taken).await {
                Outcome::Done(value) => return Ok(value),
                Outcome::Fail(e) => return Err(e),
                Outcome::Retry(None, AvitoError::Forbidden { .. }) if !refreshed => {
                    // An expired or revoked token: refresh once and try again.
                    refreshed = true;
                    self.tokens.invalidate(creds, &token).await;
                }
                Outcome::Retry(None, e) => return Err(e),
                Outcome::Retry(Some(wait), e @ AvitoError::RateLimited { .. }) => {
                    rate_limit_waits += 1;
                    if rate_limit_waits > self.retry.rate_limit_waits {
                        return Err(e);
                    }
                    tracing::warn!(operation = %req.op, wait = ?wait, "Avito answered 429, waiting");
                    tokio::time::sleep(wait).await;
                }
                Outcome::Retry(Some(_), e) => {
                    transient_failures += 1;
                    if !self.retry.transient.allows_another(transient_failures) {
                        return Err(match e {
                            AvitoError::Unavailable {
                                operation, detail, ..
                            } => AvitoError::Unavailable {
                                operation,
                                attempts: transient_failures,
                                detail,
                            },
                            other => other,
                        });
                    }
                    let delay = self.retry.transient.delay(transient_failures);
                    tracing::warn!(operation = %req.op, error = %e, retry_in = ?delay, "Avito request failed, retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn send_once(
        &self,
        creds: &Credentials,
        req: &Request,
        token: &str,
        taken: Option<Taken>,
    ) -> Outcome {
        let op = req.op;
        let mut builder = self
            .http
            .request(req.method.clone(), format!("{}{}", self.base_url, req.path))
            .bearer_auth(token)
            .timeout(self.retry.request_timeout);
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        if op == Operation::BalanceInfoV3 {
            builder = builder.header("X-Source", &self.x_source);
        }
        let started = std::time::Instant::now();
        let left = tokio::time::Instant::now();
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                self.observer.request(op, None, started.elapsed());
                tracing::debug!(operation = %op, error = %e, "Avito request failed");
                return self.no_answer(op, &e);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let elapsed = started.elapsed();
        self.observer.request(op, Some(status.as_u16()), elapsed);
        tracing::debug!(operation = %op, status = status.as_u16(), elapsed = ?elapsed, "Avito request");
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.pacer.exhausted(creds.client_id(), op, None).await;
        } else if header_u32(&headers, "x-ratelimit-remaining") == Some(0) {
            let met = taken.map(|taken| (taken, left));
            self.pacer.exhausted(creds.client_id(), op, met).await;
        }
        let body = match response.bytes().await {
            Ok(b) => b,
            // A write Avito said 2xx to was taken, whatever its body.
            Err(_) if op.is_write() && status.is_success() => return Outcome::Done(Value::Null),
            Err(e) if op.is_write() => return unknown(op, error_chain(&e)),
            Err(e) => {
                return Outcome::Retry(
                    Some(Duration::ZERO),
                    AvitoError::Unavailable {
                        operation: op,
                        attempts: 1,
                        detail: error_chain(&e),
                    },
                );
            }
        };
        if op.is_write()
            && let Some(outcome) = classify_write(op, status, &body, self.pacer.window())
        {
            return outcome;
        }
        classify(op, status, &headers, &body, self.pacer.window())
    }

    /// No answer came. A read is retried; a write that may have reached Avito is an unknown
    /// outcome, and one that never left (no connection) is final but safe to send again later.
    fn no_answer(&self, op: Operation, e: &reqwest::Error) -> Outcome {
        let detail = if e.is_timeout() {
            format!("no answer within {:?}", self.retry.request_timeout)
        } else {
            error_chain(e)
        };
        if op.is_write() && !e.is_connect() {
            return unknown(op, detail);
        }
        let failure = AvitoError::Unavailable {
            operation: op,
            attempts: 1,
            detail,
        };
        if op.is_write() {
            Outcome::Fail(failure)
        } else {
            Outcome::Retry(Some(Duration::ZERO), failure)
        }
    }
}

/// Stores `answer` for the other processes; a store that cannot costs only the sharing.
async fn save(
    answers: &dyn AnswerStore,
    key: &str,
    answer: &Value,
    keep_for: Duration,
    op: Operation,
) {
    if let Err(e) = answers.save(key, answer, keep_for).await {
        tracing::warn!(error = %e, operation = %op, "cannot share an Avito answer");
    }
}

/// A stored answer, or none when the store cannot say (the request then goes to Avito).
async fn load(answers: &dyn AnswerStore, key: &str) -> Option<Value> {
    answers.load(key).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the shared Avito answers");
        None
    })
}

fn unknown(op: Operation, detail: String) -> Outcome {
    Outcome::Fail(AvitoError::OutcomeUnknown {
        operation: op,
        detail,
    })
}

/// What a write's answer means where it differs from a read's: a 2xx is done even with a body
/// that cannot be read (the write was taken), a 5xx leaves the outcome unknown, a 429 is
/// final. `None`: as for a read (401/403 refresh the token, 4xx are rejections).
fn classify_write(
    op: Operation,
    status: StatusCode,
    body: &[u8],
    window: Duration,
) -> Option<Outcome> {
    let code = status.as_u16();
    match code {
        200..=299 => Some(Outcome::Done(
            serde_json::from_slice(body).unwrap_or(Value::Null),
        )),
        500..=599 => Some(unknown(op, format!("HTTP {code}: {}", error_message(body)))),
        429 => Some(Outcome::Fail(AvitoError::RateLimited {
            operation: op,
            retry_after: window,
        })),
        _ => None,
    }
}

fn header_u32(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u32> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The `message` of Avito's error bodies (`{error: {code, message}}` or `{code, message}`),
/// or a short excerpt of whatever came.
fn error_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    parsed
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("message"))
                .or_else(|| v.get("error_description"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.chars().take(200).collect();
            if excerpt.is_empty() {
                "no details".to_owned()
            } else {
                excerpt
            }
        })
}

fn classify(
    op: Operation,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    window: Duration,
) -> Outcome {
    let code = status.as_u16();
    match code {
        200..=299 => match serde_json::from_slice::<Value>(body) {
            Ok(value) => Outcome::Done(value),
            Err(e) => Outcome::Fail(AvitoError::Unexpected {
                operation: op,
                status: code,
                detail: format!("malformed JSON: {e}"),
            }),
        },
        // 402: a subscription the account lacks (Messenger) — as final as a 403 after refresh.
        402 => Outcome::Fail(AvitoError::Forbidden {
            operation: op,
            message: error_message(body),
        }),
        401 | 403 => Outcome::Retry(
            None,
            AvitoError::Forbidden {
                operation: op,
                message: error_message(body),
            },
        ),
        429 => {
            // The pacer now holds the window as spent, so without Retry-After the next
            // attempt waits for the window by itself.
            let retry_after =
                header_u32(headers, "retry-after").map(|s| Duration::from_secs(u64::from(s)));
            Outcome::Retry(
                Some(retry_after.unwrap_or(Duration::ZERO)),
                AvitoError::RateLimited {
                    operation: op,
                    retry_after: retry_after.unwrap_or(window),
                },
            )
        }
        500..=599 => Outcome::Retry(
            Some(Duration::ZERO),
            AvitoError::Unavailable {
                operation: op,
                attempts: 1,
                detail: format!("HTTP {code}: {}", error_message(body)),
            },
        ),
        400 | 404 | 405 | 409 | 422 => Outcome::Fail(AvitoError::Rejected {
            operation: op,
            status: code,
            message: error_message(body),
        }),
        _ => Outcome::Fail(AvitoError::Unexpected {
            operation: op,
            status: code,
            detail: error_message(body),
        }),
    }
}
