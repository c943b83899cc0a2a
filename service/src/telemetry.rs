//! Logging set-up: JSON lines on stdout, one per event, filtered by `LOG_LEVEL`.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use tracing_subscriber::EnvFilter;

/// Installs the global JSON subscriber, filtered by `filter` (a `LOG_LEVEL` value already
/// validated by the config module), and routes panics into it. Fails only if stdout is not
/// open.
pub fn init(filter: &str) -> io::Result<()> {
    // A duplicate of stdout's descriptor rather than `io::stdout()`, whose process-wide lock
    // is held across the write(2) and serialises the worker threads.
    let stdout = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(EnvFilter::builder().parse_lossy(filter))
        .with_writer(stdout)
        .init();
    log_panics();
    Ok(())
}

/// Replaces the default panic hook (plain text on stderr) with a JSON error event, so a
/// panicking handler leaves one parseable line with its message and location.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("non-string panic payload");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic = message, location, "panic");
    }));
}
