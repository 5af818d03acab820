//! Client metrics: counts by outcome and latency percentiles (HDR histogram), per target.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::Error;

/// Shared metric state of a client.
#[derive(Debug, Clone)]
pub(crate) struct Metrics {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    latency_us: Histogram<u64>,
    succeeded: u64,
    failed: u64,
    attempts: u64,
    by_target: BTreeMap<String, u64>,
    by_error: BTreeMap<String, u64>,
    tokens: BTreeMap<String, TokenTotals>,
}

/// Tokens used by one model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenTotals {
    /// Responses counted.
    pub responses: u64,
    /// Prompt tokens.
    pub prompt: u64,
    /// Completion tokens.
    pub completion: u64,
}

/// A copy of the client's metrics at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSnapshot {
    /// Calls that succeeded.
    pub succeeded: u64,
    /// Calls that failed after all retries.
    pub failed: u64,
    /// Attempts made in all (≥ calls).
    pub attempts: u64,
    /// Median latency of successful calls (all attempts included).
    pub p50: Duration,
    /// 95th percentile latency.
    pub p95: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Successful calls per target.
    pub by_target: BTreeMap<String, u64>,
    /// Failed calls by error kind (`429`, `500`, `timeout`, `breaker_open`, ...).
    pub by_error: BTreeMap<String, u64>,
    /// Tokens by model (cost by model and target is in [`CostSnapshot`](crate::CostSnapshot)).
    pub tokens_by_model: BTreeMap<String, TokenTotals>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        // 1 µs to 1 hour at 3 significant digits: a few tens of KiB.
        let latency_us = Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .expect("constant histogram bounds are valid");
        Metrics {
            inner: Arc::new(Mutex::new(State {
                latency_us,
                succeeded: 0,
                failed: 0,
                attempts: 0,
                by_target: BTreeMap::new(),
                by_error: BTreeMap::new(),
                tokens: BTreeMap::new(),
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record_success(&self, target: &str, latency: Duration, attempts: u32) {
        let mut s = self.state();
        s.succeeded += 1;
        s.attempts += u64::from(attempts);
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        s.latency_us.saturating_record(us);
        *s.by_target.entry(target.to_owned()).or_default() += 1;
    }

    pub(crate) fn record_tokens(&self, model: &str, usage: &shepherd_types::Usage) {
        let mut s = self.state();
        let t = s.tokens.entry(model.to_owned()).or_default();
        t.responses += 1;
        t.prompt += u64::from(usage.prompt_tokens);
        t.completion += u64::from(usage.completion_tokens);
    }

    pub(crate) fn record_failure(&self, _latency: Duration, attempts: u32, error: &Error) {
        let mut s = self.state();
        s.failed += 1;
        s.attempts += u64::from(attempts);
        *s.by_error.entry(error_kind(error)).or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let s = self.state();
        let q = |p: f64| Duration::from_micros(s.latency_us.value_at_quantile(p));
        MetricsSnapshot {
            succeeded: s.succeeded,
            failed: s.failed,
            attempts: s.attempts,
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            by_target: s.by_target.clone(),
            by_error: s.by_error.clone(),
            tokens_by_model: s.tokens.clone(),
        }
    }
}

/// A short label for an error, for counting.
pub(crate) fn error_kind(error: &Error) -> String {
    if let Some(status) = error.status() {
        return status.as_u16().to_string();
    }
    if error.is_timeout() {
        return "timeout".into();
    }
    match error {
        Error::Transport(e) if e.is_connect() => "connect".into(),
        Error::Transport(_) => "transport".into(),
        Error::Decode { .. } => "decode".into(),
        Error::StreamEvent(_) => "stream_error".into(),
        Error::StreamTruncated { .. } => "stream_truncated".into(),
        Error::Policy { kind, .. } => format!("{kind:?}").to_lowercase(),
        Error::Budget { .. } => "budget".into(),
        Error::Config(_) => "config".into(),
        Error::Io { .. } => "io".into(),
        Error::Api { .. } => "api".into(),
    }
}
