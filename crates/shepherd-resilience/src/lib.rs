//! Retry with budgets, circuit breaker, rate limiter and concurrency limiter for any async call.
//!
//! The policies an API client otherwise hand-writes — backoff, breakers, token buckets,
//! semaphores — done once, for any `FnMut(Attempt) -> impl Future<Output = Result<T, E>>`.
//! The crate knows no HTTP: the caller says what an error means by implementing
//! [`Classify`] (success / transient / throttled / permanent / do-not-retry, plus an
//! optional server-suggested wait and a timeout flag).
//!
//! | module | what | modelled on |
//! |---|---|---|
//! | [`retry`] | exponential backoff with full/equal/decorrelated jitter, `Retry-After` within a maximum, max attempts, overall deadline, a shared [`RetryBudget`](retry::RetryBudget) | AWS SDK standard retry, openai-python |
//! | [`breaker`] | count- or time-window breaker with slow calls, fixed half-open trials, growing open wait, notifications | resilience4j |
//! | [`rate`] | GCRA limiter over requests **and** tokens, FIFO waiters, reconciliation, server-header feedback, CUBIC adaptive mode | governor, AWS adaptive retry |
//! | [`concurrency`] | bulkhead: max in flight, bounded prioritised queue, acquire timeout, owned permits | tower `ConcurrencyLimit` |
//! | [`policy`] | [`Policy`]: all of the above stacked in a documented order, with counters | tower, Envoy |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use shepherd_resilience::breaker::CircuitBreaker;
//! use shepherd_resilience::concurrency::ConcurrencyLimiter;
//! use shepherd_resilience::rate::{Quota, RateLimiter};
//! use shepherd_resilience::retry::RetryPolicy;
//! use shepherd_resilience::{CallOptions, Classification, Policy};
//!
//! #[derive(Debug)]
//! enum ApiError { Status(u16, Option<Duration>), Timeout }
//!
//! fn classify(e: &ApiError) -> Classification {
//!     match e {
//!         ApiError::Status(429, wait) => {
//!             let c = Classification::throttled();
//!             match wait { Some(w) => c.with_retry_after(*w), None => c }
//!         }
//!         ApiError::Status(s, _) if *s >= 500 => Classification::transient(),
//!         ApiError::Status(_, _) => Classification::do_not_retry(),
//!         ApiError::Timeout => Classification::timeout(),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let policy = Policy::builder(classify)
//!     .retry(RetryPolicy::builder().max_attempts(4).deadline(Duration::from_secs(120)).build())
//!     .breaker(CircuitBreaker::default())
//!     .rate_limiter(
//!         RateLimiter::builder()
//!             .requests(Quota::per_minute(500))
//!             .tokens(Quota::per_minute(200_000))
//!             .build(),
//!     )
//!     .concurrency(ConcurrencyLimiter::new(64))
//!     .build();
//!
//! let answer = policy
//!     .call_with(CallOptions::tokens(800), |attempt| async move {
//!         // send the request; `attempt.retries()` can go into a retry-count header
//!         Ok::<_, ApiError>(format!("sent on attempt {}", attempt.number()))
//!     })
//!     .await;
//! assert_eq!(answer.expect("ok"), "sent on attempt 1");
//! # }
//! ```
//!
//! # Why a retry budget
//!
//! Max attempts bounds one call; a budget bounds the fleet. See
//! [`RetryBudget`](retry::RetryBudget#why-a-budget-and-not-only-a-maximum-number-of-attempts).
//!
//! # Cancellation
//!
//! Every wait is cancel safe: dropping a call (or a bare `acquire`) returns a not-yet-due
//! rate-limit reservation, leaves the concurrency queue, and gives back a concurrency slot
//! or a half-open trial slot. Nothing leaks.
//!
//! # Features
//!
//! - `tower`: [`layer::PolicyLayer`], running a tower service's calls under a [`Policy`].

pub mod breaker;
pub mod classify;
mod clock;
pub mod concurrency;
pub mod error;
#[cfg(feature = "tower")]
pub mod layer;
mod metrics;
pub mod policy;
pub mod rate;
pub mod retry;

pub use classify::{AlwaysTransient, Classification, Classify, Outcome};
pub use clock::Clock;
pub use error::Error;
pub use metrics::Metrics;
pub use policy::{Attempt, CallOptions, Policy, PolicyBuilder};
