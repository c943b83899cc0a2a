//! Logging set-up: JSON lines on stdout, one per event, filtered by `LOG_LEVEL`.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Installs the global JSON subscriber, filtered by `filter` (a `LOG_LEVEL` value already
/// validated by the config module), and routes panics into it. Fails only if stdout is not
/// open.
pub fn init(filter: &str) -> io::Result<()> {
    // A duplicate of stdout's descriptor rather than `io::stdout()`, whose process-wide lock
    // is held across the write(2) and serialises the worker threads.
    let stdout = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    subscriber(filter, stdout).init();
    log_panics();
    Ok(())
}

/// The subscriber [`init`] installs, writing to `writer`: one JSON object per event and
/// line, with the event's fields at the top level.
pub fn subscriber<W>(filter: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(EnvFilter::builder().parse_lossy(filter))
        .with_writer(writer)
        .finish()
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::middleware::ACCESS_LOG_TARGET;

    /// A writer that collects everything written through it.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The lines logged by `emit` under `filter`, each parsed as JSON.
    fn logged(filter: &str, emit: impl FnOnce()) -> Vec<serde_json::Value> {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing::subscriber::with_default(subscriber(filter, move || writer.clone()), emit);
        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    fn emit_access_line() {
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            method = "GET",
            status = 200u16,
            latency_ms = 0.25,
            quote = "a\"b\nc",
            "request"
        );
    }

    #[test]
    fn each_event_is_one_json_line_with_its_fields_at_the_top_level() {
        let lines = logged("info", || {
            emit_access_line();
            tracing::debug!("below the filter");
            let error = io::Error::other("no \"luck\"");
            tracing::error!(error = %error, "failed {}", 42);
        });

        assert_eq!(lines.len(), 2, "{lines:?}");
        let access = &lines[0];
        assert_eq!(access["level"], "INFO");
        assert_eq!(access["message"], "request");
        assert_eq!(access["method"], "GET");
        assert_eq!(access["status"], 200);
        assert_eq!(access["latency_ms"], 0.25);
        assert_eq!(access["quote"], "a\"b\nc");
        assert_eq!(access["target"], "access");
        assert!(access.get("fields").is_none(), "{access}");
        assert_eq!(lines[1]["level"], "ERROR");
        assert_eq!(lines[1]["message"], "failed 42");
        assert_eq!(lines[1]["error"], "no \"luck\"");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let lines = logged("info", emit_access_line);

        let stamp = lines[0]["timestamp"].as_str().expect("a string");
        // 2026-12-02T13:35:23.157916Z
        assert_eq!(stamp.len(), 27, "{stamp}");
        for (i, c) in stamp.char_indices() {
            let expected = match i {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                19 => c == '.',
                26 => c == 'Z',
                _ => c.is_ascii_digit(),
            };
            assert!(expected, "{stamp}: {c:?} at {i}");
        }
    }

    #[test]
    fn access_off_silences_access_lines_and_nothing_else() {
        let lines = logged("info,access=off", || {
            emit_access_line();
            tracing::info!("listening");
        });

        let messages: Vec<_> = lines.iter().map(|l| l["message"].clone()).collect();
        assert_eq!(messages, ["listening"]);
    }
}
