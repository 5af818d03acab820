//! The retry settings of a [`Policy`](crate::Policy).

use std::sync::Arc;
use std::time::Duration;

use super::{Backoff, RetryBudget};

/// When and how often a failed call is tried again.
///
/// Defaults: 3 attempts (openai-python's 2 retries), [`Backoff::default`] (500 ms base,
/// 8 s cap, full jitter), no overall deadline, a server-suggested wait honoured up to
/// 120 s (openai-python's limit; a longer one fails the call at once with the hint in
/// [`Error::RetryAfterTooLong`](crate::Error::RetryAfterTooLong)), and a fresh
/// [`RetryBudget`] shared by every call through the policy.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use shepherd_resilience::retry::{RetryBudget, RetryPolicy};
///
/// let shared = Arc::new(RetryBudget::default());
/// let retry = RetryPolicy::builder()
///     .max_attempts(5)
///     .deadline(Duration::from_secs(60))
///     .budget(shared.clone())
///     .seed(42)
///     .build();
/// assert_eq!(retry.max_attempts(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_server_wait: Duration,
    pub(crate) budget: Arc<RetryBudget>,
    pub(crate) seed: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl RetryPolicy {
    /// A builder with the defaults above.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy {
                max_attempts: 3,
                backoff: Backoff::default(),
                deadline: None,
                max_server_wait: Duration::from_secs(120),
                budget: Arc::new(RetryBudget::default()),
                seed: None,
            },
        }
    }

    /// One attempt, no retries (a deadline can still be set with the builder).
    pub fn never() -> Self {
        Self::builder().max_attempts(1).build()
    }

    /// Attempts including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff.
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// The overall deadline across attempts.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The longest server-suggested wait honoured.
    pub fn max_server_wait(&self) -> Duration {
        self.max_server_wait
    }

    /// The shared retry budget.
    pub fn budget(&self) -> &Arc<RetryBudget> {
        &self.budget
    }
}

/// Builds a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Attempts including the first (at least 1). Default 3.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.policy.max_attempts = n.max(1);
        self
    }

    /// The backoff between attempts. Default [`Backoff::default`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// A deadline over all attempts and waits together. Default none.
    pub fn deadline(mut self, d: Duration) -> Self {
        self.policy.deadline = Some(d);
        self
    }

    /// The longest server-suggested wait to sleep through. Default 120 s.
    pub fn max_server_wait(mut self, d: Duration) -> Self {
        self.policy.max_server_wait = d;
        self
    }

    /// Share a retry budget (for example across policies of one client).
    pub fn budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.policy.budget = budget;
        self
    }

    /// Seed the jitter RNG, for reproducible delays. Default: seeded from the OS.
    pub fn seed(mut self, seed: u64) -> Self {
        self.policy.seed = Some(seed);
        self
    }

    /// Build the policy.
    pub fn build(self) -> RetryPolicy {
        self.policy
    }
}
