//! In-process tests of every route and error path: requests go through the real router and
//! middleware stack with `oneshot`, no socket involved.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use rust_service::startup::with_middleware;
use rust_service::{AppState, Config, app};
use tower::ServiceExt;

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String, Option<String>) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        String::from_utf8(body.to_vec()).expect("utf-8"),
        content_type,
    )
}

fn get_request(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn post_echo(body: Vec<u8>, with_content_length: bool) -> Request<Body> {
    let mut builder = Request::post("/echo");
    if with_content_length {
        builder = builder.header(header::CONTENT_LENGTH, body.len());
    }
    builder.body(Body::from(body)).expect("request")
}

#[tokio::test]
async fn liveness_answers_200() {
    let router = app(AppState::new(Config::default()));

    let (status, body, _) = send(&router, get_request("/healthz")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok\n");
}

#[tokio::test]
async fn readiness_answers_200_while_ready() {
    let router = app(AppState::new(Config::default()));

    let (status, _, _) = send(&router, get_request("/readyz")).await;

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn readiness_fails_once_draining_starts() {
    let state = AppState::new(Config::default());
    let router = app(state.clone());

    state.readiness.start_draining();
    let (status, body, _) = send(&router, get_request("/readyz")).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "draining\n");
}

#[tokio::test]
async fn liveness_stays_200_while_draining() {
    let state = AppState::new(Config::default());
    let router = app(state.clone());

    state.readiness.start_draining();
    let (status, _, _) = send(&router, get_request("/healthz")).await;

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn root_reports_service_version_and_configured_greeting() {
    let config = Config {
        greeting: "Hej från \"staging\"".to_owned(),
        ..Config::default()
    };
    let router = app(AppState::new(config));

    let (status, body, content_type) = send(&router, get_request("/")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let document: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        document,
        serde_json::json!({
            "service": "rust-service",
            "version": env!("CARGO_PKG_VERSION"),
            "greeting": "Hej från \"staging\"",
        })
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_method_and_status() {
    let router = app(AppState::new(Config::default()));
    send(&router, get_request("/")).await;
    send(&router, get_request("/")).await;
    send(&router, get_request("/no/such/page")).await;

    let (status, body, content_type) = send(&router, get_request("/metrics")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type.as_deref(),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(
        body.contains(r#"http_requests_total{method="GET",route="/",status="200"} 2"#),
        "{body}"
    );
    assert!(
        body.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{body}"
    );
    assert!(
        body.contains(
            r#"http_request_duration_seconds_count{method="GET",route="/",status="200"} 2"#
        ),
        "{body}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
}

#[tokio::test]
async fn every_route_is_labelled_with_its_own_path() {
    let router = app(AppState::new(Config::default()));
    for path in ["/", "/healthz", "/readyz", "/metrics"] {
        send(&router, get_request(path)).await;
    }
    send(&router, post_echo(b"x".to_vec(), true)).await;
    send(&router, get_request("/healthz/")).await;

    let (_, body, _) = send(&router, get_request("/metrics")).await;

    for (method, route) in [
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("POST", "/echo"),
        ("GET", "unmatched"),
    ] {
        let series = format!(r#"http_requests_total{{method="{method}",route="{route}","#);
        assert!(body.contains(&series), "{series} missing:\n{body}");
    }
    assert!(!body.contains("/healthz/"), "{body}");
}

#[tokio::test]
async fn metrics_never_use_the_raw_path_or_an_unknown_method_as_a_label() {
    let router = app(AppState::new(Config::default()));
    send(&router, get_request("/wp-admin/secret-123")).await;
    let odd_method = Request::builder()
        .method("BREW")
        .uri("/")
        .body(Body::empty())
        .expect("request");
    send(&router, odd_method).await;

    let (_, body, _) = send(&router, get_request("/metrics")).await;

    assert!(!body.contains("wp-admin"), "{body}");
    assert!(!body.contains("BREW"), "{body}");
    assert!(
        body.contains(r#"http_requests_total{method="OTHER",route="/",status="405"} 1"#),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_path_answers_404() {
    let router = app(AppState::new(Config::default()));

    let (status, _, _) = send(&router, get_request("/nope")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_method_answers_405() {
    let router = app(AppState::new(Config::default()));

    let (status, _, _) = send(&router, get_request("/echo")).await;

    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn echo_reports_the_number_of_body_bytes() {
    let router = app(AppState::new(Config::default()));

    let (status, body, content_type) = send(&router, post_echo(vec![7; 1234], true)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body, r#"{"bytes":1234}"#);
}

#[tokio::test]
async fn echo_accepts_a_body_exactly_at_the_limit() {
    let config = Config {
        body_limit: 64,
        ..Config::default()
    };
    let router = app(AppState::new(config));

    let (status, body, _) = send(&router, post_echo(vec![0; 64], true)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"bytes":64}"#);
}

#[tokio::test]
async fn body_with_content_length_over_the_limit_answers_413() {
    let config = Config {
        body_limit: 64,
        ..Config::default()
    };
    let router = app(AppState::new(config));

    let (status, _, _) = send(&router, post_echo(vec![0; 65], true)).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn body_without_content_length_over_the_limit_answers_413() {
    let config = Config {
        body_limit: 64,
        ..Config::default()
    };
    let router = app(AppState::new(config));

    let (status, _, _) = send(&router, post_echo(vec![0; 65], false)).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn body_limit_above_axums_default_of_2_mib_is_honoured() {
    let config = Config {
        body_limit: 3 * 1024 * 1024,
        ..Config::default()
    };
    let router = app(AppState::new(config));

    let (status, body, _) = send(&router, post_echo(vec![0; 3 * 1024 * 1024], false)).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!(r#"{{"bytes":{}}}"#, 3 * 1024 * 1024));
}

#[tokio::test]
async fn handler_running_past_the_request_timeout_answers_408() {
    let state = AppState::new(Config {
        request_timeout: Duration::from_millis(50),
        ..Config::default()
    });
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "too late"
        }),
    );
    let router = with_middleware(slow, state);

    let (status, _, _) = send(&router, get_request("/slow")).await;

    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
}

async fn panics() -> &'static str {
    panic!("handler bug")
}

#[tokio::test]
async fn panicking_handler_answers_500_and_the_app_keeps_serving() {
    let state = AppState::new(Config::default());
    let routes = Router::new()
        .route("/panic", get(panics))
        .route("/fine", get(|| async { "fine" }));
    let router = with_middleware(routes, state.clone());

    let (panicked, _, _) = send(&router, get_request("/panic")).await;
    let (after, body, _) = send(&router, get_request("/fine")).await;

    assert_eq!(panicked, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!((after, body.as_str()), (StatusCode::OK, "fine"));
    let metrics = state.metrics.render();
    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="/panic",status="500"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_route_with_a_path_parameter_is_labelled_by_its_template() {
    let state = AppState::new(Config::default());
    let routes = Router::new().route("/items/{id}", get(|| async { "item" }));
    let router = with_middleware(routes, state.clone());

    let (first, _, _) = send(&router, get_request("/items/1")).await;
    let (second, _, _) = send(&router, get_request("/items/secret-42")).await;

    assert_eq!((first, second), (StatusCode::OK, StatusCode::OK));
    let metrics = state.metrics.render();
    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#),
        "{metrics}"
    );
    assert!(!metrics.contains("secret-42"), "{metrics}");
}

#[tokio::test]
async fn a_path_served_for_two_methods_has_one_route_label() {
    let state = AppState::new(Config::default());
    let routes = Router::new()
        .route("/items", get(|| async {}))
        .route("/items", post(|| async {}));
    let router = with_middleware(routes, state.clone());

    send(&router, get_request("/items")).await;
    send(
        &router,
        Request::post("/items")
            .body(Body::empty())
            .expect("request"),
    )
    .await;

    let metrics = state.metrics.render();
    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="/items",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"http_requests_total{method="POST",route="/items",status="200"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_path_is_labelled_unmatched_exactly_when_it_gets_the_fallback_404() {
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
        let state = AppState::new(Config::default());
        let router = app(state.clone());

        let (status, _, _) = send(&router, get_request(path)).await;

        let metrics = state.metrics.render();
        let unmatched = metrics.contains(r#"route="unmatched""#);
        assert_eq!(
            status == StatusCode::NOT_FOUND,
            unmatched,
            "{path:?}: answered {status}\n{metrics}"
        );
        assert_eq!(
            metrics.matches("http_requests_total{").count(),
            1,
            "{path:?}\n{metrics}"
        );
    }
}
