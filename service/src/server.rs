//! Serving with the Kubernetes-friendly shutdown sequence:
//!
//! 1. the shutdown trigger fires (a signal in production, any future in tests);
//! 2. readiness fails at once (`/readyz` answers 503) while the server keeps accepting
//!    and serving for the drain delay, covering the time load balancers need to notice;
//! 3. the listener closes and idle connections are closed; in-flight requests may finish
//!    within the shutdown deadline;
//! 4. success if they all did; otherwise [`ServeError::DeadlineExceeded`] (the binary
//!    logs it and exits 1, dropping the unfinished connections).
//!
//! Connections are served with hyper directly (not `axum::serve`) for two limits on the
//! request head: it must arrive within [`Config::idle_timeout`] (which closes idle
//! keep-alive connections and slow-header clients) and be at most [`MAX_HEAD_BYTES`].
//!
//! [`Config::idle_timeout`]: crate::config::Config::idle_timeout

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tracing::{debug, error, info};

use crate::config::Config;
use crate::routes::info::VERSION;
use crate::shutdown::Signals;
use crate::startup::app;
use crate::state::AppState;

/// One worker: a single-threaded runtime, which polls every task on this thread with no
/// cross-thread queue, work stealing or wake-ups (measured: about 5 % less CPU per request
/// than a one-worker multi-threaded runtime; bench/RESULTS.md). More: the work-stealing
/// runtime with that many workers.
pub fn runtime(workers: NonZeroUsize) -> io::Result<tokio::runtime::Runtime> {
    if workers.get() == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.get())
            .enable_all()
            .build()
    }
}

/// Binds `0.0.0.0:<port>` and serves until SIGTERM or SIGINT, then drains as above.
pub async fn run(config: Config) -> Result<(), ServeError> {
    // Before binding, so a SIGTERM during start-up still drains instead of being lost.
    let mut signals = Signals::install().map_err(ServeError::Signals)?;
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port));
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Listen { address, source })?;
    let shutdown = async move {
        let signal = signals.recv().await;
        info!(signal, "shutdown signal received");
    };
    serve(listener, AppState::new(config), shutdown).await
}

/// Largest request head (request line and headers) accepted; a larger one is answered
/// with 431. Far above what browsers and proxies send (about 8-16 KiB at most).
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// Why serving did not start, or ended other than by a clean shutdown.
#[derive(Debug)]
pub enum ServeError {
    /// The shutdown signal handlers could not be installed.
    Signals(io::Error),
    /// The listening address could not be bound.
    Listen {
        address: SocketAddr,
        source: io::Error,
    },
    /// Requests were still in flight when the shutdown deadline passed.
    DeadlineExceeded(Duration),
    /// The bound listener could not be used.
    Io(io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Signals(e) => write!(f, "cannot install signal handlers: {e}"),
            Self::Listen { address, source } => write!(f, "cannot listen on {address}: {source}"),
            Self::DeadlineExceeded(d) => write!(
                f,
                "requests still in flight after the shutdown deadline of {:.3} s",
                d.as_secs_f64()
            ),
            Self::Io(e) => write!(f, "listener failed: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

impl From<io::Error> for ServeError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Serves the app on `listener` until `shutdown` completes, then runs the drain and
/// deadline sequence described in the module docs.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> Result<(), ServeError>
where
    F: Future<Output = ()> + Send,
{
    let config = state.config.clone();
    let address = listener.local_addr()?;
    let connections = GracefulShutdown::new();
    let draining = state.clone();
    let drained = async move {
        shutdown.await;
        draining.readiness.start_draining();
        info!(
            drain_delay_seconds = config.drain_delay.as_secs_f64(),
            "draining: readiness fails, still serving"
        );
        tokio::time::sleep(config.drain_delay).await;
    };

    info!(
        %address,
        version = VERSION,
        workers = config.worker_count().get(),
        "listening"
    );
    accept_until(
        listener,
        app(state),
        config.idle_timeout,
        &connections,
        drained,
    )
    .await;

    info!(
        shutdown_deadline_seconds = config.shutdown_deadline.as_secs_f64(),
        "stopped accepting connections; waiting for in-flight requests"
    );
    // Idle connections close at once; busy ones after their current response.
    match tokio::time::timeout(config.shutdown_deadline, connections.shutdown()).await {
        Ok(()) => {
            info!("shutdown complete");
            Ok(())
        }
        Err(_elapsed) => {
            let e = ServeError::DeadlineExceeded(config.shutdown_deadline);
            error!(error = %e, "shutdown deadline exceeded");
            Err(e)
        }
    }
}

/// Accepts connections and serves each on its own task until `stop` completes; the
/// listener is closed on return, so later connection attempts are refused.
async fn accept_until(
    listener: TcpListener,
    app: Router,
    idle_timeout: Duration,
    connections: &GracefulShutdown,
    stop: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    // The head timeout runs from a connection's start and from each response on, so it
    // also closes idle keep-alive connections.
    http.timer(TokioTimer::new())
        .header_read_timeout(idle_timeout)
        .max_header_size(MAX_HEAD_BYTES)
        // An unfinished head is never buffered beyond this either (hyper's default: 400 KiB).
        .max_buf_size(2 * MAX_HEAD_BYTES)
        // A client that half-closes after its request (`nc -N`) still gets its answer.
        .half_close(true)
        // Head and a small body in one write(2) rather than a writev(2) of two buffers.
        .writev(false);
    let service = TowerToHyperService::new(app);
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            () = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    if must_pause(&e) {
                        // Still watching `stop`, so a signal is not delayed by the pause.
                        tokio::select! {
                            () = &mut stop => return,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                    continue;
                }
            },
        };
        // Responses are written whole; don't let Nagle hold back the last segment.
        if let Err(e) = stream.set_nodelay(true) {
            debug!(error = %e, "could not set TCP_NODELAY");
        }
        let connection =
            connections.watch(http.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Resets, timeouts and malformed requests: the client's business.
                debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// Errors about one connection are skipped. Others (such as running out of file
/// descriptors) would repeat at once, so they are logged and accepting pauses for a second.
fn must_pause(e: &io::Error) -> bool {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return false;
    }
    error!(error = %e, "cannot accept connections; retrying in 1 s");
    true
}
