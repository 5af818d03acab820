//! CUBIC-style adaptive rate: cut on throttling, probe back up on success.

use std::time::Duration;

/// Settings of the adaptive mode, after the AWS SDK's client rate limiter (CUBIC).
///
/// On a throttle the rate drops to `beta ×` its current value; afterwards it follows
/// `rate(t) = scale · (t − K)³ + max`, where `max` is the rate before the cut and
/// `K = ∛(max · (1 − beta) / scale)`: a quick climb back to just under `max`, a plateau
/// there, then a probe beyond it, never above the configured quota.
///
/// Defaults: `beta` 0.7, `scale` 0.4 (rates in units per second), floor 1% of the quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adaptive {
    pub(crate) beta: f64,
    pub(crate) scale: f64,
    pub(crate) min_fraction: f64,
}

impl Default for Adaptive {
    fn default() -> Self {
        Self {
            beta: 0.7,
            scale: 0.4,
            min_fraction: 0.01,
        }
    }
}

impl Adaptive {
    /// Multiplicative decrease on a throttle, in `(0, 1)`. Default 0.7.
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta.clamp(0.01, 0.99);
        self
    }

    /// Cubic scale constant: larger recovers faster. Default 0.4.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale.max(1e-6);
        self
    }

    /// Lowest rate, as a fraction of the quota's rate. Default 0.01.
    pub fn min_fraction(mut self, fraction: f64) -> Self {
        self.min_fraction = fraction.clamp(1e-6, 1.0);
        self
    }
}

/// One lane's adaptive state. Rates are in units per second.
#[derive(Debug, Clone)]
pub(crate) struct Cubic {
    config: Adaptive,
    ceiling: f64,
    rate: f64,
    max_before_cut: f64,
    last_cut: Option<u64>,
}

impl Cubic {
    pub(crate) fn new(config: Adaptive, ceiling: f64) -> Self {
        Self {
            config,
            ceiling,
            rate: ceiling,
            max_before_cut: ceiling,
            last_cut: None,
        }
    }

    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    pub(crate) fn on_throttle(&mut self, now: u64) {
        self.max_before_cut = self.rate;
        self.rate = (self.rate * self.config.beta).max(self.floor());
        self.last_cut = Some(now);
    }

    pub(crate) fn on_success(&mut self, now: u64) {
        let Some(cut) = self.last_cut else {
            return;
        };
        let t = Duration::from_nanos(now.saturating_sub(cut)).as_secs_f64();
        let c = self.config.scale;
        let k = (self.max_before_cut * (1.0 - self.config.beta) / c).cbrt();
        let rate = c * (t - k).powi(3) + self.max_before_cut;
        self.rate = rate.clamp(self.floor(), self.ceiling);
        if self.rate >= self.ceiling {
            // Fully recovered: stop following the curve until the next throttle.
            self.last_cut = None;
        }
    }

    fn floor(&self) -> f64 {
        self.ceiling * self.config.min_fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn cut_then_recover_to_ceiling() {
        let mut c = Cubic::new(Adaptive::default(), 10.0);
        c.on_throttle(0);
        assert!((c.rate() - 7.0).abs() < 1e-9);
        c.on_success(SEC / 2);
        assert!(c.rate() > 7.0 && c.rate() < 10.0, "{}", c.rate());
        c.on_success(60 * SEC);
        assert!((c.rate() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn repeated_cuts_hit_the_floor() {
        let mut c = Cubic::new(Adaptive::default(), 10.0);
        for i in 0..100 {
            c.on_throttle(i);
        }
        assert!((c.rate() - 0.1).abs() < 1e-9);
    }
}
