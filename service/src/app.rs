//! The application: shared state and the router with its middleware stack.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::BoxError;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Body;
use tower::{Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::routes::{self, Routes};
use crate::telemetry::ObserveLayer;
use crate::timeout::RequestTimeoutLayer;

/// Whether the instance should receive new traffic. Starts ready; flips once, when
/// draining begins.
#[derive(Debug)]
pub struct Readiness(AtomicBool);

impl Readiness {
    /// `false` once draining has begun.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Makes `/readyz` fail from now on.
    pub fn start_draining(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// State shared by all handlers of one app instance. Cloning is one reference-count
/// increment (axum clones the state for every request).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] gives access to.
#[derive(Debug)]
pub struct Shared {
    /// The configuration the app was built from.
    pub config: Config,
    /// Readiness, flipped by the shutdown sequence.
    pub readiness: Readiness,
    /// This instance's metrics registry.
    pub metrics: Metrics,
    /// The `GET /` document, rendered once: it cannot change while the process runs.
    pub info_document: Bytes,
}

impl AppState {
    /// Fresh state: ready, with empty metrics.
    pub fn new(config: Config) -> Self {
        Self(Arc::new(Shared {
            info_document: routes::info::render(&config.greeting),
            config,
            readiness: Readiness(AtomicBool::new(true)),
            metrics: Metrics::new(),
        }))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The complete service: every route behind the middleware stack.
pub fn app<B>(state: AppState) -> impl AppService<B>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    with_middleware(routes::routes(), &state)
}

/// What [`app`] and [`with_middleware`] return: a tower service answering every request
/// (its error type is [`Infallible`]), cheap to clone (hyper clones it per request).
pub trait AppService<B>:
    Service<
        Request<B>,
        Response = Response,
        Error = Infallible,
        Future: Future<Output = Result<Response, Infallible>> + Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S, B> AppService<B> for S where
    S: Service<
            Request<B>,
            Response = Response,
            Error = Infallible,
            Future: Future<Output = Result<Response, Infallible>> + Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// Puts `routes` behind the production middleware stack (outermost first): request log
/// and metrics, panic -> 500, timeout -> 408, body limit -> 413.
///
/// The stack wraps the router from outside rather than through `Router::layer`, which
/// wraps every route in one more boxed service, cloned and called through a boxed future
/// for every request (770 of 14 300 instructions of a `GET /`, docs/service.md). Outside,
/// the route is not matched yet, hence [`Routes`] and its paths for the labels.
pub fn with_middleware<B>(routes: Routes, state: &AppState) -> impl AppService<B> + use<B>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let config = &state.config;
    let (router, paths) = routes.with_state(state.clone());
    ServiceBuilder::new()
        // One response type for hyper and the tests (the panic layer boxes the body).
        .map_response(IntoResponse::into_response)
        .layer(ObserveLayer::new(state.clone(), paths))
        .layer(CatchPanicLayer::custom(panic_response))
        // Not tower-http's `TimeoutLayer`: that one polls its timer before the handler, so
        // every request, even one answered at once, inserts and removes a timer and wakes
        // the I/O driver (an extra system call per request). See `crate::timeout`.
        .layer(RequestTimeoutLayer::new(config.request_timeout))
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        // The body-limit layer above is the limit: axum's extractors must not add their
        // own 2 MiB default.
        .layer(DefaultBodyLimit::disable())
        .service(router)
}

/// The panic itself has already been logged by the panic hook; the client gets a
/// generic 500 and the process keeps serving.
fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n").into_response()
}
