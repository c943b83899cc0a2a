//! Builds the application: the routes behind the middleware stack.

use std::any::Any;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::middleware::observe;
use crate::routes;
use crate::state::AppState;

/// The complete service: every route behind the middleware stack.
pub fn app(state: AppState) -> Router {
    let routes = routes::router(&state.config);
    with_middleware(routes, state)
}

/// Puts `routes` behind the production middleware stack (outermost first): a tracing
/// span, access log and metrics, panic -> 500, timeout -> 408, body limit -> 413.
pub fn with_middleware(routes: Router<AppState>, state: AppState) -> Router {
    let config = &state.config;
    let middleware = ServiceBuilder::new()
        // A debug-level span per request; no event of its own: the access line says it all,
        // and a 5xx (such as readiness while draining) is not an error of this process.
        .layer(TraceLayer::new_for_http().on_failure(()))
        .layer(from_fn_with_state(state.clone(), observe))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        // The layer above is the limit: extractors must not add axum's 2 MiB default.
        .layer(DefaultBodyLimit::disable());
    // `Router::layer` runs the stack after routing, so the route template is known.
    routes.layer(middleware).with_state(state)
}

/// The panic itself has already been logged by the panic hook; the client gets a
/// generic 500 and the process keeps serving.
fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n").into_response()
}
