//! State shared by the handlers and middleware of one app instance.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::metrics::Metrics;

/// Whether the instance should receive new traffic. Starts ready; flips once, when
/// draining begins.
#[derive(Debug)]
pub struct Readiness(AtomicBool);

impl Readiness {
    /// `false` once draining has begun.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Makes `/readyz` fail from now on.
    pub fn start_draining(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// State of one app instance. Cloning is one reference-count increment (axum clones the
/// state for every request).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] gives access to.
#[derive(Debug)]
pub struct Shared {
    /// The configuration the app was built from.
    pub config: Config,
    /// Readiness, flipped by the shutdown sequence.
    pub readiness: Readiness,
    /// This instance's metrics registry.
    pub metrics: Metrics,
}

impl AppState {
    /// Fresh state: ready, with empty metrics.
    pub fn new(config: Config) -> Self {
        Self(Arc::new(Shared {
            config,
            readiness: Readiness(AtomicBool::new(true)),
            metrics: Metrics::new(),
        }))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
