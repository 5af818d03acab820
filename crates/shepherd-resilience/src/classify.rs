//! How a caller tells the policies what one call's outcome means.

use std::time::Duration;

/// What one call's outcome means for retries, the circuit breaker and the rate limiter.
///
/// | outcome      | retried | breaker counts it as | rate limiter          |
/// |--------------|---------|----------------------|-----------------------|
/// | `Success`    | no      | success              | adaptive probe upward |
/// | `Transient`  | yes     | failure              | —                     |
/// | `Throttled`  | yes     | ignored (configurable) | slows down          |
/// | `Permanent`  | no      | failure              | —                     |
/// | `DoNotRetry` | no      | ignored              | —                     |
///
/// `Permanent` is the server's fault but retrying cannot help (a broken deployment, a
/// quota that will not come back); `DoNotRetry` is the caller's fault (a malformed
/// request), which says nothing about the server's health and so must not open a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The call did what was asked.
    Success,
    /// A failure that another attempt may not repeat (connection reset, 5xx, timeout).
    Transient,
    /// The server asked the client to slow down (an HTTP 429 or equivalent).
    Throttled,
    /// The server failed and another attempt would fail the same way.
    Permanent,
    /// The caller's own mistake: not retried and not held against the server.
    DoNotRetry,
}

impl Outcome {
    /// Whether a retry may help.
    pub fn is_retryable(self) -> bool {
        matches!(self, Outcome::Transient | Outcome::Throttled)
    }
}

/// A classified outcome plus the hints a server may attach to it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_resilience::{Classification, Outcome};
///
/// let c = Classification::throttled().with_retry_after(Duration::from_secs(2));
/// assert_eq!(c.outcome(), Outcome::Throttled);
/// assert_eq!(c.retry_after(), Some(Duration::from_secs(2)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    outcome: Outcome,
    retry_after: Option<Duration>,
    timed_out: bool,
}

impl Classification {
    /// A classification with no hints.
    pub const fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            retry_after: None,
            timed_out: false,
        }
    }

    /// [`Outcome::Success`].
    pub const fn success() -> Self {
        Self::new(Outcome::Success)
    }

    /// [`Outcome::Transient`].
    pub const fn transient() -> Self {
        Self::new(Outcome::Transient)
    }

    /// [`Outcome::Throttled`].
    pub const fn throttled() -> Self {
        Self::new(Outcome::Throttled)
    }

    /// [`Outcome::Permanent`].
    pub const fn permanent() -> Self {
        Self::new(Outcome::Permanent)
    }

    /// [`Outcome::DoNotRetry`].
    pub const fn do_not_retry() -> Self {
        Self::new(Outcome::DoNotRetry)
    }

    /// A transient failure that was a timeout: a retry after it costs the retry budget more,
    /// because a timed-out server is likely overloaded.
    pub const fn timeout() -> Self {
        Self::new(Outcome::Transient).with_timed_out(true)
    }

    /// Attach the server's suggested wait (`Retry-After`).
    pub const fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Mark the outcome as a timeout (or not).
    pub const fn with_timed_out(mut self, timed_out: bool) -> Self {
        self.timed_out = timed_out;
        self
    }

    /// The outcome.
    pub const fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The server's suggested wait, if it sent one.
    pub const fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the call timed out.
    pub const fn timed_out(&self) -> bool {
        self.timed_out
    }
}

impl From<Outcome> for Classification {
    fn from(outcome: Outcome) -> Self {
        Self::new(outcome)
    }
}

/// Classifies a call's error. The policies treat every `Ok` as [`Outcome::Success`].
///
/// Implemented for any `Fn(&E) -> Classification`, so a closure will do.
///
/// # Examples
///
/// ```
/// use shepherd_resilience::{Classification, Classify};
///
/// #[derive(Debug)]
/// enum MyError { Status(u16), Io }
///
/// let classify = |e: &MyError| match e {
///     MyError::Status(429) => Classification::throttled(),
///     MyError::Status(s) if *s >= 500 => Classification::transient(),
///     MyError::Status(_) => Classification::do_not_retry(),
///     MyError::Io => Classification::transient(),
/// };
/// assert!(classify.classify(&MyError::Io).outcome().is_retryable());
/// ```
pub trait Classify<E> {
    /// What this error means.
    fn classify(&self, error: &E) -> Classification;
}

impl<E, F> Classify<E> for F
where
    F: Fn(&E) -> Classification,
{
    fn classify(&self, error: &E) -> Classification {
        self(error)
    }
}

/// A classifier that calls every error transient: retry everything, count everything
/// against the breaker. A reasonable default only for errors you know nothing about.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysTransient;

impl<E> Classify<E> for AlwaysTransient {
    fn classify(&self, _error: &E) -> Classification {
        Classification::transient()
    }
}
