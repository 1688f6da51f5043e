//! The HTTP side: every path+method of the spec on 127.0.0.1, answering 200 with
//! [`AnswerMode::answer`] for the n-th request of the operation.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use serde_json::{Value, json};

use super::AnswerMode;
use crate::avito::openapi::OpenApi;
use crate::avito::server::lock;

struct Shared {
    spec: &'static OpenApi,
    mode: AnswerMode,
    /// Per operation id: requests so far and the last body sent.
    seen: Mutex<HashMap<&'static str, (u64, Value)>>,
    /// `"METHOD /path"` of requests no operation matched.
    unmatched: Mutex<Vec<String>>,
}

type AppState = Arc<Shared>;

impl Shared {
    fn respond(&self, op_id: &'static str) -> Response {
        // The count is taken first (under the lock) so concurrent requests get distinct n.
        let n = {
            let mut seen = lock(&self.seen);
            let entry = seen.entry(op_id).or_insert((0, Value::Null));
            entry.0 += 1;
            entry.0 - 1
        };
        // Every routed id comes from the spec, so this is `None` only for an operation without
        // a JSON 200 response; that is a gap in the spec, reported as such rather than a panic.
        let Some(body) = self.mode.answer(self.spec, op_id, n) else {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("{op_id} documents no JSON 200 response"),
            );
        };
        if let Some(entry) = lock(&self.seen).get_mut(op_id) {
            entry.1 = body.clone();
        }
        (StatusCode::OK, axum::Json(body)).into_response()
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
        let shared = Arc::new(Shared {
            spec: OpenApi::embedded(),
            mode,
            seen: Mutex::new(HashMap::new()),
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

    /// Requests answered for an operationId (`POST /token/` counts as `getAccessToken`).
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
/// documented method on it, plus `POST /token/`, the form the docs' curl uses. Request bodies,
/// queries and headers are not read.
fn router(state: AppState) -> Router {
    let spec: &'static OpenApi = state.spec;
    let mut paths: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    for op in spec.operations() {
        let Some(filter) = method_filter(op.method) else {
            continue;
        };
        let id = op.id;
        let handler = move |State(s): State<AppState>| async move { s.respond(id) };
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
