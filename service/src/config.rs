//! Configuration, read once at start-up from environment variables into [`Config`].
//!
//! Parsing is a pure function over `(name, value)` pairs so it can be tested with tables
//! and without touching the process environment. Variables this module does not know
//! (for example `APP_*` values a deployment injects) are ignored.

use std::ffi::OsStr;
use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

/// Log levels accepted as a bare word in `LOG_LEVEL`.
const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// Validated settings for one process.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// TCP port to listen on (`PORT`, default 8080).
    pub port: u16,
    /// A `tracing` EnvFilter directive (`LOG_LEVEL`, default `info`).
    pub log_filter: String,
    /// Greeting returned by `GET /` (`GREETING`).
    pub greeting: String,
    /// How long to keep serving after a shutdown signal with readiness failing
    /// (`DRAIN_DELAY_SECONDS`, default 5 s).
    pub drain_delay: Duration,
    /// How long in-flight requests may take once the listener has stopped accepting
    /// (`SHUTDOWN_DEADLINE_SECONDS`, default 20 s).
    pub shutdown_deadline: Duration,
    /// Upper bound on handling one request, body included (`REQUEST_TIMEOUT_SECONDS`, default 10 s).
    pub request_timeout: Duration,
    /// Largest accepted request body in bytes (`BODY_LIMIT_BYTES`, default 1 MiB).
    pub body_limit: usize,
    /// Worker threads of the async runtime (`TOKIO_WORKER_THREADS`, tokio's own variable).
    /// `None`, the default, means one per CPU available to the process, cgroup CPU quotas
    /// included. With one worker the service runs a single-threaded runtime (see
    /// [`Config::worker_count`]).
    pub worker_threads: Option<NonZeroUsize>,
    /// How long a connection may sit without sending a complete request head: closes idle
    /// keep-alive connections and slow-header clients. Fixed at 75 s, longer than the 60 s
    /// idle timeout of common load balancers (a backend closing first causes 502s there);
    /// not read from the environment.
    pub idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 8080,
            log_filter: "info".to_owned(),
            greeting: "Hello from rust-service".to_owned(),
            drain_delay: Duration::from_secs(5),
            shutdown_deadline: Duration::from_secs(20),
            request_timeout: Duration::from_secs(10),
            body_limit: 1024 * 1024,
            worker_threads: None,
            idle_timeout: Duration::from_secs(75),
        }
    }
}

/// A configuration variable whose value is not allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Name of the environment variable.
    pub variable: &'static str,
    /// The rejected value (lossily decoded if it was not UTF-8).
    pub value: String,
    /// What the variable accepts.
    pub allowed: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` quotes the value and escapes newlines, so the message stays on one line.
        write!(
            f,
            "invalid {}={:?}: expected {}",
            self.variable, self.value, self.allowed
        )
    }
}

impl std::error::Error for ConfigError {}

/// One recognised variable: its name, what it accepts, and how to apply a value.
struct Setting {
    name: &'static str,
    allowed: &'static str,
    apply: fn(&mut Config, &str) -> Option<()>,
}

const SETTINGS: [Setting; 8] = [
    Setting {
        name: "PORT",
        allowed: "an integer from 1 to 65535",
        apply: |c, v| {
            c.port = parse_integer::<u16>(v).filter(|p| *p > 0)?;
            Some(())
        },
    },
    Setting {
        name: "LOG_LEVEL",
        allowed: "a level (trace, debug, info, warn, error, off) or tracing filter directives \
                  such as `info,rust_service=debug`",
        apply: |c, v| {
            c.log_filter = parse_log_filter(v)?;
            Some(())
        },
    },
    Setting {
        name: "GREETING",
        allowed: "any UTF-8 text",
        apply: |c, v| {
            c.greeting = v.to_owned();
            Some(())
        },
    },
    Setting {
        name: "DRAIN_DELAY_SECONDS",
        allowed: "a non-negative decimal number of seconds such as 5 or 0.5",
        apply: |c, v| {
            c.drain_delay = parse_seconds(v)?;
            Some(())
        },
    },
    Setting {
        name: "SHUTDOWN_DEADLINE_SECONDS",
        allowed: "a non-negative decimal number of seconds such as 20 or 2.5",
        apply: |c, v| {
            c.shutdown_deadline = parse_seconds(v)?;
            Some(())
        },
    },
    Setting {
        name: "REQUEST_TIMEOUT_SECONDS",
        allowed: "a decimal number of seconds greater than 0 such as 10 or 0.5",
        apply: |c, v| {
            c.request_timeout = parse_seconds(v).filter(|d| !d.is_zero())?;
            Some(())
        },
    },
    Setting {
        name: "BODY_LIMIT_BYTES",
        allowed: "an integer number of bytes greater than 0",
        apply: |c, v| {
            c.body_limit = parse_integer::<usize>(v).filter(|n| *n > 0)?;
            Some(())
        },
    },
    // Read here rather than left to tokio, which panics with a backtrace on a bad value.
    Setting {
        name: "TOKIO_WORKER_THREADS",
        allowed: "an integer number of threads greater than 0",
        apply: |c, v| {
            c.worker_threads = Some(parse_integer::<NonZeroUsize>(v)?);
            Some(())
        },
    },
];

impl Config {
    /// How many threads serve requests: `worker_threads` if set, else the CPUs this
    /// process may use (`std::thread::available_parallelism` honours CPU affinity and
    /// cgroup quotas, so a container limited to one CPU gets 1).
    pub fn worker_count(&self) -> NonZeroUsize {
        self.worker_threads
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }

    /// Reads the process environment. Non-UTF-8 variables are tolerated unless they are
    /// one of ours.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars_os())
    }

    /// Builds a configuration from `(name, value)` pairs, starting from the defaults.
    /// Names this service does not use are ignored; the first bad value is reported.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        // Later duplicates win, as with a shell's environment.
        let mut values: [Option<V>; SETTINGS.len()] = Default::default();
        for (name, value) in vars {
            if let Some(i) = SETTINGS.iter().position(|s| name.as_ref() == s.name) {
                values[i] = Some(value);
            }
        }

        let mut config = Self::default();
        for (setting, value) in SETTINGS.iter().zip(values) {
            let Some(value) = value else { continue };
            let value = value.as_ref();
            let applied = value.to_str().and_then(|v| (setting.apply)(&mut config, v));
            if applied.is_none() {
                return Err(ConfigError {
                    variable: setting.name,
                    value: value.to_string_lossy().into_owned(),
                    allowed: setting.allowed,
                });
            }
        }
        Ok(config)
    }
}

/// Unsigned integer made of ASCII digits only (no sign, no spaces inside).
fn parse_integer<T: std::str::FromStr>(raw: &str) -> Option<T> {
    let s = raw.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Non-negative decimal seconds: `digits` or `digits.digits` (no sign, exponent, `inf` or `nan`).
fn parse_seconds(raw: &str) -> Option<Duration> {
    let s = raw.trim();
    let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    Duration::try_from_secs_f64(s.parse().ok()?).ok()
}

/// EnvFilter reads a bare word it does not know as a *target* name (so `LOG_LEVEL=verbose`
/// would silently disable all logs); a bare word must therefore be a level name.
fn parse_log_filter(raw: &str) -> Option<String> {
    let s = raw.trim();
    let directives: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let bare_word_is_level =
        |d: &&str| d.contains(['=', '[']) || LEVELS.iter().any(|l| d.eq_ignore_ascii_case(l));
    if directives.is_empty() || !directives.iter().all(bare_word_is_level) {
        return None;
    }
    EnvFilter::builder().parse(s).ok()?;
    Some(s.to_owned())
}
