//! `GET /`: who is answering, so a deployment can prove which build and configuration
//! reached the process.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;

use crate::app::AppState;

/// Name reported in the `service` field.
pub const SERVICE_NAME: &str = env!("CARGO_PKG_NAME");
/// Version reported in the `version` field.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Serialize)]
struct Info<'a> {
    service: &'a str,
    version: &'a str,
    greeting: &'a str,
}

/// Renders the JSON document `{"service", "version", "greeting"}`.
pub fn render(greeting: &str) -> Bytes {
    let info = Info {
        service: SERVICE_NAME,
        version: VERSION,
        greeting,
    };
    // Serialising plain strings cannot fail.
    serde_json::to_vec(&info)
        .expect("serialising the info document")
        .into()
}

/// `GET /`: the pre-rendered document.
pub async fn info(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/json")],
        state.info_document.clone(),
    )
}
