//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;

use crate::state::AppState;

/// `GET /healthz`: 200 while the process can answer at all.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 while ready, 503 once draining has begun so load balancers stop
/// sending new traffic.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.readiness.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n")
    }
}
