//! `rust-service healthcheck`: probes the local `/healthz` so an image without a shell or
//! curl can still have a Docker `HEALTHCHECK`. It connects to an IP address (no name
//! lookup, which a static glibc binary must avoid) and is bounded by a total timeout.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Total time allowed for one probe: connect, send and read the status line. Shorter than
/// the image's `HEALTHCHECK --timeout=3s`, so the probe reports its own error first.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Why a probe found the service unhealthy. The message is one line.
#[derive(Debug)]
pub enum ProbeError {
    /// The probe's total timeout passed before a status line arrived.
    Timeout {
        address: SocketAddr,
        timeout: Duration,
    },
    /// The TCP connection could not be made.
    Connect {
        address: SocketAddr,
        source: io::Error,
    },
    /// The request could not be sent.
    Send {
        address: SocketAddr,
        source: io::Error,
    },
    /// The response could not be read.
    Read {
        address: SocketAddr,
        source: io::Error,
    },
    /// The service answered with a status other than 200 (or not with HTTP at all).
    Unhealthy {
        address: SocketAddr,
        status_line: String,
    },
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout { address, timeout } => {
                write!(f, "no answer from {address} within {timeout:?}")
            }
            Self::Connect { address, source } => write!(f, "cannot connect to {address}: {source}"),
            Self::Send { address, source } => {
                write!(f, "cannot send the request to {address}: {source}")
            }
            Self::Read { address, source } => write!(f, "cannot read from {address}: {source}"),
            // `{:?}` quotes the line and escapes control characters: the message stays one line.
            Self::Unhealthy {
                address,
                status_line,
            } => write!(f, "unhealthy: {address} answered {status_line:?}"),
        }
    }
}

impl std::error::Error for ProbeError {}

/// Sends `GET /healthz` to `address` and succeeds if the answer's status is 200.
pub fn probe(address: SocketAddr, timeout: Duration) -> Result<(), ProbeError> {
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(ProbeError::Timeout { address, timeout })
    };

    let mut stream = TcpStream::connect_timeout(&address, remaining()?)
        .map_err(|source| ProbeError::Connect { address, source })?;
    // One buffer, one write: `write!` on the stream would send each piece separately.
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .set_write_timeout(Some(remaining()?))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|source| ProbeError::Send { address, source })?;

    // Only the status line matters: read until its end, the peer closes, or time runs out.
    let mut received = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    while !received.contains(&b'\n') && received.len() < 4096 {
        stream
            .set_read_timeout(Some(remaining()?))
            .map_err(|source| ProbeError::Read { address, source })?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(source) => return Err(ProbeError::Read { address, source }),
        }
    }

    let response = String::from_utf8_lossy(&received);
    let status_line = response.lines().next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5));
    match status {
        Some("200") => Ok(()),
        _ => Err(ProbeError::Unhealthy {
            address,
            status_line: status_line.to_owned(),
        }),
    }
}
