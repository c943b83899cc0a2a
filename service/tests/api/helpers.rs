//! Helpers shared by the integration tests: a server on port 0 with a test-controlled
//! shutdown trigger, and a minimal HTTP/1.1 client over a raw socket (which also lets a
//! test send a request body slowly, in pieces).

use std::net::SocketAddr;
use std::time::Duration;

use rust_service::server::{ServeError, serve};
use rust_service::{AppState, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running in the test's runtime.
pub struct TestServer {
    pub address: SocketAddr,
    trigger: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<(), ServeError>>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 and serves `config` (its port is ignored).
    pub async fn start(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let address = listener.local_addr().expect("local address");
        let (trigger, triggered) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, AppState::new(config), async move {
            let _ = triggered.await;
        }));
        Self {
            address,
            trigger: Some(trigger),
            task,
        }
    }

    /// Starts the shutdown sequence, as a signal would.
    pub fn trigger_shutdown(&mut self) {
        self.trigger
            .take()
            .expect("shutdown triggered once")
            .send(())
            .expect("server is still waiting for the trigger");
    }
}

/// Configuration with short timings so tests stay fast.
pub fn fast_config() -> Config {
    Config {
        drain_delay: Duration::from_millis(300),
        shutdown_deadline: Duration::from_secs(3),
        ..Config::default()
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Sends one request with `Connection: close` and reads the whole response.
pub async fn request(address: SocketAddr, method: &str, path: &str, body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream.write_all(body).await.expect("send body");
    read_response(&mut stream).await
}

/// `GET path` with `Connection: close`.
pub async fn get(address: SocketAddr, path: &str) -> Response {
    request(address, "GET", path, b"").await
}

/// Opens `POST /echo` announcing `length` body bytes and sends only `sent` of them, leaving
/// the request in flight until the caller writes the rest.
pub async fn start_slow_echo(address: SocketAddr, length: usize, sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream
        .write_all(&vec![b'x'; sent])
        .await
        .expect("send part of the body");
    stream
}

/// Reads until the server closes the connection and splits head from body.
pub async fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("response within 10 s")
        .expect("read response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}
