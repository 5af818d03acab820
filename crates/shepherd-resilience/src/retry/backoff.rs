//! Exponential backoff with a cap and jitter.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// How randomness is mixed into the exponential delay.
///
/// With `ceiling = min(cap, base · 2^n)` for the n-th retry (n from 0):
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// `random(0, ceiling)`: spreads a thundering herd best (the default).
    #[default]
    Full,
    /// `ceiling/2 + random(0, ceiling/2)`: never shorter than half the ceiling.
    Equal,
    /// `min(cap, random(base, previous · 3))`: each delay grows from the last one.
    Decorrelated,
    /// `ceiling`: deterministic; for tests and for callers that add their own jitter.
    None,
}

/// Exponential backoff: `base · 2^n` capped at `cap`, with [`Jitter`].
///
/// Defaults (those of openai-python): base 500 ms, cap 8 s, full jitter.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_resilience::retry::{Backoff, Jitter};
///
/// let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1))
///     .jitter(Jitter::None);
/// let delays: Vec<_> = backoff.delays(7).take(5).collect();
/// assert_eq!(delays[0], Duration::from_millis(100));
/// assert_eq!(delays[3], Duration::from_millis(800));
/// assert_eq!(delays[4], Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    jitter: Jitter,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::exponential(Duration::from_millis(500), Duration::from_secs(8))
    }
}

impl Backoff {
    /// Exponential backoff from `base`, never longer than `cap`, with full jitter.
    pub fn exponential(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap: cap.max(base),
            jitter: Jitter::Full,
        }
    }

    /// Use another jitter.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The base delay.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The longest delay.
    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// The un-jittered ceiling for retry `n` (0 for the first retry): `min(cap, base · 2^n)`.
    pub fn ceiling(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry `n` (0 for the first retry). `previous` is the delay used
    /// before the last retry (zero for the first); only decorrelated jitter reads it.
    pub fn delay<R: Rng + ?Sized>(&self, n: u32, previous: Duration, rng: &mut R) -> Duration {
        match self.jitter {
            Jitter::None => self.ceiling(n),
            Jitter::Full => random_up_to(rng, self.ceiling(n)),
            Jitter::Equal => {
                let ceiling = self.ceiling(n);
                let half = ceiling / 2;
                half + random_up_to(rng, ceiling - half)
            }
            Jitter::Decorrelated => {
                let low = nanos(self.base);
                let high = nanos(previous.max(self.base).saturating_mul(3)).max(low);
                Duration::from_nanos(rng.random_range(low..=high)).min(self.cap)
            }
        }
    }

    /// The infinite sequence of delays from a seeded RNG.
    pub fn delays(&self, seed: u64) -> Delays {
        Delays {
            backoff: *self,
            n: 0,
            previous: Duration::ZERO,
            rng: SmallRng::seed_from_u64(seed),
        }
    }
}

/// The delays of a [`Backoff`], from [`Backoff::delays`].
#[derive(Debug, Clone)]
pub struct Delays {
    backoff: Backoff,
    n: u32,
    previous: Duration,
    rng: SmallRng,
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let delay = self.backoff.delay(self.n, self.previous, &mut self.rng);
        self.n = self.n.saturating_add(1);
        self.previous = delay;
        Some(delay)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn random_up_to<R: Rng + ?Sized>(rng: &mut R, max: Duration) -> Duration {
    Duration::from_nanos(rng.random_range(0..=nanos(max)))
}
