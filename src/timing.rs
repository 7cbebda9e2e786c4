//! Where a run's time goes: [`Phase`] logs how long a named step took, at `trace` level under
//! the target `skillet::timing` (`SKILLET_LOG=skillet::timing=trace`). Nothing is logged, and
//! almost nothing is spent, when that level is off.

use std::time::Instant;

/// A step being timed; logs its duration when dropped.
pub(crate) struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

impl Phase {
    /// Starts timing `name` (`run.save`, `sandbox.strip`, ...).
    pub(crate) fn start(name: &'static str) -> Self {
        let start =
            tracing::enabled!(target: "skillet::timing", tracing::Level::TRACE).then(Instant::now);
        Self { name, start }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            tracing::trace!(
                target: "skillet::timing",
                phase = self.name,
                us = start.elapsed().as_secs_f64() * 1e6,
            );
        }
    }
}
