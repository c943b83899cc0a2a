//! Real-socket tests: a server bound to 127.0.0.1:0 and clients talking TCP to it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use common::{TestServer, fast_config, get, read_response, request, start_slow_echo};
use rust_service::Config;
use rust_service::healthcheck::probe;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs the blocking probe off the async runtime so the server can answer it.
async fn probe_async(address: SocketAddr, timeout: Duration) -> Result<(), String> {
    tokio::task::spawn_blocking(move || probe(address, timeout))
        .await
        .expect("probe thread")
}

/// An address on which nothing listens (bound, then released).
fn closed_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

#[tokio::test]
async fn root_document_is_served_over_tcp() {
    let server = TestServer::start(Config {
        greeting: "over the wire".to_owned(),
        ..fast_config()
    })
    .await;

    let response = get(server.address, "/").await;

    assert_eq!(response.status, 200);
    assert!(
        response.head.contains("content-type: application/json"),
        "{}",
        response.head
    );
    let document: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
    assert_eq!(document["greeting"], "over the wire");
}

#[tokio::test]
async fn keep_alive_connection_serves_several_requests() {
    let server = TestServer::start(fast_config()).await;
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("connect");

    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("send two pipelined requests");
    let both = read_response(&mut stream).await;

    assert_eq!(both.status, 200);
    assert_eq!(both.body.matches("HTTP/1.1 200 OK").count(), 1, "{both:?}");
    assert!(both.body.ends_with("ready\n"), "{both:?}");
}

#[tokio::test]
async fn echo_counts_a_body_sent_over_tcp() {
    let server = TestServer::start(fast_config()).await;

    let response = request(server.address, "POST", "/echo", &[1; 10_000]).await;

    assert_eq!(
        (response.status, response.body.as_str()),
        (200, r#"{"bytes":10000}"#)
    );
}

#[tokio::test]
async fn oversized_body_over_tcp_answers_413() {
    let server = TestServer::start(Config {
        body_limit: 100,
        ..fast_config()
    })
    .await;

    let response = request(server.address, "POST", "/echo", &[1; 101]).await;

    assert_eq!(response.status, 413);
}

#[tokio::test]
async fn client_sending_its_body_too_slowly_gets_408() {
    let server = TestServer::start(Config {
        request_timeout: Duration::from_millis(200),
        ..fast_config()
    })
    .await;

    let mut stream = start_slow_echo(server.address, 10, 3).await;
    let response = read_response(&mut stream).await;

    assert_eq!(response.status, 408);
}

/// Sends `bytes` on a new connection and reads until the server closes it (at most 5 s).
/// Returns what was received and how long the server kept the connection open.
async fn sent_until_closed(server: &TestServer, bytes: &[u8]) -> (String, Duration) {
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("connect");
    stream.write_all(bytes).await.expect("send");
    let started = Instant::now();
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .expect("connection closed by the server within 5 s")
        .expect("read");
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn client_that_never_finishes_its_request_head_is_disconnected() {
    let server = TestServer::start(Config {
        idle_timeout: Duration::from_millis(200),
        ..fast_config()
    })
    .await;

    let (received, open_for) = sent_until_closed(&server, b"GET / HTTP/1.1\r\nHost: t\r\n").await;

    assert!(open_for >= Duration::from_millis(150), "{open_for:?}");
    assert!(!received.contains("200 OK"), "{received:?}");
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start(Config {
        idle_timeout: Duration::from_millis(200),
        ..fast_config()
    })
    .await;

    let (received, open_for) =
        sent_until_closed(&server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").await;

    assert!(received.starts_with("HTTP/1.1 200 OK"), "{received}");
    assert!(open_for >= Duration::from_millis(150), "{open_for:?}");
}

#[tokio::test]
async fn healthcheck_probe_succeeds_against_a_running_server() {
    let server = TestServer::start(fast_config()).await;

    let result = probe_async(server.address, Duration::from_secs(2)).await;

    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn healthcheck_probe_fails_when_nothing_listens() {
    let address = closed_address();

    let error = probe_async(address, Duration::from_secs(2))
        .await
        .expect_err("no server");

    assert!(
        error.starts_with(&format!("cannot connect to {address}")),
        "{error}"
    );
}

#[tokio::test]
async fn healthcheck_probe_fails_on_a_non_200_answer() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let fake = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).expect("read request");
            request.push(byte[0]);
        }
        stream
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            .expect("answer");
        String::from_utf8(request).expect("ASCII request")
    });

    let error = probe_async(address, Duration::from_secs(2))
        .await
        .expect_err("503");

    assert!(
        error.contains("HTTP/1.1 503 Service Unavailable"),
        "{error}"
    );
    let request = fake.join().expect("fake server");
    assert!(
        request.starts_with("GET /healthz HTTP/1.1\r\n"),
        "{request}"
    );
}

#[tokio::test]
async fn healthcheck_probe_gives_up_when_the_server_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let started = Instant::now();

    // The kernel completes the handshake from the backlog; nobody ever answers.
    let error = probe_async(address, Duration::from_millis(300))
        .await
        .expect_err("silent server");

    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert!(error.contains(&address.to_string()), "{error}");
    drop(listener);
}
