//! Prometheus metrics owned by one app instance (no process-global recorder, so tests can
//! build many apps side by side).

use std::time::Duration;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// `route` label of requests that matched no route, so that scanners probing random
/// paths cannot create new time series.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Latency buckets in seconds, from half a millisecond to ten seconds (the default
/// request timeout).
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Labels of one request. Every value comes from a bounded set: the route templates of the
/// router (or [`UNMATCHED_ROUTE`]), the standard methods (or `OTHER`) and the status codes
/// this server produces.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// Request counters and latency histograms, rendered as OpenMetrics text.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with the request metrics registered.
    pub fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let mut registry = Registry::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from receiving a request to its response headers, by method, route template and status",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// Counts one answered request and records its latency.
    pub fn record(&self, method: &'static str, route: &str, status: u16, latency: Duration) {
        let labels = RequestLabels {
            method,
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(latency.as_secs_f64());
    }

    /// The registry in OpenMetrics text format (which Prometheus scrapes natively).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        encode(&mut out, &self.registry).expect("encoding metrics into a String");
        out
    }
}

/// Maps a request method onto a bounded label value: HTTP allows arbitrary extension methods.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[test]
    fn each_label_set_gets_its_own_series_and_repeats_reuse_it() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis(1);
        metrics.record("GET", "/", 200, ms);
        metrics.record("GET", "/", 200, ms);
        metrics.record("GET", "/", 503, ms);
        metrics.record("POST", "/", 200, ms);
        metrics.record("GET", "/healthz", 200, ms);

        let text = metrics.render();

        let count = |labels: &str| {
            line(&text, &format!("http_requests_total{{{labels}}} "))
                .unwrap_or_else(|| panic!("no series {labels} in\n{text}"))
                .rsplit(' ')
                .next()
                .expect("a value")
                .to_owned()
        };
        assert_eq!(count(r#"method="GET",route="/",status="200""#), "2");
        assert_eq!(count(r#"method="GET",route="/",status="503""#), "1");
        assert_eq!(count(r#"method="POST",route="/",status="200""#), "1");
        assert_eq!(count(r#"method="GET",route="/healthz",status="200""#), "1");
        assert!(
            text.contains(
                r#"http_request_duration_seconds_count{method="GET",route="/",status="200"} 2"#
            ),
            "{text}"
        );
        assert_eq!(text.matches("http_requests_total{").count(), 4, "{text}");
    }

    #[test]
    fn concurrent_first_requests_lose_no_count() {
        let metrics = Metrics::new();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for i in 0..1000u16 {
                        metrics.record("GET", "/", 200 + i % 4, Duration::ZERO);
                    }
                });
            }
        });

        let text = metrics.render();

        for status in 200..204 {
            let expected =
                format!(r#"http_requests_total{{method="GET",route="/",status="{status}"}} 2000"#);
            assert!(text.contains(&expected), "{expected} in\n{text}");
        }
    }
}
