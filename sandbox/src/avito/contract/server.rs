//! The HTTP side: every path+method of the spec on 127.0.0.1. Each request is checked against
//! the spec first (the emulator's validator): one the spec does not allow is answered 400 in
//! the operation's error shape, naming the field, and recorded as a [`Violation`]; the others
//! get 200 with [`AnswerMode::answer`] for the n-th answered request of the operation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use serde_json::{Value, json};

use super::answer::AnswerMode;
use super::pages::Listings;
use crate::avito::data::moscow;
use crate::avito::error::ApiError;
use crate::avito::openapi::OpenApi;
use crate::avito::ops::Op;
use crate::avito::request::ApiRequest;
use crate::avito::validate::{Input, validate};
use crate::sync::lock;

/// A request the spec does not allow, as the contract server refused it (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The spec's operationId of the request.
    pub operation: &'static str,
    /// What is wrong, naming the field: `query parameter status: "active,sold" does not match …`.
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.problem)
    }
}

/// A request the server answered 200, as it read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub operation: &'static str,
    /// Query parameters, coerced to JSON by their schemas (`chat_types` is an array).
    pub query: serde_json::Map<String, Value>,
    pub body: Option<Value>,
}

struct Shared {
    spec: &'static OpenApi,
    mode: AnswerMode,
    listings: Option<Listings>,
    /// Per operation id: requests answered so far and the last body sent.
    seen: Mutex<HashMap<&'static str, (u64, Value)>>,
    /// Every request answered 200, oldest first.
    received: Mutex<Vec<Received>>,
    /// Requests refused because the spec does not allow them, oldest first.
    violations: Mutex<Vec<Violation>>,
    /// `"METHOD /path"` of requests no operation matched.
    unmatched: Mutex<Vec<String>>,
}

type AppState = Arc<Shared>;

impl Shared {
    fn respond(&self, op_id: &'static str, req: &ApiRequest) -> Response {
        // Today where Avito counts its days (the 270-day depth of the statistics).
        let today = chrono::Utc::now().with_timezone(&moscow()).date_naive();
        let input = match validate(self.spec, op_id, req, today) {
            Ok(input) => input,
            Err(e) => return self.refuse(op_id, &e),
        };
        // Every routed id comes from the spec, so this is `None` only for an operation without
        // a JSON 200 response; that is a gap in the spec, reported as such rather than a panic.
        let Some(body) = self.answer(op_id, &input) else {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("{op_id} documents no JSON 200 response"),
            );
        };
        lock(&self.received).push(Received {
            operation: op_id,
            query: input.query,
            body: input.body,
        });
        (StatusCode::OK, axum::Json(body)).into_response()
    }

    /// The 400 the emulator gives for the operation (in its documented error shape), recorded.
    fn refuse(&self, op_id: &'static str, e: &ApiError) -> Response {
        tracing::debug!(operation = op_id, error = %e, "contract server: request not allowed by the spec");
        lock(&self.violations).push(Violation {
            operation: op_id,
            problem: e.to_string(),
        });
        match Op::from_id(op_id) {
            Some(op) => e.render(op),
            // An operation the emulator does not serve: Avito's common error body.
            None => error(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    }

    /// The n-th answer of the operation, its lists as long as the page asks when paging.
    fn answer(&self, op_id: &'static str, input: &Input) -> Option<Value> {
        // The count is taken first (under the lock) so concurrent requests get distinct n.
        let n = {
            let mut seen = lock(&self.seen);
            let entry = seen.entry(op_id).or_insert((0, Value::Null));
            entry.0 += 1;
            entry.0 - 1
        };
        let mut body = self.mode.answer(self.spec, op_id, n)?;
        if let Some(listings) = &self.listings {
            body = listings.fill(self.spec, op_id, input, body);
        }
        if let Some(entry) = lock(&self.seen).get_mut(op_id) {
            entry.1 = body.clone();
        }
        Some(body)
    }

    fn unmatched(&self, method: &Method, uri: &Uri) {
        let what = format!("{method} {}", uri.path());
        tracing::debug!(%what, "contract server: no operation for this request");
        lock(&self.unmatched).push(what);
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"code": status.as_u16(), "message": message}});
    (status, axum::Json(body)).into_response()
}

/// A server on 127.0.0.1 answering every operation of the embedded spec per an [`AnswerMode`].
/// Cheap to clone; all clones control one server.
#[derive(Clone)]
pub struct ContractServer {
    shared: AppState,
    addr: SocketAddr,
    serving: crate::serving::Serving,
}

impl ContractServer {
    /// Binds 127.0.0.1 on a free port and starts serving.
    pub async fn start(mode: AnswerMode) -> anyhow::Result<ContractServer> {
        Self::serve(mode, None).await
    }

    /// [`start`](Self::start), with the paged operations answering as long a page as each
    /// request asks, out of `listings` (see [`Listings`]).
    pub async fn start_paged(
        mode: AnswerMode,
        listings: Listings,
    ) -> anyhow::Result<ContractServer> {
        Self::serve(mode, Some(listings)).await
    }

    async fn serve(mode: AnswerMode, listings: Option<Listings>) -> anyhow::Result<ContractServer> {
        let shared = Arc::new(Shared {
            spec: OpenApi::embedded(),
            mode,
            listings,
            seen: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            unmatched: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = router(shared.clone());
        let serving = crate::serving::Serving::spawn(
            listener,
            app,
            crate::serving::Serving::switch(),
            "contract server",
        );
        tracing::info!(%addr, ?mode, "contract server listening");
        Ok(ContractServer {
            shared,
            addr,
            serving,
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash), where `https://api.avito.ru` would go.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn mode(&self) -> AnswerMode {
        self.shared.mode
    }

    /// Requests answered 200 for an operationId (`POST /token/` counts as `getAccessToken`).
    pub fn request_count(&self, operation_id: &str) -> usize {
        lock(&self.shared.seen)
            .get(operation_id)
            .map_or(0, |(n, _)| usize::try_from(*n).unwrap_or(usize::MAX))
    }

    /// The body of the latest answer for an operationId, to print when a client fails.
    pub fn last_answer(&self, operation_id: &str) -> Option<Value> {
        lock(&self.shared.seen)
            .get(operation_id)
            .map(|(_, body)| body.clone())
    }

    /// `"METHOD /path"` of requests that matched no operation (answered 404 or 405), oldest
    /// first: a client calling a path the spec does not have shows up here.
    pub fn unmatched_requests(&self) -> Vec<String> {
        lock(&self.shared.unmatched).clone()
    }

    /// Requests the spec does not allow (answered 400), oldest first: a client sending one
    /// shows up here with the operation and what was wrong.
    pub fn violations(&self) -> Vec<Violation> {
        lock(&self.shared.violations).clone()
    }

    /// Requests answered 200, oldest first, as the server read them.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// Stops the server (waits up to 5 s for open connections, then aborts).
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

impl std::fmt::Debug for ContractServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractServer")
            .field("addr", &self.addr)
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

/// One route per spec path (templates such as `{user_id}` are axum's syntax too), every
/// documented method on it, plus `POST /token/`, the form the docs' curl uses.
fn router(state: AppState) -> Router {
    let spec: &'static OpenApi = state.spec;
    let mut paths: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    for op in spec.operations() {
        let Some(filter) = method_filter(op.method) else {
            continue;
        };
        let id = op.id;
        let handler =
            move |State(s): State<AppState>, req: ApiRequest| async move { s.respond(id, &req) };
        let mut at = vec![op.path.to_owned()];
        if op.path == "/token" {
            at.push("/token/".to_owned());
        }
        for path in at {
            let route = paths.remove(&path).unwrap_or_default();
            paths.insert(path, route.on(filter, handler));
        }
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(&path, route)
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "get" => MethodFilter::GET,
        "post" => MethodFilter::POST,
        "put" => MethodFilter::PUT,
        "patch" => MethodFilter::PATCH,
        "delete" => MethodFilter::DELETE,
        _ => return None,
    })
}

async fn not_found(State(s): State<AppState>, method: Method, uri: Uri) -> Response {
    s.unmatched(&method, &uri);
    error(StatusCode::NOT_FOUND, "no such path in the spec")
}

async fn method_not_allowed(State(s): State<AppState>, method: Method, uri: Uri) -> Response {
    s.unmatched(&method, &uri);
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed by the spec",
    )
}
