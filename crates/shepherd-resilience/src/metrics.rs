//! Outcome counters of a policy, readable as a snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of what happened to calls through a [`Policy`](crate::Policy).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) succeeded: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) rejected_open: AtomicU64,
    pub(crate) rejected_queue_full: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    pub(crate) budget_exhausted: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Metrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Metrics {
            succeeded: get(&self.succeeded),
            failed: get(&self.failed),
            retried: get(&self.retried),
            throttled: get(&self.throttled),
            rejected_open: get(&self.rejected_open),
            rejected_queue_full: get(&self.rejected_queue_full),
            timed_out: get(&self.timed_out),
            budget_exhausted: get(&self.budget_exhausted),
        }
    }
}

/// A snapshot of a policy's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Calls that returned `Ok`.
    pub succeeded: u64,
    /// Calls that returned the call's error without further retries (not retryable, or out
    /// of attempts, or the server's wait too long).
    pub failed: u64,
    /// Retries made.
    pub retried: u64,
    /// Attempts the classifier called throttled.
    pub throttled: u64,
    /// Calls rejected by an open breaker.
    pub rejected_open: u64,
    /// Calls rejected by a full concurrency queue.
    pub rejected_queue_full: u64,
    /// Calls that hit the deadline or the concurrency acquire timeout.
    pub timed_out: u64,
    /// Calls whose retries the budget stopped.
    pub budget_exhausted: u64,
}
