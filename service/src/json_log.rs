//! The JSON log line writer: a `tracing` layer that renders every event as one line of
//! JSON and writes it with one `write(2)`, and [`AccessLog`], which writes the per-request
//! line in the same format without going through `tracing`.
//!
//! It produces what `tracing_subscriber::fmt().json().flatten_event(true)` without spans
//! produced: `{"timestamp":"2026-01-02T03:04:05.678901Z","level":"INFO","message":...,
//! <fields in the order they were recorded>...,"target":...}`. It exists because that
//! formatter collected each field through several layers of `fmt::Write` and `serde`
//! calls and re-formatted the timestamp for every line, which made the request log line
//! about a third of the service's own CPU time per request. This one appends to a
//! reused per-thread buffer, copies strings that need no escape as they are (escaping the
//! others with `serde_json`), formats numbers with `itoa`/`serde_json`, and rebuilds the
//! date-and-time prefix of the timestamp only when the second changes.
//!
//! The request line is an access log, written for every request, so it skips the
//! `tracing` event machinery (a field visitor call and a dynamic dispatch per field):
//! [`AccessLog::request`] writes the bytes the equivalent `tracing` event would produce
//! (a test checks that they are the same), and the caller checks that the event's level is
//! enabled first, so `LOG_LEVEL` governs it like every other line.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Writes each event as one JSON line to `out`.
#[derive(Debug)]
pub struct JsonLines {
    out: Arc<File>,
}

impl JsonLines {
    /// A layer writing to `out` (stdout's descriptor in production). Each line is a
    /// single `write(2)`, so lines up to `PIPE_BUF` reach a pipe without interleaving.
    pub fn new(out: File) -> Self {
        Self { out: Arc::new(out) }
    }

    /// A writer of request lines to the same output.
    pub fn access_log(&self) -> AccessLog {
        AccessLog {
            out: Arc::clone(&self.out),
        }
    }
}

/// The target of request lines, as a literal for `concat!`.
macro_rules! access_log_target {
    () => {
        "rust_service::telemetry"
    };
}

/// `end_line(line, AccessLog::TARGET)`, spelled out once (the target needs no escape).
const REQUEST_LINE_END: &[u8] = concat!(",\"target\":\"", access_log_target!(), "\"}\n").as_bytes();

/// Writes one line per answered request, in the format [`JsonLines`] gives a
/// `tracing::info!(target: TARGET, message = "request", method, route, status, latency_ms)`.
#[derive(Clone, Debug)]
pub struct AccessLog {
    out: Arc<File>,
}

impl AccessLog {
    /// The `target` field of request lines.
    pub const TARGET: &'static str = access_log_target!();

    /// Writes the line of one answered request; the latency is logged in milliseconds with
    /// microsecond resolution (`latency_ms`).
    pub fn request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        with_scratch(|scratch| {
            let line = start_line(scratch, "INFO");
            line.extend_from_slice(b",\"message\":\"request\",\"method\":");
            write_str(line, method);
            line.extend_from_slice(b",\"route\":");
            write_str(line, route);
            line.extend_from_slice(b",\"status\":");
            line.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
            line.extend_from_slice(b",\"latency_ms\":");
            write_millis(line, latency);
            line.extend_from_slice(REQUEST_LINE_END);
            write_line(&self.out, line);
        });
    }
}

/// The per-thread state: the line being built and the cached timestamp prefix.
struct Scratch {
    line: Vec<u8>,
    /// Unix second whose `YYYY-MM-DDTHH:MM:SS` is in `second_text`.
    second: u64,
    second_text: [u8; 19],
    /// For values that only implement `Debug` (including the message).
    debug: String,
}

impl Scratch {
    const fn new() -> Self {
        Self {
            line: Vec::new(),
            second: u64::MAX,
            second_text: [0; 19],
            debug: String::new(),
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch::new()) };
}

/// Runs `render` with this thread's scratch state; re-entrancy (an event logged while a
/// value is formatted) gets a fresh one.
fn with_scratch(render: impl FnOnce(&mut Scratch)) {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => render(&mut scratch),
        Err(_) => render(&mut Scratch::new()),
    });
}

/// Clears the line and writes `{"timestamp":"…","level":"LEVEL"`.
fn start_line<'a>(scratch: &'a mut Scratch, level: &str) -> &'a mut Vec<u8> {
    let Scratch {
        line,
        second,
        second_text,
        ..
    } = scratch;
    line.clear();
    line.extend_from_slice(b"{\"timestamp\":\"");
    write_timestamp(line, second, second_text, SystemTime::now());
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(level.as_bytes());
    line.push(b'"');
    line
}

/// Writes `,"target":"TARGET"}` and the newline.
fn end_line(line: &mut Vec<u8>, target: &str) {
    line.extend_from_slice(b",\"target\":");
    write_str(line, target);
    line.extend_from_slice(b"}\n");
}

fn write_line(out: &File, line: &[u8]) {
    // Nowhere to report a failed log write; the next line tries again.
    let _ = (&*out).write_all(line);
}

impl<S: Subscriber> Layer<S> for JsonLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        with_scratch(|scratch| {
            let metadata = event.metadata();
            start_line(scratch, metadata.level().as_str());
            let Scratch { line, debug, .. } = scratch;
            event.record(&mut Fields { line, debug });
            end_line(line, metadata.target());
            write_line(&self.out, line);
        });
    }
}

/// Appends `,"name":value` for each field of an event.
struct Fields<'a> {
    line: &'a mut Vec<u8>,
    debug: &'a mut String,
}

impl Fields<'_> {
    fn key(&mut self, field: &Field) {
        let name = field.name();
        // The value follows: reserve for a short one too.
        self.line.reserve(name.len() + 32);
        self.line.push(b',');
        write_str(self.line, name);
        self.line.push(b':');
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        // Non-finite numbers become `null`, as JSON has no representation for them.
        serde_json::to_writer(&mut *self.line, &value).expect("writing into a Vec");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.key(field);
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.key(field);
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        write_str(self.line, value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.debug.clear();
        // Writing into a String cannot fail.
        let _ = write!(self.debug, "{value}");
        self.key(field);
        write_str(self.line, self.debug);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.debug.clear();
        let _ = write!(self.debug, "{value:?}");
        self.key(field);
        write_str(self.line, self.debug);
    }
}

/// Bytes that JSON strings must escape: control characters, `"` and `\\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `value` as a JSON string (quoted and escaped).
fn write_str(line: &mut Vec<u8>, value: &str) {
    // Field names, routes, methods and most messages need no escape: copy them as they
    // are (JSON strings may hold any other character unescaped, as serde_json writes them).
    if value.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]) {
        serde_json::to_writer(&mut *line, value).expect("writing into a Vec");
        return;
    }
    line.reserve(value.len() + 2);
    line.push(b'"');
    line.extend_from_slice(value.as_bytes());
    line.push(b'"');
}

/// Appends a duration in milliseconds rounded to the microsecond, as the shortest decimal
/// (`0.25`, `12.0`, `1234.567`): what `serde_json` writes for the `f64`
/// `(seconds * 1e6).round() / 1e3`, without going through floating point.
fn write_millis(line: &mut Vec<u8>, duration: Duration) {
    let micros = duration.as_micros() + u128::from(duration.subsec_nanos() % 1_000 >= 500);
    line.extend_from_slice(itoa::Buffer::new().format(micros / 1_000).as_bytes());
    let mut fraction = [b'.', b'0', b'0', b'0'];
    let mut rest = micros % 1_000;
    for digit in fraction[1..].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    // Keep at least one digit after the point, as serde_json does for whole numbers.
    let mut end = fraction.len();
    while end > 2 && fraction[end - 1] == b'0' {
        end -= 1;
    }
    line.extend_from_slice(&fraction[..end]);
}

/// Appends `now` as RFC 3339 UTC with microseconds, `2026-01-02T03:04:05.678901`
/// (the `Z` follows), re-rendering the date and time only when the second changes.
fn write_timestamp(line: &mut Vec<u8>, second: &mut u64, text: &mut [u8; 19], now: SystemTime) {
    // A clock before 1970 is logged as the epoch.
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    if seconds != *second {
        *second = seconds;
        *text = format_second(seconds);
    }
    line.extend_from_slice(text);
    let micros = since_epoch.subsec_micros();
    let mut fraction = [b'.', 0, 0, 0, 0, 0, 0, b'Z'];
    let mut rest = micros;
    for digit in fraction[1..7].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    line.extend_from_slice(&fraction);
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time (UTC, proleptic Gregorian calendar).
fn format_second(unix_seconds: u64) -> [u8; 19] {
    let days = unix_seconds / 86_400;
    let of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut text = [0u8; 19];
    let mut put = |at: usize, width: usize, mut value: u64| {
        for i in (at..at + width).rev() {
            text[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, of_day / 3600);
    put(14, 2, of_day / 60 % 60);
    put(17, 2, of_day % 60);
    text[4] = b'-';
    text[7] = b'-';
    text[10] = b'T';
    text[13] = b':';
    text[16] = b':';
    text
}

/// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn timestamp(since_epoch: Duration) -> String {
        let mut line = Vec::new();
        let (mut second, mut text) = (u64::MAX, [0; 19]);
        write_timestamp(&mut line, &mut second, &mut text, UNIX_EPOCH + since_epoch);
        String::from_utf8(line).unwrap()
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (951_782_400, 7_000, "2000-02-29T00:00:00.000007Z"),
            (1_709_251_199, 999_999_999, "2024-02-29T23:59:59.999999Z"),
            (1_798_761_599, 123_456_000, "2026-12-31T23:59:59.123456Z"),
            (4_102_444_800, 500_000, "2100-01-01T00:00:00.000500Z"),
        ];
        for (seconds, nanos, expected) in cases {
            assert_eq!(timestamp(Duration::new(seconds, nanos)), expected);
        }
    }

    #[test]
    fn events_become_one_json_line_each() {
        use tracing_subscriber::layer::SubscriberExt;

        let path = std::env::temp_dir().join(format!("json-log-test-{}", std::process::id()));
        let file = File::create(&path).unwrap();
        let subscriber = tracing_subscriber::registry().with(JsonLines::new(file));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                method = "GET",
                status = 200u16,
                delta = -3i64,
                latency_ms = 0.25,
                ok = true,
                quote = "a\"b\nc",
                "request"
            );
            let error = std::io::Error::other("no \"luck\"");
            tracing::error!(
                error = &error as &dyn std::error::Error,
                zero = 0.0,
                "failed {}",
                42
            );
        });
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let (stamp, rest) = lines[0].split_at(43);
        assert!(
            stamp.starts_with("{\"timestamp\":\"20") && stamp.ends_with("Z\","),
            "{stamp}"
        );
        assert_eq!(
            rest,
            r#""level":"INFO","message":"request","method":"GET","status":200,"delta":-3,"latency_ms":0.25,"ok":true,"quote":"a\"b\nc","target":"rust_service::json_log::tests"}"#
        );
        assert_eq!(
            &lines[1][43..],
            r#""level":"ERROR","message":"failed 42","error":"no \"luck\"","zero":0.0,"target":"rust_service::json_log::tests"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert!(parsed["timestamp"].is_string());
    }

    #[test]
    fn strings_are_written_exactly_as_serde_json_writes_them() {
        let cases = [
            "",
            "/healthz",
            "GET",
            "grüße, 日本, emoji 🦀",
            "tab\there",
            "quote \" and backslash \\",
            "\u{0}\u{1f} controls",
            "\u{7f} delete is not escaped",
            "line\nbreak\r",
        ];
        for value in cases {
            let mut ours = Vec::new();
            write_str(&mut ours, value);
            let theirs = serde_json::to_vec(value).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn request_lines_match_the_equivalent_tracing_event() {
        use tracing_subscriber::layer::SubscriberExt;

        let path = std::env::temp_dir().join(format!("access-log-test-{}", std::process::id()));
        let lines = JsonLines::new(File::create(&path).unwrap());
        let access = lines.access_log();
        let latencies = [
            Duration::ZERO,
            Duration::from_nanos(499),
            Duration::from_nanos(1_500),
            Duration::from_micros(250),
            Duration::from_millis(12),
            Duration::from_micros(1_234_567),
            Duration::from_nanos(999_999_500),
            Duration::from_secs(3_600),
        ];
        let subscriber = tracing_subscriber::registry().with(lines);
        tracing::subscriber::with_default(subscriber, || {
            for (i, latency) in latencies.iter().enumerate() {
                let route = if i % 2 == 0 {
                    "/"
                } else {
                    "/a \"quoted\" route"
                };
                tracing::info!(
                    target: "rust_service::telemetry",
                    message = "request",
                    method = "GET",
                    route,
                    status = 200u16,
                    latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3,
                );
                access.request("GET", route, 200, *latency);
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let written: Vec<&str> = text.lines().collect();
        assert_eq!(written.len(), 2 * latencies.len(), "{text}");
        for pair in written.chunks(2) {
            // Everything after the timestamp is the same.
            assert_eq!(&pair[0][43..], &pair[1][43..]);
            assert!(pair[1].contains(r#""message":"request","method":"GET","route":"#));
        }
        assert!(
            written[11].contains(r#""latency_ms":1234.567,"#),
            "{}",
            written[11]
        );
        assert!(
            written[13].contains(r#""latency_ms":1000.0,"#),
            "{}",
            written[13]
        );
    }

    #[test]
    fn the_cached_second_is_refreshed() {
        let mut line = Vec::new();
        let (mut second, mut text) = (u64::MAX, [0; 19]);
        for seconds in [86_399, 86_400, 86_400] {
            line.clear();
            write_timestamp(
                &mut line,
                &mut second,
                &mut text,
                UNIX_EPOCH + Duration::from_secs(seconds),
            );
        }
        assert_eq!(line, b"1970-01-02T00:00:00.000000Z");
    }
}
