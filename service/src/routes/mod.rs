//! HTTP routes, one module per endpoint group, and [`Routes`], which keeps the paths of the
//! routes next to the router.

pub mod echo;
pub mod health;
pub mod info;
pub mod metrics;

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};

use crate::app::AppState;
use crate::metrics::UNMATCHED_ROUTE;

/// All routes of the service, without middleware (see [`crate::app::app`]).
pub fn routes() -> Routes {
    Routes::new()
        .route("/", get(info::info))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/echo", post(echo::echo))
        .fallback(not_found)
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}

/// An axum [`Router`] and the paths of its routes, registered together.
///
/// The request log and metrics label each request with the path of the route it matched.
/// Their middleware runs outside the router (see [`crate::app::with_middleware`]), before axum has matched
/// the request, so the label is found in [`RoutePaths`] instead of axum's `MatchedPath`.
/// Registering a route through this type is the only way to add one, so the two cannot
/// disagree.
#[derive(Debug)]
pub struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    /// No routes; every request gets axum's default 404 unless a fallback is set.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            paths: Vec::new(),
        }
    }

    /// Serves `path` with `method_router`.
    ///
    /// # Panics
    ///
    /// If `path` has a parameter or wildcard (`{…}`): labels are found by comparing request
    /// paths with route paths, which keeps the label set bounded only for fixed paths. Like
    /// axum's own `route`, also if `path` is invalid or one of `method_router`'s methods is
    /// already served at `path` (other methods at the same path are merged, as in axum).
    pub fn route(mut self, path: &'static str, method_router: MethodRouter<AppState>) -> Self {
        assert!(
            !path.contains(['{', '}']),
            "route {path:?}: only fixed paths are supported (request labels compare whole paths)"
        );
        self.router = self.router.route(path, method_router);
        if !self.paths.contains(&path) {
            self.paths.push(path);
        }
        self
    }

    /// Serves requests that match no route with `handler` (labelled [`UNMATCHED_ROUTE`]).
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    /// The router with its state, and the paths of its routes.
    pub fn with_state(self, state: AppState) -> (Router, RoutePaths) {
        (self.router.with_state(state), RoutePaths(self.paths.into()))
    }
}

/// The paths of a router's routes: the `route` label values of the request log and metrics.
#[derive(Clone, Debug)]
pub struct RoutePaths(Arc<[&'static str]>);

impl RoutePaths {
    /// The route that serves `path`, or [`UNMATCHED_ROUTE`]. A linear scan: a handful of
    /// short string comparisons costs less than a lookup in a map.
    pub fn label(&self, path: &str) -> &'static str {
        self.0
            .iter()
            .find(|route| **route == path)
            .copied()
            .unwrap_or(UNMATCHED_ROUTE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> RoutePaths {
        let (_, paths) = Routes::new()
            .route("/", get(|| async {}))
            .route("/healthz", get(|| async {}))
            .with_state(AppState::new(crate::Config::default()));
        paths
    }

    #[test]
    fn a_route_path_is_its_own_label() {
        assert_eq!(paths().label("/"), "/");
        assert_eq!(paths().label("/healthz"), "/healthz");
    }

    #[tokio::test]
    async fn a_path_is_unmatched_exactly_when_axum_routes_it_to_the_fallback() {
        use axum::body::Body;
        use axum::http::Request;
        use tower::ServiceExt;

        let (router, paths) = Routes::new()
            .route("/", get(|| async {}))
            .route("/healthz", get(|| async {}))
            .route("/echo", post(|| async {}))
            .fallback(not_found)
            .with_state(AppState::new(crate::Config::default()));
        let candidates = [
            "/",
            "/healthz",
            "/echo",
            "//",
            "/healthz/",
            "/Healthz",
            "/healthz/x",
            "/%68ealthz",
            "/nope",
            "/echo/",
        ];
        for path in candidates {
            let request = Request::get(path).body(Body::empty()).expect("request");
            let status = router
                .clone()
                .oneshot(request)
                .await
                .expect("infallible")
                .status();

            let label = paths.label(path);

            assert_eq!(
                status == StatusCode::NOT_FOUND,
                label == UNMATCHED_ROUTE,
                "{path:?}: axum answered {status}, label {label:?}"
            );
            assert!(
                label == UNMATCHED_ROUTE || label == path,
                "{path:?}: {label:?}"
            );
        }
    }

    #[test]
    fn a_path_served_for_two_methods_is_recorded_once() {
        let (_, paths) = Routes::new()
            .route("/items", get(|| async {}))
            .route("/items", post(|| async {}))
            .with_state(AppState::new(crate::Config::default()));

        assert_eq!(&*paths.0, ["/items"]);
    }

    #[test]
    #[should_panic(expected = "only fixed paths are supported")]
    fn a_path_with_a_parameter_is_refused() {
        let _ = Routes::new().route("/items/{id}", get(|| async {}));
    }
}
