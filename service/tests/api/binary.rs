//! Tests of the built binary as a process: real signals, real exit codes, real log lines.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_rust-service");

/// A port that was free a moment ago (the binary does not accept port 0).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn command(port: u16) -> Command {
    let mut command = Command::new(BINARY);
    command.env_clear().env("PORT", port.to_string());
    command
}

fn healthcheck(port: u16) -> Output {
    command(port)
        .arg("healthcheck")
        .output()
        .expect("run healthcheck")
}

/// Runs the healthcheck subcommand until it succeeds.
fn wait_until_healthy(port: u16, child: &mut Child) {
    let until = Instant::now() + Duration::from_secs(10);
    while !healthcheck(port).status.success() {
        assert!(
            child.try_wait().expect("poll child").is_none(),
            "server exited early"
        );
        assert!(Instant::now() < until, "server not healthy within 10 s");
        sleep(Duration::from_millis(50));
    }
}

fn wait_for_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let until = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            return status;
        }
        if Instant::now() >= until {
            child.kill().expect("kill");
            panic!("server did not exit within {within:?}");
        }
        sleep(Duration::from_millis(20));
    }
}

/// Minimal blocking `GET` returning the status code.
fn try_status_of(port: u16, path: &str) -> std::io::Result<u16> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))
}

fn status_of(port: u16, path: &str) -> u16 {
    try_status_of(port, path).expect("HTTP response")
}

/// Sends `signal` (a name such as `TERM`) to the child with kill(1).
fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}

fn log_lines(child: &mut Child) -> Vec<serde_json::Value> {
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn messages(lines: &[serde_json::Value]) -> Vec<&str> {
    lines.iter().filter_map(|l| l["message"].as_str()).collect()
}

#[test]
fn sigterm_fails_readiness_drains_and_exits_zero_on_one_worker_thread() {
    // The single-threaded runtime the service picks for one CPU.
    sigterm_fails_readiness_drains_and_exits_zero(1);
}

#[test]
fn sigterm_fails_readiness_drains_and_exits_zero_on_two_worker_threads() {
    // The work-stealing runtime it picks for more.
    sigterm_fails_readiness_drains_and_exits_zero(2);
}

fn sigterm_fails_readiness_drains_and_exits_zero(workers: u64) {
    let port = free_port();
    let mut child = command(port)
        .env("TOKIO_WORKER_THREADS", workers.to_string())
        .env("DRAIN_DELAY_SECONDS", "2")
        .env("SHUTDOWN_DEADLINE_SECONDS", "2")
        .env("APP_FEATURE_FLAG", "injected by the deployment")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_until_healthy(port, &mut child);
    assert_eq!(status_of(port, "/readyz"), 200);

    send_signal(&child, "TERM");
    let signalled = Instant::now();
    let until = signalled + Duration::from_millis(1500);
    while status_of(port, "/readyz") != 503 {
        assert!(
            Instant::now() < until,
            "readiness did not fail after SIGTERM"
        );
        sleep(Duration::from_millis(20));
    }
    assert_eq!(
        status_of(port, "/healthz"),
        200,
        "still serving while draining"
    );
    let status = wait_for_exit(&mut child, Duration::from_secs(6));

    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "drain delay was honoured"
    );
    let lines = log_lines(&mut child);
    let messages = messages(&lines);
    assert_eq!(messages.first(), Some(&"listening"), "{messages:?}");
    assert_eq!(lines[0]["workers"], workers, "{}", lines[0]);
    assert_eq!(messages.last(), Some(&"shutdown complete"), "{messages:?}");
    let signal = lines
        .iter()
        .find(|l| l["message"] == "shutdown signal received")
        .expect("signal logged");
    assert_eq!(signal["signal"], "SIGTERM");
    let readiness_failure = lines
        .iter()
        .find(|l| l["message"] == "request" && l["status"] == 503)
        .expect("request line for the failed readiness probe");
    assert_eq!(readiness_failure["method"], "GET");
    assert_eq!(readiness_failure["route"], "/readyz");
    assert!(
        readiness_failure["latency_ms"].is_number(),
        "{readiness_failure}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["timestamp"].is_string() && l["level"].is_string())
    );
}

#[test]
fn sigint_also_shuts_down_cleanly() {
    let port = free_port();
    let mut child = command(port)
        .env("DRAIN_DELAY_SECONDS", "0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_until_healthy(port, &mut child);

    send_signal(&child, "INT");
    let status = wait_for_exit(&mut child, Duration::from_secs(5));

    assert_eq!(status.code(), Some(0));
    let lines = log_lines(&mut child);
    assert!(lines.iter().any(|l| l["signal"] == "SIGINT"), "{lines:?}");
}

/// Serves three `GET /` under `log_level`, stops, and returns the messages logged.
fn messages_logged_under(log_level: &str) -> Vec<String> {
    let port = free_port();
    let mut child = command(port)
        .env("DRAIN_DELAY_SECONDS", "0")
        .env("LOG_LEVEL", log_level)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_until_healthy(port, &mut child);
    for _ in 0..3 {
        assert_eq!(status_of(port, "/"), 200);
    }

    send_signal(&child, "TERM");
    let status = wait_for_exit(&mut child, Duration::from_secs(5));

    assert_eq!(status.code(), Some(0));
    let lines = log_lines(&mut child);
    messages(&lines).into_iter().map(str::to_owned).collect()
}

#[test]
fn request_lines_are_logged_at_the_default_level() {
    let messages = messages_logged_under("info");

    assert!(messages.iter().any(|m| m == "request"), "{messages:?}");
}

#[test]
fn access_off_in_the_log_filter_silences_request_lines_only() {
    let messages = messages_logged_under("info,access=off");

    assert!(messages.iter().any(|m| m == "listening"), "{messages:?}");
    assert!(
        messages.iter().any(|m| m == "shutdown complete"),
        "{messages:?}"
    );
    assert!(!messages.iter().any(|m| m == "request"), "{messages:?}");
}

#[test]
fn invalid_configuration_exits_2_before_binding_with_one_line_naming_the_variable() {
    let port = free_port();

    let output = command(port)
        .env("LOG_LEVEL", "verbose")
        .output()
        .expect("run");

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(r#"rust-service: invalid LOG_LEVEL="verbose": expected a level"#),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "nothing logged before the configuration is valid"
    );
    assert!(
        TcpListener::bind(("0.0.0.0", port)).is_ok(),
        "the port was never bound"
    );
}

#[test]
fn healthcheck_exits_1_when_nothing_listens() {
    let output = healthcheck(free_port());

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.starts_with("rust-service healthcheck: cannot connect to 127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn healthcheck_exits_1_on_invalid_configuration() {
    let output = command(free_port())
        .env("PORT", "0")
        .arg("healthcheck")
        .output()
        .expect("run");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("invalid PORT=\"0\""), "{stderr}");
}

#[test]
fn unknown_arguments_exit_2_with_usage() {
    let output = command(free_port()).arg("serve").output().expect("run");

    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "usage: rust-service [healthcheck]\n"
    );
}

#[test]
fn port_already_in_use_exits_1_with_a_json_error_line() {
    let taken = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = taken.local_addr().expect("address").port();

    let output = command(port).output().expect("run");

    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a log line")).expect("JSON");
    assert_eq!(last["level"], "ERROR");
    let error = last["error"].as_str().expect("error field");
    assert!(
        error.starts_with(&format!("cannot listen on 0.0.0.0:{port}")),
        "{error}"
    );
}

#[test]
fn running_out_of_file_descriptors_pauses_accepting_and_recovers() {
    let port = free_port();
    // The shell lowers the descriptor limit, then becomes the service.
    let mut child = Command::new("/bin/sh")
        .args(["-c", "ulimit -n 24 && exec \"$0\"", BINARY])
        .env_clear()
        .env("PORT", port.to_string())
        .env("DRAIN_DELAY_SECONDS", "0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_until_healthy(port, &mut child);

    // Idle keep-alive connections use up the descriptors; the rest wait in the backlog.
    let hogs: Vec<std::net::TcpStream> = (0..40)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    sleep(Duration::from_millis(1500));
    drop(hogs);
    let until = Instant::now() + Duration::from_secs(10);
    while try_status_of(port, "/healthz").ok() != Some(200) {
        assert!(Instant::now() < until, "no recovery within 10 s");
        sleep(Duration::from_millis(100));
    }
    send_signal(&child, "TERM");
    let status = wait_for_exit(&mut child, Duration::from_secs(5));

    assert_eq!(status.code(), Some(0));
    let lines = log_lines(&mut child);
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "cannot accept connections; retrying in 1 s"),
        "{lines:?}"
    );
}
