//! Structured JSON logging and the per-request observation (one log line and one metric
//! sample per request, taken from the same measurement).

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::sync::OnceLock;
use std::time::Instant;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::{Request, Response};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::app::AppState;
use crate::json_log::{AccessLog, JsonLines};
use crate::metrics::method_label;
use crate::routes::RoutePaths;

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
    let lines = JsonLines::new(stdout);
    // A second `init` (which would panic below anyway) keeps the first writer.
    let _ = ACCESS_LOG.set(lines.access_log());
    tracing_subscriber::registry()
        .with(EnvFilter::builder().parse_lossy(filter))
        .with(lines)
        .init();
    log_panics();
    Ok(())
}

/// Where [`Observe`] writes request lines; set by [`init`]. Without it (in-process tests,
/// or a program embedding the router with its own subscriber) requests are not logged.
static ACCESS_LOG: OnceLock<AccessLog> = OnceLock::new();

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

/// Middleware layer: logs one line per request (method, route, status, latency) and records
/// the same figures in the request metrics. It runs outside the panic, timeout and
/// body-limit layers, so it sees the statuses they produce too. The route is looked up in the
/// router's [`RoutePaths`].
///
/// A plain tower layer rather than `axum::middleware::from_fn`, which boxes the inner
/// service and its future for every request; this one wraps the inner future in place.
#[derive(Clone, Debug)]
pub struct ObserveLayer {
    state: AppState,
    routes: RoutePaths,
}

impl ObserveLayer {
    /// Records into `state`'s metrics, labelling requests with the paths in `routes`.
    pub fn new(state: AppState, routes: RoutePaths) -> Self {
        Self { state, routes }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            state: self.state.clone(),
            routes: self.routes.clone(),
        }
    }
}

/// The service made by [`ObserveLayer`].
#[derive(Clone, Debug)]
pub struct Observe<S> {
    inner: S,
    state: AppState,
    routes: RoutePaths,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Observe<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ObserveFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let method = method_label(request.method());
        let route = self.routes.label(request.uri().path());
        ObserveFuture {
            inner: self.inner.call(request),
            state: self.state.clone(),
            started,
            method,
            route,
        }
    }
}

pin_project! {
    /// Response future of [`Observe`]: the inner future, then the log line and metrics.
    pub struct ObserveFuture<F> {
        #[pin]
        inner: F,
        state: AppState,
        started: Instant,
        method: &'static str,
        route: &'static str,
    }
}

impl<F, ResBody, E> Future for ObserveFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        // Errors never reach here: the layers below turn every failure into a response.
        if let Ok(response) = &result {
            let latency = this.started.elapsed();
            let status = response.status().as_u16();
            let route = *this.route;
            this.state
                .metrics
                .record(this.method, route, status, latency);
            // The line of `tracing::info!(message = "request", method, route, status,
            // latency_ms)`, written directly (see `crate::json_log`), if that event would be.
            if let Some(log) = ACCESS_LOG.get() {
                if tracing::enabled!(target: AccessLog::TARGET, Level::INFO) {
                    log.request(this.method, route, status, latency);
                }
            }
        }
        Poll::Ready(result)
    }
}
