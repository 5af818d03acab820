//! The crate's one error type.

use std::convert::Infallible;
use std::time::Duration;

/// Why a call through a policy, or an acquisition from one component, failed.
///
/// `E` is the error type of the wrapped call. The standalone components (rate limiter,
/// breaker, concurrency limiter) never run a call, so they return `Error` with the default
/// `E = Infallible`; [`Error::widen`] turns that into any `Error<E>`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error<E = Infallible> {
    /// The call failed and was not retried further: the error was not retryable or the
    /// maximum number of attempts was used.
    #[error("call failed after {attempts} attempt(s): {source}")]
    Call {
        /// The last attempt's error.
        #[source]
        source: E,
        /// Attempts made, including the failed one.
        attempts: u32,
    },
    /// A retry was wanted but the shared retry budget is empty.
    #[error("retry budget exhausted after {attempts} attempt(s): {source}")]
    BudgetExhausted {
        /// The last attempt's error.
        #[source]
        source: E,
        /// Attempts made.
        attempts: u32,
    },
    /// The server asked for a wait longer than the policy allows; failing now beats
    /// sleeping silently.
    #[error("server asked to retry after {retry_after:?}, more than the allowed {max:?}: {source}")]
    RetryAfterTooLong {
        /// The last attempt's error.
        #[source]
        source: E,
        /// The server's requested wait.
        retry_after: Duration,
        /// The policy's maximum.
        max: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The overall deadline passed, during an attempt or before the next one could start.
    #[error("deadline exceeded after {attempts} attempt(s)")]
    DeadlineExceeded {
        /// The last attempt's error, when an attempt had failed before the deadline hit.
        #[source]
        source: Option<E>,
        /// Attempts started.
        attempts: u32,
    },
    /// The circuit breaker is open (or its half-open trial slots are taken).
    #[error("circuit breaker open, next probe in {retry_in:?}")]
    BreakerOpen {
        /// Time until the breaker lets a trial call through (zero when half-open and full).
        retry_in: Duration,
    },
    /// The rate limiter has no room now (from `try_acquire` only; `acquire` waits).
    #[error("rate limited, room again in {retry_in:?}")]
    RateLimited {
        /// Time until the same cost would fit, if nobody takes the room first.
        retry_in: Duration,
    },
    /// A rate-limit cost larger than a quota's limit: it could never be admitted.
    #[error("cost {cost} exceeds the {quota} quota's limit {capacity}")]
    OverCapacity {
        /// Which quota ("requests" or "tokens").
        quota: &'static str,
        /// Requested cost.
        cost: u64,
        /// The quota's limit per period.
        capacity: u64,
    },
    /// The concurrency limiter's wait queue is full.
    #[error("concurrency limiter queue full ({capacity} waiting)")]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// Waiting for a concurrency permit took longer than the acquire timeout.
    #[error("timed out after {waited:?} waiting for a concurrency permit")]
    AcquireTimeout {
        /// How long the caller waited.
        waited: Duration,
    },
}

impl<E> Error<E> {
    /// The call's own error, if this error carries one.
    pub fn inner(&self) -> Option<&E> {
        match self {
            Error::Call { source, .. }
            | Error::BudgetExhausted { source, .. }
            | Error::RetryAfterTooLong { source, .. } => Some(source),
            Error::DeadlineExceeded { source, .. } => source.as_ref(),
            _ => None,
        }
    }

    /// Take the call's own error, if this error carries one.
    pub fn into_inner(self) -> Option<E> {
        match self {
            Error::Call { source, .. }
            | Error::BudgetExhausted { source, .. }
            | Error::RetryAfterTooLong { source, .. } => Some(source),
            Error::DeadlineExceeded { source, .. } => source,
            _ => None,
        }
    }

    /// Attempts made before giving up (zero for rejections before any attempt).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Call { attempts, .. }
            | Error::BudgetExhausted { attempts, .. }
            | Error::RetryAfterTooLong { attempts, .. }
            | Error::DeadlineExceeded { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    /// A wait after which trying again makes sense: the breaker's time to the next probe or
    /// the server's over-long `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::BreakerOpen { retry_in } | Error::RateLimited { retry_in } => Some(*retry_in),
            Error::RetryAfterTooLong { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The call itself failed (not retried further).
    pub fn is_call(&self) -> bool {
        matches!(self, Error::Call { .. })
    }

    /// The retry budget stopped the retries.
    pub fn is_budget_exhausted(&self) -> bool {
        matches!(self, Error::BudgetExhausted { .. })
    }

    /// The server's `Retry-After` was over the policy's maximum.
    pub fn is_retry_after_too_long(&self) -> bool {
        matches!(self, Error::RetryAfterTooLong { .. })
    }

    /// The overall deadline passed.
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self, Error::DeadlineExceeded { .. })
    }

    /// The circuit breaker rejected the call.
    pub fn is_breaker_open(&self) -> bool {
        matches!(self, Error::BreakerOpen { .. })
    }

    /// The rate limiter had no room (non-blocking acquire).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited { .. })
    }

    /// A rate-limit cost could never fit.
    pub fn is_over_capacity(&self) -> bool {
        matches!(self, Error::OverCapacity { .. })
    }

    /// The concurrency queue was full.
    pub fn is_queue_full(&self) -> bool {
        matches!(self, Error::QueueFull { .. })
    }

    /// Waiting for a concurrency permit timed out.
    pub fn is_acquire_timeout(&self) -> bool {
        matches!(self, Error::AcquireTimeout { .. })
    }

    /// Rejected by a component before the call ran (breaker, limiter or queue).
    pub fn is_rejected(&self) -> bool {
        matches!(
            self,
            Error::BreakerOpen { .. }
                | Error::RateLimited { .. }
                | Error::OverCapacity { .. }
                | Error::QueueFull { .. }
                | Error::AcquireTimeout { .. }
        )
    }
}

impl Error<Infallible> {
    /// Turn a component's error into the error of a policy over calls failing with `E`.
    pub fn widen<E>(self) -> Error<E> {
        match self {
            Error::BreakerOpen { retry_in } => Error::BreakerOpen { retry_in },
            Error::RateLimited { retry_in } => Error::RateLimited { retry_in },
            Error::OverCapacity {
                quota,
                cost,
                capacity,
            } => Error::OverCapacity {
                quota,
                cost,
                capacity,
            },
            Error::QueueFull { capacity } => Error::QueueFull { capacity },
            Error::AcquireTimeout { waited } => Error::AcquireTimeout { waited },
            Error::Call { source, .. }
            | Error::BudgetExhausted { source, .. }
            | Error::RetryAfterTooLong { source, .. } => match source {},
            Error::DeadlineExceeded { source, attempts } => Error::DeadlineExceeded {
                source: source.map(|never| match never {}),
                attempts,
            },
        }
    }
}
