//! The integration tests, one crate so the shared helpers are compiled once: in-process
//! routes, real sockets, the shutdown sequence, configuration parsing and the built binary.

mod binary;
mod config;
mod helpers;
mod routes;
mod shutdown;
mod socket;
