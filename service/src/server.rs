//! Serving with the Kubernetes-friendly shutdown sequence:
//!
//! 1. the shutdown trigger fires (a signal in production, any future in tests);
//! 2. readiness fails at once (`/readyz` answers 503) while the server keeps accepting
//!    and serving for the drain delay, covering the time load balancers need to notice;
//! 3. the listener closes and idle connections are closed; in-flight requests may finish
//!    within the shutdown deadline;
//! 4. success if they all did; otherwise [`ServeError::DeadlineExceeded`] (the binary
//!    logs it and exits 1, dropping the unfinished connections).

use std::future::{Future, IntoFuture};
use std::io;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tracing::{error, info, warn};

use crate::app::{AppState, app};
use crate::routes::info::VERSION;

/// Why serving ended other than by a clean shutdown.
#[derive(Debug)]
pub enum ServeError {
    /// Requests were still in flight when the shutdown deadline passed.
    DeadlineExceeded(Duration),
    /// The server stopped on its own with an I/O error.
    Io(io::Error),
    /// The server task panicked or was cancelled.
    Task(tokio::task::JoinError),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DeadlineExceeded(d) => write!(
                f,
                "requests still in flight after the shutdown deadline of {:.3} s",
                d.as_secs_f64()
            ),
            Self::Io(e) => write!(f, "server failed: {e}"),
            Self::Task(e) => write!(f, "server task failed: {e}"),
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
    let drain_delay = state.config.drain_delay;
    let deadline = state.config.shutdown_deadline;
    let readiness = state.readiness.clone();
    let address = listener.local_addr()?;

    let (stop_accepting, accept_stopped) = oneshot::channel::<()>();
    let listener = listener.tap_io(|stream| {
        // Responses are written whole; don't let Nagle hold back the last segment.
        if let Err(e) = stream.set_nodelay(true) {
            warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, app(state))
        .with_graceful_shutdown(async move {
            // Either a send or the sender being dropped means: stop.
            let _ = accept_stopped.await;
        })
        .into_future();
    let mut server = tokio::spawn(server);
    info!(%address, version = VERSION, "listening");

    tokio::select! {
        () = shutdown => {}
        finished = &mut server => {
            // axum only returns once asked to, so stopping here is always a failure.
            return Err(match finished {
                Ok(Ok(())) => ServeError::Io(io::Error::other("server stopped without a shutdown signal")),
                Ok(Err(e)) => ServeError::Io(e),
                Err(e) => ServeError::Task(e),
            });
        }
    }

    readiness.start_draining();
    info!(
        drain_delay_seconds = drain_delay.as_secs_f64(),
        "draining: readiness fails, still serving"
    );
    tokio::time::sleep(drain_delay).await;

    info!(
        shutdown_deadline_seconds = deadline.as_secs_f64(),
        "stopped accepting connections; waiting for in-flight requests"
    );
    let _ = stop_accepting.send(());
    match tokio::time::timeout(deadline, &mut server).await {
        Ok(finished) => {
            finished.map_err(ServeError::Task)??;
            info!("shutdown complete");
            Ok(())
        }
        Err(_elapsed) => {
            server.abort();
            let e = ServeError::DeadlineExceeded(deadline);
            error!(error = %e, "shutdown deadline exceeded");
            Err(e)
        }
    }
}
