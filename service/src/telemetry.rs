//! Structured JSON logging and the per-request observation (one log line and one metric
//! sample per request, taken from the same measurement).

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

use crate::app::AppState;
use crate::metrics::{UNMATCHED_ROUTE, method_label};

/// Installs the global JSON subscriber writing to stdout, filtered by `filter` (a
/// `LOG_LEVEL` value already validated by the config module), and routes panics into it.
/// Fails only if stdout is not open.
pub fn init(filter: &str) -> io::Result<()> {
    // A duplicate of stdout's descriptor: each line becomes exactly one write(2), with no
    // process-wide lock or line buffer in between. (`std::io::stdout()` serialises all
    // worker threads on one mutex held across the system call, which halved throughput
    // with two workers.) Lines shorter than PIPE_BUF (4 KiB) reach a pipe atomically, so
    // concurrent lines do not interleave.
    let stdout = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_env_filter(EnvFilter::builder().parse_lossy(filter))
        .with_writer(stdout)
        .init();
    log_panics();
    Ok(())
}

/// Replaces the default panic hook (plain text on stderr) with a JSON error event, so a
/// panicking handler leaves one parseable line with its message and location.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("non-string panic payload");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic = message, location, "panic");
    }));
}

/// Middleware: logs one line per request (method, route template, status, latency) and
/// records the same figures in the request metrics. It runs outermost, so it sees the
/// statuses produced by the timeout, body-limit and panic layers too.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // A cheap reference-counted copy of the template, not a new string.
    let matched = request.extensions().get::<MatchedPath>().cloned();

    let response = next.run(request).await;

    let latency = started.elapsed();
    let status = response.status().as_u16();
    let route = matched
        .as_ref()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    state.metrics.record(&method, route, status, latency);
    tracing::info!(
        method = method_label(&method),
        route,
        status,
        // Microsecond resolution; more digits would only be noise.
        latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3,
        "request"
    );
    response
}
