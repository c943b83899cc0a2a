//! `GET /`: who is answering, so a deployment can prove which build and configuration
//! reached the process.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;

/// Name reported in the `service` field.
pub const SERVICE_NAME: &str = env!("CARGO_PKG_NAME");
/// Version reported in the `version` field.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The JSON document `{"service", "version", "greeting"}`, rendered once: it cannot change
/// while the process runs. The state of the `GET /` route.
#[derive(Clone, Debug)]
pub struct Document(Bytes);

#[derive(Serialize)]
struct Info<'a> {
    service: &'a str,
    version: &'a str,
    greeting: &'a str,
}

impl Document {
    /// Renders the document for `greeting`.
    pub fn new(greeting: &str) -> Self {
        let info = Info {
            service: SERVICE_NAME,
            version: VERSION,
            greeting,
        };
        // Serialising plain strings cannot fail.
        Self(
            serde_json::to_vec(&info)
                .expect("serialising the info document")
                .into(),
        )
    }
}

/// `GET /`: the pre-rendered document.
pub async fn info(State(document): State<Document>) -> impl IntoResponse {
    // A static value: a `&str` would be validated and copied for every request.
    let json = HeaderValue::from_static("application/json");
    ([(CONTENT_TYPE, json)], document.0)
}
