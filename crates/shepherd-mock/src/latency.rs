//! The latency model: time to first byte from a seeded distribution, and generation pacing.

use std::time::Duration;

use rand::Rng;

use crate::config::{LatencyDistribution, MockConfig};

/// Draws a time to first byte for one request.
pub(crate) fn time_to_first_byte<R: Rng>(config: &MockConfig, rng: &mut R) -> Duration {
    let mean = config.latency_ms as f64;
    let sd = config.latency_jitter_ms as f64;
    if mean <= 0.0 && sd <= 0.0 {
        return Duration::ZERO;
    }
    let ms = match config.latency_distribution {
        LatencyDistribution::Fixed => mean,
        LatencyDistribution::Normal => mean + sd * standard_normal(rng),
        LatencyDistribution::LogNormal => {
            if mean <= 0.0 {
                0.0
            } else {
                // Parameters of the underlying normal chosen so the log-normal has the
                // configured mean and standard deviation.
                let sigma2 = (1.0 + (sd * sd) / (mean * mean)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                (mu + sigma2.sqrt() * standard_normal(rng)).exp()
            }
        }
    };
    Duration::from_secs_f64(ms.max(0.0) / 1000.0)
}

/// How long generating `tokens` output tokens takes at the configured speed.
pub(crate) fn generation_time(config: &MockConfig, tokens: u64) -> Duration {
    if config.tokens_per_sec == 0 || tokens == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(tokens as f64 / f64::from(config.tokens_per_sec))
}

/// Box-Muller: one standard normal draw from two uniforms.
fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn config(dist: LatencyDistribution, mean: u64, sd: u64) -> MockConfig {
        MockConfig {
            latency_ms: mean,
            latency_jitter_ms: sd,
            latency_distribution: dist,
            ..MockConfig::default()
        }
    }

    fn mean_of(config: &MockConfig) -> f64 {
        let mut rng = StdRng::seed_from_u64(42);
        let n = 20_000;
        let total: f64 = (0..n)
            .map(|_| time_to_first_byte(config, &mut rng).as_secs_f64() * 1000.0)
            .sum();
        total / f64::from(n)
    }

    #[test]
    fn fixed_is_exact() {
        let mut rng = StdRng::seed_from_u64(1);
        let c = config(LatencyDistribution::Fixed, 120, 50);
        assert_eq!(time_to_first_byte(&c, &mut rng), Duration::from_millis(120));
    }

    #[test]
    fn normal_and_lognormal_have_the_configured_mean() {
        let normal = mean_of(&config(LatencyDistribution::Normal, 200, 20));
        assert!((normal - 200.0).abs() < 2.0, "normal mean {normal}");
        let lognormal = mean_of(&config(LatencyDistribution::LogNormal, 200, 100));
        assert!(
            (lognormal - 200.0).abs() < 5.0,
            "lognormal mean {lognormal}"
        );
    }

    #[test]
    fn same_seed_same_draws() {
        let c = config(LatencyDistribution::LogNormal, 100, 80);
        let mut a = StdRng::seed_from_u64(9);
        let mut b = StdRng::seed_from_u64(9);
        for _ in 0..10 {
            assert_eq!(
                time_to_first_byte(&c, &mut a),
                time_to_first_byte(&c, &mut b)
            );
        }
    }

    #[test]
    fn generation_follows_tokens_per_second() {
        let c = MockConfig {
            tokens_per_sec: 50,
            ..MockConfig::default()
        };
        assert_eq!(generation_time(&c, 100), Duration::from_secs(2));
        assert_eq!(generation_time(&MockConfig::default(), 100), Duration::ZERO);
    }
}
