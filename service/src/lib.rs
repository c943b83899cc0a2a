//! rust-service: a small HTTP service built to be deployed by the `RustService` Pulumi
//! component. See `docs/service.md` for its routes, configuration and shutdown sequence.

#![forbid(unsafe_code)]

pub mod config;
pub mod healthcheck;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Config;
pub use startup::app;
pub use state::AppState;
