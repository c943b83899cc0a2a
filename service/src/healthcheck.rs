//! `rust-service healthcheck`: probes the local `/healthz` so an image without a shell or
//! curl can still have a Docker `HEALTHCHECK`. It connects to an IP address (no name
//! lookup, which a static glibc binary must avoid) and is bounded by a total timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Total time allowed for one probe: connect, send and read the status line. Shorter than
/// the image's `HEALTHCHECK --timeout=3s`, so the probe reports its own error first.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Sends `GET /healthz` to `address` and succeeds if the answer's status is 200.
/// The error says what went wrong, in one line.
pub fn probe(address: SocketAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer from {address} within {timeout:?}"))
    };

    let mut stream = TcpStream::connect_timeout(&address, remaining()?)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    // One buffer, one write: `write!` on the stream would send each piece separately.
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .set_write_timeout(Some(remaining()?))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|e| format!("cannot send the request to {address}: {e}"))?;

    // Only the status line matters: read until its end, the peer closes, or time runs out.
    let mut received = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    while !received.contains(&b'\n') && received.len() < 4096 {
        stream
            .set_read_timeout(Some(remaining()?))
            .map_err(|e| format!("cannot read from {address}: {e}"))?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("cannot read from {address}: {e}")),
        }
    }

    let response = String::from_utf8_lossy(&received);
    let status_line = response.lines().next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5));
    match status {
        Some("200") => Ok(()),
        _ => Err(format!("unhealthy: {address} answered {status_line:?}")),
    }
}
