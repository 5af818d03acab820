//! One limit: so many units per period, with a burst.

use std::time::Duration;

/// A limit of `limit` units per `period` with a burst of `burst` units.
///
/// The limiter guarantees that **no window of length `period` admits more than `limit`
/// units**, and that a window of length `w` admits at most `burst + w · rate` units, where
/// the steady rate is `(limit − burst + 1) / period`. The burst is paid for out of the
/// steady rate because a server counting fixed or sliding windows would otherwise see
/// `limit + burst` in an unlucky window. The default burst, `limit / 60` (one second's worth
/// of a per-minute quota, at least 1), keeps the steady rate at or above 98.3% of the limit
/// and stops a 600 RPM quota from releasing 600 requests in its first second.
///
/// A single cost larger than the burst (a long prompt against a tokens quota) is not
/// refused: it waits until the bucket is full, then goes, leaving the bucket in debt that
/// later callers wait out. Such a cost can push one window over the limit by
/// `cost − burst`; raise the burst towards your largest requests if that matters. A cost
/// larger than the limit itself could never be admitted and is an immediate
/// [`Error::OverCapacity`](crate::Error::OverCapacity).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_resilience::rate::Quota;
///
/// let q = Quota::per_minute(600);
/// assert_eq!(q.burst(), 10);
/// assert_eq!(q.interval(), Duration::from_nanos(101_522_843)); // 60 s / 591
/// let q = Quota::per_minute(610).with_burst(11);
/// assert_eq!(q.interval(), Duration::from_millis(100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    limit: u64,
    period: Duration,
    burst: u64,
}

impl Quota {
    /// `limit` units per `period`, default burst.
    ///
    /// # Panics
    ///
    /// If `limit` is zero or `period` is zero.
    pub fn new(limit: u64, period: Duration) -> Self {
        assert!(limit > 0, "a quota's limit must be positive");
        assert!(!period.is_zero(), "a quota's period must be positive");
        Self {
            limit,
            period,
            burst: (limit / 60).max(1),
        }
    }

    /// `limit` units per minute.
    ///
    /// # Panics
    ///
    /// If `limit` is zero.
    pub fn per_minute(limit: u64) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// `limit` units per second.
    ///
    /// # Panics
    ///
    /// If `limit` is zero.
    pub fn per_second(limit: u64) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }

    /// Set the burst, clamped to `1..=limit`.
    pub fn with_burst(mut self, burst: u64) -> Self {
        self.burst = burst.clamp(1, self.limit);
        self
    }

    /// The limit per period.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The burst: units admitted at once from idle.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// Time between units at the steady rate: `period / (limit − burst + 1)`, rounded up so
    /// that rounding never admits more than the limit.
    pub fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval_nanos())
    }

    pub(crate) fn interval_nanos(&self) -> u64 {
        let period = u64::try_from(self.period.as_nanos()).unwrap_or(u64::MAX);
        let slots = self.limit - self.burst + 1;
        period.div_ceil(slots).max(1)
    }
}
