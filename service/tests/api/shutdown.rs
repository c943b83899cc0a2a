//! The shutdown sequence over real sockets, triggered by a future instead of a signal.

use std::time::{Duration, Instant};

use rust_service::Config;
use rust_service::server::ServeError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestServer, get, read_response, start_slow_echo};

/// Polls until connecting fails, i.e. the listener is closed.
async fn wait_until_refused(server: &TestServer, within: Duration) {
    let until = Instant::now() + within;
    while TcpStream::connect(server.address).await.is_ok() {
        assert!(
            Instant::now() < until,
            "listener still accepting after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn in_flight_request_completes_while_readiness_fails_and_the_server_then_stops() {
    let mut server = TestServer::start(Config {
        drain_delay: Duration::from_secs(1),
        shutdown_deadline: Duration::from_secs(3),
        ..Config::default()
    })
    .await;
    let mut slow = start_slow_echo(server.address, 10, 4).await;

    server.trigger_shutdown();
    let triggered = Instant::now();

    // During the drain delay: still serving, but readiness fails.
    let readiness = get(server.address, "/readyz").await;
    assert_eq!(readiness.status, 503);
    let liveness = get(server.address, "/healthz").await;
    assert_eq!(liveness.status, 200);
    assert!(
        triggered.elapsed() < Duration::from_secs(1),
        "checked within the drain"
    );

    // After the drain delay: no new connections, the slow request is still in flight.
    wait_until_refused(&server, Duration::from_secs(3)).await;
    assert!(
        triggered.elapsed() >= Duration::from_secs(1),
        "{:?}",
        triggered.elapsed()
    );
    assert!(
        !server.task.is_finished(),
        "server must wait for the in-flight request"
    );

    slow.write_all(b"xxxxxx").await.expect("rest of the body");
    let response = read_response(&mut slow).await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, r#"{"bytes":10}"#)
    );

    let outcome = tokio::time::timeout(Duration::from_secs(3), server.task)
        .await
        .expect("server stops within the deadline")
        .expect("server task");
    assert!(outcome.is_ok(), "{outcome:?}");
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_delay_shutdown() {
    let mut server = TestServer::start(Config {
        drain_delay: Duration::ZERO,
        shutdown_deadline: Duration::from_secs(5),
        ..Config::default()
    })
    .await;
    let mut idle = TcpStream::connect(server.address).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("request");
    let mut answer = [0u8; 256];
    let n = idle.read(&mut answer).await.expect("response");
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "connection is open and idle"
    );

    server.trigger_shutdown();
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(2), server.task)
        .await
        .expect("an idle connection does not hold the server")
        .expect("server task");

    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let closed = idle.read(&mut answer).await.expect("read after shutdown");
    assert_eq!(closed, 0, "the idle connection was closed by the server");
}

#[tokio::test]
async fn shutdown_gives_up_when_a_request_outlives_the_deadline() {
    let mut server = TestServer::start(Config {
        drain_delay: Duration::ZERO,
        shutdown_deadline: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let _stuck = start_slow_echo(server.address, 10, 1).await;
    // Let the server start reading the request before shutdown begins.
    tokio::time::sleep(Duration::from_millis(50)).await;

    server.trigger_shutdown();
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(3), server.task)
        .await
        .expect("serve returns once the deadline passes")
        .expect("server task");

    assert!(
        matches!(outcome, Err(ServeError::DeadlineExceeded(d)) if d == Duration::from_millis(300)),
        "{outcome:?}"
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
}
