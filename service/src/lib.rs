//! rust-service: a small HTTP service built to be deployed by the `RustService` Pulumi
//! component. See `docs/service.md` for its routes, configuration and shutdown sequence.

pub mod allocator;
pub mod app;
pub mod config;
pub mod head_deadline;
pub mod healthcheck;
pub mod json_log;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod timeout;

pub use app::{AppState, app};
pub use config::Config;
