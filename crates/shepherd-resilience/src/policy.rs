//! A `Policy` stacking retry, breaker, rate limiter and concurrency limiter around a call.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use tokio::time::Instant;

use crate::breaker::{BreakerPermit, CircuitBreaker};
use crate::classify::{Classify, Outcome};
use crate::concurrency::{ConcurrencyLimiter, ConcurrencyPermit, Priority};
use crate::error::Error;
use crate::metrics::{Counters, Metrics};
use crate::rate::{Cost, RateLimiter};
use crate::retry::RetryPolicy;

/// One attempt of a call, as the call sees it.
#[derive(Debug, Clone)]
pub struct Attempt {
    number: u32,
    deadline: Option<Instant>,
    permit: Option<Arc<Mutex<Option<ConcurrencyPermit>>>>,
}

impl Attempt {
    /// 1 for the first attempt, 2 for the first retry, and so on.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Retries before this attempt (for a retry-count header).
    pub fn retries(&self) -> u32 {
        self.number - 1
    }

    /// Whether this attempt is a retry.
    pub fn is_retry(&self) -> bool {
        self.number > 1
    }

    /// When the policy's overall deadline passes, if it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Take this attempt's concurrency permit, to keep the slot beyond the call's future,
    /// for example inside a response stream. Left untaken, the slot is released when the
    /// attempt's future finishes.
    pub fn take_permit(&self) -> Option<ConcurrencyPermit> {
        self.permit
            .as_ref()
            .and_then(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner).take())
    }
}

/// Per-call settings: the rate-limit cost and the concurrency priority.
/// Default: one request, no tokens, normal priority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// What each attempt takes from the rate limiter. Default one request.
    pub cost: Cost,
    /// The concurrency queue to wait in. Default normal.
    pub priority: Priority,
}

impl CallOptions {
    /// One request of `tokens` estimated tokens, normal priority.
    pub fn tokens(tokens: u64) -> Self {
        Self {
            cost: Cost::request_with_tokens(tokens),
            priority: Priority::Normal,
        }
    }

    /// Set the priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }
}

/// Retry, circuit breaker, rate limiter and concurrency limiter around any async call.
///
/// Per attempt, in this order:
///
/// 1. **deadline and budget** — the overall deadline bounds everything below; between
///    attempts the retry budget must pay for the retry;
/// 2. **circuit breaker** — an open breaker rejects at once (before queueing anywhere);
/// 3. **rate limiter** — waits for the cost (re-acquired on every attempt: a retry is a
///    request the server counts);
/// 4. **concurrency limiter** — waits for a slot, held only while the attempt runs: a
///    retry sleeping through its backoff holds no slot;
/// 5. **the call**, told its attempt number.
///
/// Cheap to clone: clones share the components, the budget and the counters.
///
/// # Examples
///
/// ```
/// use shepherd_resilience::{Classification, Policy};
/// use shepherd_resilience::retry::RetryPolicy;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// #[derive(Debug)]
/// struct Flaky;
///
/// let policy = Policy::builder(|_: &Flaky| Classification::transient())
///     .retry(RetryPolicy::builder().max_attempts(3).seed(1).build())
///     .build();
/// let result = policy
///     .call(|attempt| async move {
///         if attempt.number() < 3 { Err(Flaky) } else { Ok(attempt.retries()) }
///     })
///     .await;
/// assert_eq!(result.expect("third attempt succeeds"), 2);
/// assert_eq!(policy.metrics().retried, 2);
/// # }
/// ```
pub struct Policy<C> {
    inner: Arc<PolicyInner<C>>,
}

impl<C> Clone for Policy<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<C> fmt::Debug for Policy<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("retry", &self.inner.retry)
            .field("breaker", &self.inner.breaker)
            .field("rate", &self.inner.rate)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

struct PolicyInner<C> {
    classifier: C,
    retry: RetryPolicy,
    breaker: Option<CircuitBreaker>,
    rate: Option<RateLimiter>,
    concurrency: Option<ConcurrencyLimiter>,
    counters: Counters,
    // Breaker and rate limiter both read tokio's clock: read it once for both.
    shared_tokio_reading: bool,
    seed: u64,
    calls: AtomicU64,
}

impl<C> Policy<C> {
    /// A builder around `classifier`; with nothing else configured the policy retries with
    /// [`RetryPolicy::default`].
    pub fn builder(classifier: C) -> PolicyBuilder<C> {
        PolicyBuilder {
            classifier,
            retry: RetryPolicy::default(),
            breaker: None,
            rate: None,
            concurrency: None,
        }
    }

    /// A snapshot of the outcome counters.
    pub fn metrics(&self) -> Metrics {
        self.inner.counters.snapshot()
    }

    /// The retry settings (and through them the shared budget).
    pub fn retry(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The circuit breaker, if any.
    pub fn breaker(&self) -> Option<&CircuitBreaker> {
        self.inner.breaker.as_ref()
    }

    /// The rate limiter, if any (to feed it server headers or reconcile token usage).
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.inner.rate.as_ref()
    }

    /// The concurrency limiter, if any.
    pub fn concurrency(&self) -> Option<&ConcurrencyLimiter> {
        self.inner.concurrency.as_ref()
    }

    /// Run `f` under the policy with [`CallOptions::default`].
    ///
    /// # Errors
    ///
    /// See [`Error`]: the call's own error wrapped with the reason it was not retried, or a
    /// rejection by one of the components.
    pub async fn call<T, E, F, Fut>(&self, f: F) -> Result<T, Error<E>>
    where
        C: Classify<E>,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_with(CallOptions::default(), f).await
    }

    /// Run `f` under the policy, calling it once per attempt.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future mid-way releases everything it holds: a rate-limit
    /// reservation not yet due is refunded, a queued concurrency waiter leaves the queue,
    /// a held slot or half-open breaker slot is released.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_with<T, E, F, Fut>(
        &self,
        options: CallOptions,
        mut f: F,
    ) -> Result<T, Error<E>>
    where
        C: Classify<E>,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let inner = &*self.inner;
        let counters = &inner.counters;
        let retry = &inner.retry;
        let deadline = retry.deadline.map(|d| Instant::now() + d);
        let mut rng: Option<SmallRng> = None;
        let mut previous_delay = Duration::ZERO;
        let mut last_withdrawal: Option<u32> = None;
        let mut last_error: Option<E> = None;
        let mut number = 0u32;
        loop {
            number += 1;
            // One clock reading serves the breaker and the rate limiter; reading the clock
            // is the dearest part of an uncontended pass through the stack.
            let now = inner.shared_tokio_reading.then(Instant::now);
            let mut breaker_permit = match &inner.breaker {
                Some(b) => match b.try_acquire_at(now) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        Counters::bump(&counters.rejected_open);
                        return Err(e.widen());
                    }
                },
                None => None,
            };
            let deadline_error = |last_error: Option<E>| {
                Counters::bump(&counters.timed_out);
                Error::DeadlineExceeded {
                    source: last_error,
                    attempts: number - 1,
                }
            };
            let mut waited = false;
            if let Some(limiter) = &inner.rate {
                match within(deadline, limiter.acquire_at(options.cost, now)).await {
                    None => return Err(deadline_error(last_error)),
                    Some(Err(e)) => return Err(e.widen()),
                    Some(Ok((_reservation, slept))) => waited |= slept,
                }
            }
            let permit = match &inner.concurrency {
                Some(limiter) => match limiter.try_acquire() {
                    Some(permit) => Some(permit),
                    None => {
                        waited = true;
                        match within(deadline, limiter.acquire(options.priority)).await {
                            None => return Err(deadline_error(last_error)),
                            Some(Err(e)) => {
                                if e.is_queue_full() {
                                    Counters::bump(&counters.rejected_queue_full);
                                } else {
                                    Counters::bump(&counters.timed_out);
                                }
                                return Err(e.widen());
                            }
                            Some(Ok(permit)) => Some(permit),
                        }
                    }
                },
                None => None,
            };
            if waited && let Some(p) = &mut breaker_permit {
                // Slow calls are judged on the call, not on the time spent queueing for it.
                p.restart();
            }
            let slot = permit.map(|p| Arc::new(Mutex::new(Some(p))));
            let attempt = Attempt {
                number,
                deadline,
                permit: slot.clone(),
            };
            let result = within(deadline, f(attempt)).await;
            drop(slot);
            let record = |permit: Option<BreakerPermit>, outcome: Outcome| {
                if let Some(p) = permit {
                    p.record(outcome);
                }
            };
            let error = match result {
                None => {
                    record(breaker_permit, Outcome::Transient);
                    Counters::bump(&counters.timed_out);
                    return Err(Error::DeadlineExceeded {
                        source: last_error,
                        attempts: number,
                    });
                }
                Some(Ok(value)) => {
                    record(breaker_permit, Outcome::Success);
                    if let Some(limiter) = &inner.rate {
                        limiter.on_success();
                    }
                    retry.budget.deposit_success(last_withdrawal);
                    Counters::bump(&counters.succeeded);
                    return Ok(value);
                }
                Some(Err(error)) => error,
            };
            let class = inner.classifier.classify(&error);
            let outcome = class.outcome();
            record(breaker_permit, outcome);
            if outcome == Outcome::Throttled {
                Counters::bump(&counters.throttled);
                if let Some(limiter) = &inner.rate {
                    limiter.on_throttled(class.retry_after());
                }
            }
            if !outcome.is_retryable() || number >= retry.max_attempts {
                Counters::bump(&counters.failed);
                return Err(Error::Call {
                    source: error,
                    attempts: number,
                });
            }
            if let Some(wait) = class.retry_after()
                && wait > retry.max_server_wait
            {
                Counters::bump(&counters.failed);
                return Err(Error::RetryAfterTooLong {
                    source: error,
                    retry_after: wait,
                    max: retry.max_server_wait,
                    attempts: number,
                });
            }
            let Some(withdrawn) = retry.budget.try_withdraw(class.timed_out()) else {
                Counters::bump(&counters.budget_exhausted);
                return Err(Error::BudgetExhausted {
                    source: error,
                    attempts: number,
                });
            };
            last_withdrawal = Some(withdrawn);
            let delay = match class.retry_after() {
                Some(wait) => wait,
                None => {
                    let rng = rng.get_or_insert_with(|| self.call_rng());
                    retry.backoff.delay(number - 1, previous_delay, rng)
                }
            };
            previous_delay = delay;
            if let Some(deadline) = deadline
                && Instant::now() + delay >= deadline
            {
                // No retry will happen: the withdrawal was not spent.
                retry.budget.deposit(withdrawn);
                Counters::bump(&counters.timed_out);
                return Err(Error::DeadlineExceeded {
                    source: Some(error),
                    attempts: number,
                });
            }
            Counters::bump(&counters.retried);
            tracing::debug!(attempt = number, ?delay, ?outcome, "retrying");
            tokio::time::sleep(delay).await;
            last_error = Some(error);
        }
    }

    // Each call gets its own stream, so concurrent calls do not contend on one RNG and a
    // seeded policy is reproducible call by call.
    fn call_rng(&self) -> SmallRng {
        let call = self.inner.calls.fetch_add(1, Ordering::Relaxed);
        SmallRng::seed_from_u64(self.inner.seed ^ call.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

async fn within<F: Future>(deadline: Option<Instant>, future: F) -> Option<F::Output> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await.ok(),
        None => Some(future.await),
    }
}

/// Builds a [`Policy`]. Defaults: [`RetryPolicy::default`], no breaker, no rate limiter,
/// no concurrency limiter.
#[derive(Debug)]
pub struct PolicyBuilder<C> {
    classifier: C,
    retry: RetryPolicy,
    breaker: Option<CircuitBreaker>,
    rate: Option<RateLimiter>,
    concurrency: Option<ConcurrencyLimiter>,
}

impl<C> PolicyBuilder<C> {
    /// The retry settings.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// A circuit breaker (a clone shares state with the original).
    pub fn breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// A rate limiter (a clone shares state with the original).
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.rate = Some(limiter);
        self
    }

    /// A concurrency limiter (a clone shares state with the original).
    pub fn concurrency(mut self, limiter: ConcurrencyLimiter) -> Self {
        self.concurrency = Some(limiter);
        self
    }

    /// Build the policy.
    pub fn build(self) -> Policy<C> {
        let seed = self
            .retry
            .seed
            .unwrap_or_else(|| SmallRng::from_os_rng().next_u64());
        let shared_tokio_reading = self
            .breaker
            .as_ref()
            .is_some_and(CircuitBreaker::uses_tokio_clock)
            && self
                .rate
                .as_ref()
                .is_some_and(RateLimiter::uses_tokio_clock);
        Policy {
            inner: Arc::new(PolicyInner {
                classifier: self.classifier,
                retry: self.retry,
                breaker: self.breaker,
                rate: self.rate,
                concurrency: self.concurrency,
                counters: Counters::default(),
                shared_tokio_reading,
                seed,
                calls: AtomicU64::new(0),
            }),
        }
    }
}
