//! The retry budget: a token bucket shared by every call, after the AWS SDK's retry quota.

use std::sync::atomic::{AtomicU32, Ordering};

/// A retry quota shared by every call through a policy.
///
/// Each retry withdraws tokens (5, or 10 after a timeout); each success deposits some back
/// (1 for a first-attempt success; a success after retries refunds what its last retry
/// cost, as the AWS SDKs do). When the bucket is empty, failing calls return their error
/// instead of retrying. The bucket starts full at 500.
///
/// # Why a budget and not only a maximum number of attempts
///
/// Max attempts bounds the work of *one* call; it does nothing for the fleet. When a
/// server falls over, every caller fails at once and every caller retries at once: with 3
/// attempts each, a struggling server suddenly sees three times its normal load, exactly
/// when it can handle least — the thundering herd the seeds warn about, and the reason
/// LiteLLM users complain about stacked retries (client retries × router retries × SDK
/// retries multiply). A budget bounds retries *as a share of successes*: while calls
/// succeed it refills and retries are free; during an outage it drains after
/// `500 / 5 = 100` retries and further failures are returned at once, so load on the
/// server falls back to the original request rate instead of a multiple of it.
///
/// # Examples
///
/// ```
/// use shepherd_resilience::retry::RetryBudget;
///
/// let budget = RetryBudget::builder().capacity(10).build();
/// assert_eq!(budget.try_withdraw(false), Some(5));
/// assert_eq!(budget.try_withdraw(true), None); // a timeout retry costs 10, only 5 left
/// budget.deposit_success(None);
/// assert_eq!(budget.available(), 6);
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    tokens: AtomicU32,
    capacity: u32,
    retry_cost: u32,
    timeout_retry_cost: u32,
    success_refund: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl RetryBudget {
    /// A builder with the AWS defaults.
    pub fn builder() -> RetryBudgetBuilder {
        RetryBudgetBuilder::default()
    }

    /// Take the cost of one retry, or `None` if the bucket cannot pay for it.
    /// Returns the amount withdrawn, to hand back to [`deposit_success`](Self::deposit_success).
    pub fn try_withdraw(&self, after_timeout: bool) -> Option<u32> {
        let cost = if after_timeout {
            self.timeout_retry_cost
        } else {
            self.retry_cost
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .ok()
            .map(|_| cost)
    }

    /// Record a successful call. `last_withdrawal` is what the call's last retry withdrew
    /// (`None` if it succeeded at the first attempt): that amount is refunded, otherwise the
    /// success refund (1 by default).
    pub fn deposit_success(&self, last_withdrawal: Option<u32>) {
        self.deposit(last_withdrawal.unwrap_or(self.success_refund));
    }

    /// Add tokens, never beyond capacity.
    pub fn deposit(&self, amount: u32) {
        let capacity = self.capacity;
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < capacity).then(|| t.saturating_add(amount).min(capacity))
            });
    }

    /// Tokens in the bucket now.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }

    /// The bucket's capacity.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
}

/// Builds a [`RetryBudget`]. Defaults: capacity 500, retry cost 5, timeout retry cost 10,
/// success refund 1 (the AWS SDK standard retry quota).
#[derive(Debug, Clone)]
pub struct RetryBudgetBuilder {
    capacity: u32,
    retry_cost: u32,
    timeout_retry_cost: u32,
    success_refund: u32,
}

impl Default for RetryBudgetBuilder {
    fn default() -> Self {
        Self {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryBudgetBuilder {
    /// Tokens when full (and at start). Default 500.
    pub fn capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// Cost of a retry. Default 5.
    pub fn retry_cost(mut self, cost: u32) -> Self {
        self.retry_cost = cost;
        self
    }

    /// Cost of a retry after a timeout. Default 10.
    pub fn timeout_retry_cost(mut self, cost: u32) -> Self {
        self.timeout_retry_cost = cost;
        self
    }

    /// Tokens a first-attempt success deposits. Default 1.
    pub fn success_refund(mut self, refund: u32) -> Self {
        self.success_refund = refund;
        self
    }

    /// Build the budget, full.
    pub fn build(self) -> RetryBudget {
        RetryBudget {
            tokens: AtomicU32::new(self.capacity),
            capacity: self.capacity,
            retry_cost: self.retry_cost,
            timeout_retry_cost: self.timeout_retry_cost,
            success_refund: self.success_refund,
        }
    }
}
