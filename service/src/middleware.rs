//! Per-request observation: one access line and one metric sample per request, taken
//! from the same measurement.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::{UNMATCHED_ROUTE, method_label};
use crate::state::AppState;

/// The `target` of access lines, so that the log filter alone can turn them off
/// (`LOG_LEVEL=info,access=off`).
pub const ACCESS_LOG_TARGET: &str = "access";

/// Logs and counts each request with its method, route template, status and latency.
/// Runs inside the router, where axum has matched the route, and outside the panic,
/// timeout and body-limit layers, so it sees the statuses they produce too.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    // The template (`/items/{id}`), never the raw path: label values stay bounded.
    let matched = request.extensions().get::<MatchedPath>().cloned();

    let response = next.run(request).await;

    let latency = started.elapsed();
    let route = matched
        .as_ref()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    let status = response.status().as_u16();
    state.metrics.record(method, route, status, latency);
    tracing::info!(
        target: ACCESS_LOG_TARGET,
        method,
        route,
        status,
        latency_ms = latency.as_secs_f64() * 1e3,
        "request"
    );
    response
}
