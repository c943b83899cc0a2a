//! HTTP routes, one module per endpoint group.

pub mod echo;
pub mod health;
pub mod info;
pub mod metrics;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::config::Config;
use crate::state::AppState;

/// All routes of the service, without middleware (see [`crate::startup::app`]).
pub fn router(config: &Config) -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(info::info).with_state(info::Document::new(&config.greeting)),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/echo", post(echo::echo))
        .fallback(not_found)
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}
