//! The operating-system side of shutdown: SIGTERM (Kubernetes, `docker stop`) and SIGINT
//! (Ctrl-C). As PID 1 in a container the process gets no default signal handling, so it
//! must install these itself. The sequence that follows a signal is in [`crate::server`].

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Installed handlers for the shutdown signals.
#[derive(Debug)]
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Installs the handlers. Call this before binding the listener so that a signal
    /// arriving during start-up is not lost. Must be called inside a Tokio runtime.
    pub fn install() -> io::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next shutdown signal and returns its name.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}
