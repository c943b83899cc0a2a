//! `POST /echo`: reads the whole request body (within the body limit) and reports its size.
//! A client that streams its body slowly makes a naturally slow request, which the
//! shutdown tests rely on.

use axum::Json;
use axum::body::Bytes;
use serde::Serialize;

/// Reply of `POST /echo`.
#[derive(Debug, Serialize)]
pub struct EchoReply {
    /// Number of body bytes received.
    pub bytes: usize,
}

/// `POST /echo`: a body over the limit is rejected with 413 by the body-limit layer or
/// the extractor, whichever notices first.
pub async fn echo(body: Bytes) -> Json<EchoReply> {
    Json(EchoReply { bytes: body.len() })
}
