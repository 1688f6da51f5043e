//! Middleware in front of every operation: count it, add latency, apply injected faults.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::avito::error::{ApiError, malformed, rate_limited};
use crate::avito::faults::{Fault, TIMEOUT_HANG};
use crate::avito::limits::RateInfo;
use crate::avito::ops::Op;
use crate::avito::state::AppState;
use crate::sync::lock;

pub(crate) async fn gate(
    State((s, op)): State<(AppState, Op)>,
    req: Request,
    next: Next,
) -> Response {
    s.count(op);
    let latency = *lock(&s.latency);
    if !latency.is_zero() {
        s.sleep(latency).await;
    }
    match s.take_fault(op) {
        None => next.run(req).await,
        Some(Fault::Latency(d)) => {
            s.sleep(d).await;
            next.run(req).await
        }
        Some(Fault::Accepted(instead)) => {
            // The handler runs (a write is stored); its answer is then lost or replaced.
            let answer = next.run(req).await;
            match *instead {
                Fault::Latency(d) => {
                    s.sleep(d).await;
                    answer
                }
                Fault::Timeout => {
                    s.sleep(TIMEOUT_HANG).await;
                    ApiError::Injected(504).render(op)
                }
                Fault::MalformedBody => malformed(),
                Fault::Status(code) => ApiError::Injected(code).render(op),
                // `parse_fault_spec` allows nothing else; a hand-built one is a plain 500.
                _ => ApiError::Injected(500).render(op),
            }
        }
        Some(Fault::Status(code)) => ApiError::Injected(code).render(op),
        Some(Fault::MalformedBody) => malformed(),
        Some(Fault::RateLimited) => rate_limited(
            op,
            RateInfo {
                limit: op.rate_limit().unwrap_or(1),
                remaining: 0,
            },
        ),
        Some(Fault::Timeout) => {
            s.sleep(TIMEOUT_HANG).await;
            ApiError::Injected(504).render(op)
        }
        // `FaultTable::take` unwraps `Times`; kept for exhaustiveness.
        Some(Fault::Times(..)) => next.run(req).await,
    }
}
