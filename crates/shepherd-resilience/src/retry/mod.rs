//! Retrying a call: backoff, the shared retry budget and the retry policy.

mod backoff;
mod budget;
mod policy;

pub use backoff::{Backoff, Delays, Jitter};
pub use budget::{RetryBudget, RetryBudgetBuilder};
pub use policy::{RetryPolicy, RetryPolicyBuilder};
