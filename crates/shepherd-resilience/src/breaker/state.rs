//! The breaker's public state.

use std::fmt;

/// The state of a [`CircuitBreaker`](super::CircuitBreaker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls pass; outcomes are recorded in the sliding window.
    Closed,
    /// Calls are rejected until the wait in open state has passed.
    Open,
    /// A fixed number of trial calls pass; their outcomes decide between closed and open.
    HalfOpen,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
        })
    }
}
