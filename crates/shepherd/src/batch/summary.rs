//! Progress while a batch runs, and the summary when it ends.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use shepherd_resilience::Policy;

use crate::client::RoutingClassifier;

/// Live counters of a running batch, cheap to read from another task (a progress bar).
///
/// Obtained from [`BatchRunner::progress`](super::BatchRunner::progress) before the run
/// starts; clones share the counters.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    inner: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    total: AtomicU64,
    read: AtomicU64,
    skipped: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    invalid: AtomicU64,
    in_flight: AtomicU64,
    tokens: AtomicU64,
    cost_micro_usd: AtomicU64,
    retry: Mutex<Option<Arc<Policy<RoutingClassifier>>>>,
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counters")
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

/// A copy of the [`Progress`] counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProgressSnapshot {
    /// Lines in the input, when counted before the run (0 when unknown).
    pub total: u64,
    /// Input lines read so far.
    pub read: u64,
    /// Lines skipped because an earlier run finished them (`resume`).
    pub skipped: u64,
    /// Lines answered successfully.
    pub succeeded: u64,
    /// Lines whose request failed for good.
    pub failed: u64,
    /// Input lines that could not be sent (malformed, duplicate custom_id, ...).
    pub invalid: u64,
    /// Requests in flight (waiting in a limiter or for a breaker included).
    pub in_flight: u64,
    /// Retries made so far.
    pub retries: u64,
    /// 429 answers seen so far.
    pub throttled: u64,
    /// Tokens used (from the answers' `usage`).
    pub tokens: u64,
    /// Cost so far, USD (priced models only).
    pub cost_usd: f64,
}

impl ProgressSnapshot {
    /// Lines with a line in the output or error file, this run or an earlier one.
    pub fn done(&self) -> u64 {
        self.skipped + self.succeeded + self.failed + self.invalid
    }
}

impl Progress {
    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let c = &self.inner;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let retry = c
            .retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|p| p.metrics());
        ProgressSnapshot {
            total: load(&c.total),
            read: load(&c.read),
            skipped: load(&c.skipped),
            succeeded: load(&c.succeeded),
            failed: load(&c.failed),
            invalid: load(&c.invalid),
            in_flight: load(&c.in_flight),
            retries: retry.as_ref().map_or(0, |m| m.retried),
            throttled: retry.as_ref().map_or(0, |m| m.throttled),
            tokens: load(&c.tokens),
            cost_usd: load(&c.cost_micro_usd) as f64 / 1e6,
        }
    }

    pub(crate) fn set_total(&self, total: u64) {
        self.inner.total.store(total, Ordering::Relaxed);
    }

    pub(crate) fn set_retry(&self, retry: Arc<Policy<RoutingClassifier>>) {
        *self
            .inner
            .retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(retry);
    }

    pub(crate) fn read_line(&self) {
        self.inner.read.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn skipped(&self) {
        self.inner.skipped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn invalid(&self) {
        self.inner.invalid.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn started(&self) {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, ok: bool, tokens: u64, cost_usd: f64) {
        let c = &self.inner;
        c.in_flight.fetch_sub(1, Ordering::Relaxed);
        if ok { &c.succeeded } else { &c.failed }.fetch_add(1, Ordering::Relaxed);
        c.tokens.fetch_add(tokens, Ordering::Relaxed);
        c.cost_micro_usd
            .fetch_add((cost_usd * 1e6).round() as u64, Ordering::Relaxed);
    }

    /// A request cancelled before it finished (second interrupt): no line was written.
    pub(crate) fn abandoned(&self) {
        self.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How a batch run ended.
///
/// `Display` prints the human summary the CLI shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Input lines read.
    pub lines: u64,
    /// Lines skipped because an earlier run had finished them.
    pub skipped: u64,
    /// Lines answered successfully in this run.
    pub succeeded: u64,
    /// Lines whose request failed for good in this run.
    pub failed: u64,
    /// Input lines that could not be sent.
    pub invalid: u64,
    /// True when the run was stopped before the end of the input (the rest can be resumed).
    pub interrupted: bool,
    /// Bytes of a half-written last line cut from the output files before resuming.
    pub repaired_bytes: u64,
    /// Error lines removed to run again (`retry_failed`).
    pub retried_from_errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Median latency of successful requests (retries and waits included).
    pub p50: Duration,
    /// 95th percentile latency.
    pub p95: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// HTTP attempts made for the lines of this run (first attempts, fallback calls and retries).
    pub attempts: u64,
    /// Retries made (attempts beyond the first).
    pub retries: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Lines answered by a fallback model.
    pub fell_back: u64,
    /// Tokens used, from the answers' `usage`.
    pub tokens: u64,
    /// Cost in USD per model, for priced models.
    pub cost_by_model: BTreeMap<String, f64>,
    /// Failed and invalid lines per error code.
    pub errors_by_code: BTreeMap<String, u64>,
}

impl Summary {
    /// Requests finished (succeeded or failed) per second of wall time.
    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.succeeded + self.failed) as f64 / secs
        } else {
            0.0
        }
    }

    /// Total cost in USD.
    pub fn cost_usd(&self) -> f64 {
        self.cost_by_model.values().sum()
    }

    /// True when every line of the input has a success line (now or from an earlier run):
    /// nothing failed, nothing invalid, not interrupted.
    pub fn is_complete_success(&self) -> bool {
        self.failed == 0 && self.invalid == 0 && !self.interrupted
    }

    /// The CLI's exit status: 0 when every line succeeded, 2 when some failed or the run
    /// was interrupted before the end.
    pub fn exit_code(&self) -> i32 {
        if self.is_complete_success() { 0 } else { 2 }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ran = self.succeeded + self.failed;
        writeln!(
            f,
            "lines: {} read, {} succeeded, {} failed, {} invalid, {} skipped (done earlier){}",
            self.lines,
            self.succeeded,
            self.failed,
            self.invalid,
            self.skipped,
            if self.interrupted {
                ", interrupted"
            } else {
                ""
            }
        )?;
        writeln!(
            f,
            "time: {:.1} s, {:.1} requests/s; latency p50 {} ms, p95 {} ms, p99 {} ms",
            self.elapsed.as_secs_f64(),
            self.throughput(),
            self.p50.as_millis(),
            self.p95.as_millis(),
            self.p99.as_millis()
        )?;
        writeln!(
            f,
            "requests: {ran} lines in {} attempts, {} retries, {} answered 429{}",
            self.attempts,
            self.retries,
            self.throttled,
            if self.fell_back > 0 {
                format!(", {} by a fallback model", self.fell_back)
            } else {
                String::new()
            }
        )?;
        write!(f, "tokens: {}; cost: ${:.4}", self.tokens, self.cost_usd())?;
        for (model, usd) in &self.cost_by_model {
            write!(f, "\n  {model}: ${usd:.4}")?;
        }
        if !self.errors_by_code.is_empty() {
            let codes: Vec<String> = self
                .errors_by_code
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            write!(f, "\nerrors: {}", codes.join(", "))?;
        }
        Ok(())
    }
}

/// Latency histogram of the run's successful lines.
#[derive(Debug)]
pub(crate) struct Latencies(Histogram<u64>);

impl Latencies {
    pub(crate) fn new() -> Self {
        // 1 µs to 1 hour at 3 significant digits.
        Latencies(
            Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("constant histogram bounds are valid"),
        )
    }

    pub(crate) fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.0.saturating_record(us);
    }

    pub(crate) fn quantile(&self, q: f64) -> Duration {
        Duration::from_micros(self.0.value_at_quantile(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_outcome() {
        let mut s = Summary {
            lines: 3,
            succeeded: 3,
            ..Summary::default()
        };
        assert_eq!(s.exit_code(), 0);
        s.failed = 1;
        assert_eq!(s.exit_code(), 2);
        let text = s.to_string();
        assert!(text.contains("3 succeeded, 1 failed"), "{text}");
    }
}
