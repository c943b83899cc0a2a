//! `GET /`: who is answering, so a deployment can prove which build and configuration
//! reached the process.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
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
pub async fn info(State(state): State<AppState>) -> Response {
    // Built directly rather than from `([(CONTENT_TYPE, ..)], Bytes)`, which would insert a
    // default content type first and then replace it.
    let mut response = Response::new(Body::from(state.info_document.clone()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
