//! The request-head deadline of a connection: a client must send a complete request head
//! within the idle timeout after connecting or after its previous response was written, or
//! the connection is closed. This closes idle keep-alive connections and bounds clients that
//! send their headers slowly (slowloris). A request being served is never cut: once its head
//! is in, only the request timeout applies.
//!
//! hyper has the same rule built in (`http1::Builder::header_read_timeout`), but it creates,
//! registers and drops a timer for every request, which measured 1 650 of the 17 400
//! user-space instructions of a `GET /` (docs/service.md). Here a connection has one
//! watchdog task whose timer fires at most once per timeout period, and each request only
//! records when its head arrived and when its response was finished.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::debug;

/// Value of `waiting_since_ms` while a request is being served.
const SERVING: u64 = u64::MAX;

/// What one connection is doing, as far as the deadline is concerned.
#[derive(Debug)]
pub struct HeadClock {
    opened: Instant,
    /// Milliseconds after `opened` at which the connection began waiting for its current
    /// request head, or [`SERVING`].
    waiting_since_ms: AtomicU64,
}

impl HeadClock {
    /// A connection accepted now, waiting for its first request head.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            waiting_since_ms: AtomicU64::new(0),
        })
    }

    fn head_received(&self) {
        self.waiting_since_ms.store(SERVING, Ordering::Relaxed);
    }

    fn response_finished(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(SERVING - 1);
        self.waiting_since_ms.store(elapsed, Ordering::Relaxed);
    }

    /// Since when the connection has been waiting for a request head; `None` while serving.
    fn waiting_since(&self) -> Option<Instant> {
        match self.waiting_since_ms.load(Ordering::Relaxed) {
            SERVING => None,
            ms => Some(self.opened + Duration::from_millis(ms)),
        }
    }
}

/// Aborts `connection` (the task serving it, which closes the socket) once it has waited
/// longer than `timeout` for a request head; returns when it does or when the connection
/// ends on its own. Run it as its own task next to the connection's.
pub async fn enforce(clock: Arc<HeadClock>, timeout: Duration, mut connection: JoinHandle<()>) {
    let sleep = tokio::time::sleep(timeout);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut connection => return,
            () = &mut sleep => {}
        }
        let next_check = match clock.waiting_since() {
            Some(since) if since.elapsed() >= timeout => {
                debug!(
                    timeout_seconds = timeout.as_secs_f64(),
                    "closing a connection that sent no complete request head in time"
                );
                connection.abort();
                return;
            }
            Some(since) => since + timeout,
            // Serving: a request head cannot be late before the response is written.
            None => Instant::now() + timeout,
        };
        sleep.as_mut().reset(next_check);
    }
}

/// A hyper service recording in a [`HeadClock`] when each request's head arrives (the
/// service is called) and when its response is finished (its body is dropped, which hyper
/// does once it has written it or given up).
#[derive(Clone, Debug)]
pub struct Clocked<S> {
    inner: S,
    clock: Arc<HeadClock>,
}

impl<S> Clocked<S> {
    /// Wraps `inner`, recording into `clock`.
    pub fn new(inner: S, clock: Arc<HeadClock>) -> Self {
        Self { inner, clock }
    }
}

impl<S, ReqBody, ResBody> hyper::service::Service<Request<ReqBody>> for Clocked<S>
where
    S: hyper::service::Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ClockedBody<ResBody>>;
    type Error = S::Error;
    type Future = ClockedFuture<S::Future>;

    fn call(&self, request: Request<ReqBody>) -> Self::Future {
        self.clock.head_received();
        ClockedFuture {
            inner: self.inner.call(request),
            finished: Some(Finished(Arc::clone(&self.clock))),
        }
    }
}

/// Marks the response finished when dropped: moved from the response future into the
/// response body, so that it is dropped with whichever of them is dropped last.
#[derive(Debug)]
struct Finished(Arc<HeadClock>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.response_finished();
    }
}

pin_project! {
    /// Response future of [`Clocked`].
    pub struct ClockedFuture<F> {
        #[pin]
        inner: F,
        finished: Option<Finished>,
    }
}

impl<F, ResBody, E> Future for ClockedFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ClockedBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let finished = this.finished.take();
        Poll::Ready(Ok(response.map(|inner| ClockedBody {
            inner,
            _finished: finished,
        })))
    }
}

pin_project! {
    /// Response body of [`Clocked`]: the inner body, unchanged.
    pub struct ClockedBody<B> {
        #[pin]
        inner: B,
        _finished: Option<Finished>,
    }
}

impl<B: Body> Body for ClockedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
