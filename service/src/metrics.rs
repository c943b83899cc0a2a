//! Prometheus metrics owned by one app instance (no process-global recorder, so tests can
//! build many apps side by side).

use std::sync::RwLock;
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

/// Labels of one request. Every value comes from a bounded set: the route paths of the
/// router (`routes::Routes`, or [`UNMATCHED_ROUTE`]), the standard methods (or `OTHER`)
/// and the status codes this server produces.
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
    /// The two series of each label set seen so far, grouped by route. `Family` would
    /// need an owned key (a new `String`) and a SipHash of all three labels for each of the
    /// two metrics on every request; this finds both with two short scans: routes are few
    /// (one per route of the router, plus `unmatched`), and comparing a handful of short
    /// strings costs less than hashing one. The handles share their values with the
    /// families, which the registry renders.
    resolved: RwLock<Vec<(Box<str>, Vec<Series>)>>,
}

/// The series of one label set, as resolved from the families.
#[derive(Debug)]
struct Series {
    method: &'static str,
    status: u16,
    requests: Counter,
    latency: Histogram,
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
            resolved: RwLock::default(),
        }
    }

    /// Counts one answered request and records its latency.
    pub fn record(&self, method: &'static str, route: &str, status: u16, latency: Duration) {
        let seconds = latency.as_secs_f64();
        // A panic elsewhere cannot leave the map half-updated (insertions are single
        // calls), so a poisoned lock is still usable.
        let resolved = self.resolved.read().unwrap_or_else(|e| e.into_inner());
        if let Some(series) = find(&resolved, method, route, status) {
            series.requests.inc();
            series.latency.observe(seconds);
            return;
        }
        drop(resolved);
        self.resolve(method, route, status, |series| {
            series.requests.inc();
            series.latency.observe(seconds);
        });
    }

    /// First request with these labels: creates the series in the families and keeps
    /// handles to them.
    fn resolve(&self, method: &'static str, route: &str, status: u16, then: impl FnOnce(&Series)) {
        let mut resolved = self.resolved.write().unwrap_or_else(|e| e.into_inner());
        // Another thread may have resolved the same labels between the two locks.
        if let Some(series) = find(&resolved, method, route, status) {
            return then(series);
        }
        let labels = RequestLabels {
            method,
            route: route.to_owned(),
            status,
        };
        let series = Series {
            method,
            status,
            requests: self.requests.get_or_create(&labels).clone(),
            latency: self.latency.get_or_create(&labels).clone(),
        };
        then(&series);
        match resolved.iter_mut().find(|(r, _)| **r == *route) {
            Some((_, series_of_route)) => series_of_route.push(series),
            None => resolved.push((route.into(), vec![series])),
        }
    }

    /// The registry in OpenMetrics text format (which Prometheus scrapes natively).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        encode(&mut out, &self.registry).expect("encoding metrics into a String");
        out
    }
}

fn find<'a>(
    resolved: &'a [(Box<str>, Vec<Series>)],
    method: &str,
    route: &str,
    status: u16,
) -> Option<&'a Series> {
    let (_, series) = resolved.iter().find(|(r, _)| **r == *route)?;
    series
        .iter()
        .find(|s| s.status == status && s.method == method)
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
