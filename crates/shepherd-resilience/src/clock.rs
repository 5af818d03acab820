//! Where the rate limiter and the circuit breaker read the time.

use tokio::time::Instant;

/// The clock a [`RateLimiter`](crate::rate::RateLimiter) or
/// [`CircuitBreaker`](crate::breaker::CircuitBreaker) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// tokio's clock (the default): follows a paused test clock, so limits can be tested
    /// without real sleeps. Costs one `clock_gettime` per acquire.
    #[default]
    Tokio,
    /// The CPU's timestamp counter through `quanta`, as governor reads it: several times
    /// cheaper than `clock_gettime` where that is slow (virtual machines, sandboxes), but it
    /// does **not** follow tokio's paused clock. Use it for throughput, not in paused tests.
    Fast,
}

/// A clock plus the epoch the component's nanosecond timestamps count from.
#[derive(Debug)]
pub(crate) enum Source {
    Tokio {
        epoch: Instant,
    },
    Fast {
        clock: quanta::Clock,
        epoch_raw: u64,
        // tokio's reading at the same moment, to turn a timestamp into a sleep deadline.
        epoch: Instant,
    },
}

impl Source {
    pub(crate) fn new(clock: Clock) -> Self {
        match clock {
            Clock::Tokio => Source::Tokio {
                epoch: Instant::now(),
            },
            Clock::Fast => {
                let fast = quanta::Clock::new();
                Source::Fast {
                    epoch_raw: fast.raw(),
                    clock: fast,
                    epoch: Instant::now(),
                }
            }
        }
    }

    /// Nanoseconds since the epoch, now.
    pub(crate) fn now(&self) -> u64 {
        match self {
            Source::Tokio { .. } => self.at(Instant::now()),
            Source::Fast {
                clock, epoch_raw, ..
            } => clock.delta_as_nanos(*epoch_raw, clock.raw()),
        }
    }

    /// Nanoseconds since the epoch at `instant`, a tokio reading the caller already has.
    /// The fast clock reads itself instead: mixing the two clocks' readings could place a
    /// timestamp slightly off, and its own reading is cheap.
    pub(crate) fn at(&self, instant: Instant) -> u64 {
        match self {
            Source::Tokio { epoch } => {
                let elapsed = instant.saturating_duration_since(*epoch);
                u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
            }
            Source::Fast { .. } => self.now(),
        }
    }

    /// Whether readings come from tokio's clock (so a caller's tokio reading can be reused).
    pub(crate) fn is_tokio(&self) -> bool {
        matches!(self, Source::Tokio { .. })
    }

    /// The tokio instant of a timestamp, to sleep until.
    pub(crate) fn deadline(&self, nanos: u64) -> Instant {
        let epoch = match self {
            Source::Tokio { epoch } | Source::Fast { epoch, .. } => *epoch,
        };
        epoch + std::time::Duration::from_nanos(nanos)
    }
}
