//! Real-socket tests: a server bound to 127.0.0.1:0 and clients talking TCP to it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use rust_service::Config;
use rust_service::healthcheck::{ProbeError, probe};
use rust_service::server::MAX_HEAD_BYTES;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestServer, fast_config, get, read_response, request, start_slow_echo};

/// Runs the blocking probe off the async runtime so the server can answer it.
async fn probe_async(address: SocketAddr, timeout: Duration) -> Result<(), ProbeError> {
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
async fn client_sending_its_request_head_slowly_is_disconnected() {
    // Slowloris: bytes keep arriving, but the head is never complete within the timeout.
    let server = TestServer::start(Config {
        idle_timeout: Duration::from_millis(200),
        ..fast_config()
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("connect");
    let started = Instant::now();

    let mut closed_after = None;
    for byte in b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: 0123456789012345678901234567890123456789" {
        if stream.write_all(&[*byte]).await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let closed_after = match closed_after {
        Some(at) => at,
        None => {
            // All bytes went out (a write into a closed socket can still succeed once):
            // the server must have closed the connection without answering.
            let mut received = Vec::new();
            let read =
                tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut received));
            assert!(
                read.await.is_ok(),
                "the connection was still open after the whole head"
            );
            assert!(
                received.is_empty(),
                "{}",
                String::from_utf8_lossy(&received)
            );
            started.elapsed()
        }
    };

    assert!(
        closed_after >= Duration::from_millis(150),
        "{closed_after:?}"
    );
    assert!(
        closed_after < Duration::from_millis(1500),
        "{closed_after:?}"
    );
}

#[tokio::test]
async fn request_outlasting_the_idle_timeout_is_not_cut() {
    let server = TestServer::start(Config {
        idle_timeout: Duration::from_millis(200),
        request_timeout: Duration::from_secs(3),
        ..fast_config()
    })
    .await;

    // The head arrives at once; the body takes three idle timeouts.
    let mut stream = start_slow_echo(server.address, 10, 3).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    stream
        .write_all(&[b'x'; 7])
        .await
        .expect("rest of the body");
    let response = read_response(&mut stream).await;

    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, r#"{"bytes":10}"#);
}

#[tokio::test]
async fn each_response_restarts_the_request_head_deadline() {
    let server = TestServer::start(Config {
        idle_timeout: Duration::from_millis(600),
        ..fast_config()
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("connect");

    // Four requests 200 ms apart on one connection: 800 ms in all, more than the deadline,
    // but each well within 600 ms of the previous response.
    let mut answered = 0;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .expect("send on the kept-alive connection");
        let mut buffer = [0; 1024];
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer))
            .await
            .expect("answer within 2 s")
            .expect("read");
        let text = String::from_utf8_lossy(&buffer[..read]);
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text:?}");
        answered += 1;
    }

    assert_eq!(answered, 4);
}

#[tokio::test]
async fn request_head_just_under_the_limit_is_served() {
    let server = TestServer::start(fast_config()).await;
    let filler = "x".repeat(MAX_HEAD_BYTES - 1024);

    let (received, _) = sent_until_closed(
        &server,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Filler: {filler}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;

    assert!(received.starts_with("HTTP/1.1 200 OK"), "{received}");
}

#[tokio::test]
async fn request_head_over_the_limit_answers_431() {
    let server = TestServer::start(fast_config()).await;
    let filler = "x".repeat(MAX_HEAD_BYTES);

    let (received, _) = sent_until_closed(
        &server,
        format!("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Filler: {filler}\r\n\r\n").as_bytes(),
    )
    .await;

    assert!(
        received.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
        "{received}"
    );
}

#[tokio::test]
async fn endless_request_head_answers_431_without_waiting_for_its_end() {
    let server = TestServer::start(fast_config()).await;
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .expect("send the request line");

    // Header lines keep coming and the head never ends; the server must give up.
    let header = format!("X-Filler: {}\r\n", "x".repeat(1000));
    let mut sent = 0;
    while sent < 16 * MAX_HEAD_BYTES {
        if stream.write_all(header.as_bytes()).await.is_err() {
            break;
        }
        sent += header.len();
    }
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;

    let received = String::from_utf8_lossy(&received);
    assert!(
        received.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
        "{received:?} after {sent} bytes"
    );
    assert!(sent < 16 * MAX_HEAD_BYTES, "all {sent} bytes were accepted");
}

#[tokio::test]
async fn healthcheck_probe_succeeds_against_a_running_server() {
    let server = TestServer::start(fast_config()).await;

    let result = probe_async(server.address, Duration::from_secs(2)).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn healthcheck_probe_fails_when_nothing_listens() {
    let address = closed_address();

    let error = probe_async(address, Duration::from_secs(2))
        .await
        .expect_err("no server")
        .to_string();

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
        .expect_err("503")
        .to_string();

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
        .expect_err("silent server")
        .to_string();

    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert!(error.contains(&address.to_string()), "{error}");
    drop(listener);
}
