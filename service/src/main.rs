//! Entry point: `rust-service` serves; `rust-service healthcheck` probes a running instance.
//!
//! Exit codes: 0 clean shutdown or healthy; 1 runtime failure (cannot bind, shutdown
//! deadline exceeded) or unhealthy; 2 invalid configuration or usage.

#![forbid(unsafe_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use rust_service::{Config, healthcheck, server, telemetry};
use tracing::error;

/// mimalloc rather than glibc's allocator: less CPU for the small blocks every request
/// allocates and frees (bench/RESULTS.md). The binary chooses; the library leaves it to
/// whoever links it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next()) {
        (None, _) => serve(),
        (Some(command), None) if command == "healthcheck" => check_health(),
        _ => {
            eprintln!("usage: rust-service [healthcheck]");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("rust-service: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = telemetry::init(&config.log_filter) {
        eprintln!("rust-service: cannot log to stdout: {e}");
        return ExitCode::FAILURE;
    }

    let runtime = match server::runtime(config.worker_count()) {
        Ok(runtime) => runtime,
        Err(e) => {
            error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = %e, "exiting");
            ExitCode::FAILURE
        }
    }
}

fn check_health() -> ExitCode {
    // Docker reserves exit code 2 for health checks, so every failure here is 1.
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("rust-service healthcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
    match healthcheck::probe(address, healthcheck::TIMEOUT) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust-service healthcheck: {e}");
            ExitCode::FAILURE
        }
    }
}
