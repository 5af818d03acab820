//! Per-key request and token limits (GCRA) and the `x-ratelimit-*` headers they produce.
//!
//! A per-minute limit `L` is enforced as a GCRA: one unit is earned every `60 s / L`, and
//! at most `max(1, L / 60)` units (one second's worth) may be spent ahead of that pace.
//! So `rpm = 600` admits a burst of 10 requests, then one every 100 ms: the limit holds
//! over short periods instead of allowing the whole minute at once.
//!
//! A request's token cost is its estimated prompt tokens plus its `max_tokens` (times
//! `n`), as OpenAI estimates it. A request is admitted while the token debt is within
//! the tolerance and then pays its whole cost, which may push the debt past it, so a
//! request larger than one second's worth still passes on an idle key; one larger than
//! the whole `tpm` never does.
//!
//! The headers use the per-minute view the real API reports: `remaining` is the limit
//! minus the units still owed, `reset` is the time until nothing is owed, written as a Go
//! duration (`1s`, `6m0s`, `20ms`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One GCRA dimension (requests or tokens).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gcra {
    limit: u64,
    interval_ns: u64,
    tolerance: Duration,
}

impl Gcra {
    pub(crate) fn per_minute(limit: u32) -> Self {
        let limit = u64::from(limit.max(1));
        let interval_ns = 60_000_000_000 / limit;
        let burst = (limit / 60).max(1);
        Gcra {
            limit,
            interval_ns,
            tolerance: Duration::from_nanos(interval_ns * (burst - 1)),
        }
    }

    fn cost(&self, units: u64) -> Duration {
        Duration::from_nanos(self.interval_ns.saturating_mul(units))
    }

    /// The new theoretical arrival time if admitted, else how long to wait.
    fn check(&self, tat: Instant, now: Instant, units: u64) -> Result<Instant, Duration> {
        let tat = tat.max(now);
        let owed = tat - now;
        if owed <= self.tolerance {
            Ok(tat + self.cost(units))
        } else {
            Err(owed - self.tolerance)
        }
    }

    fn remaining(&self, tat: Instant, now: Instant) -> u64 {
        let owed = tat.saturating_duration_since(now).as_nanos();
        let owed_units = owed.div_ceil(u128::from(self.interval_ns.max(1)));
        self.limit
            .saturating_sub(u64::try_from(owed_units).unwrap_or(u64::MAX))
    }
}

#[derive(Debug, Clone, Copy)]
struct KeyState {
    requests: Instant,
    tokens: Instant,
}

/// What the limiter says about one request.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// The `x-ratelimit-*` headers to attach, whatever the outcome.
    pub headers: Vec<(&'static str, String)>,
    /// Set when refused.
    pub refusal: Option<Refusal>,
}

/// Why and for how long a request was refused.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    /// `"requests"` or `"tokens"`: OpenAI's error `type` for rate limits.
    pub dimension: &'static str,
    pub limit: u64,
    pub requested: u64,
    /// `None` when waiting cannot help (the request alone exceeds the limit).
    pub retry_after: Option<Duration>,
}

/// Request and token limits for every API key.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    requests: Option<Gcra>,
    tokens: Option<Gcra>,
    state: Mutex<HashMap<String, KeyState>>,
}

impl RateLimiter {
    pub(crate) fn new(rpm: Option<u32>, tpm: Option<u32>) -> Self {
        RateLimiter {
            requests: rpm.map(Gcra::per_minute),
            tokens: tpm.map(Gcra::per_minute),
            state: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn is_active(&self) -> bool {
        self.requests.is_some() || self.tokens.is_some()
    }

    /// Admits or refuses one request costing `tokens`; `charge = false` only reports
    /// headers (for requests refused earlier, e.g. with 401).
    pub(crate) fn check(&self, key: &str, tokens: u64, now: Instant, charge: bool) -> Verdict {
        if !self.is_active() {
            return Verdict {
                headers: Vec::new(),
                refusal: None,
            };
        }
        let mut map = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut fresh = KeyState {
            requests: now,
            tokens: now,
        };
        // Only charged requests create state, so refused ones (401) with made-up keys cannot grow the map.
        let state = if charge {
            map.entry(key.to_owned()).or_insert(fresh)
        } else {
            map.get_mut(key).unwrap_or(&mut fresh)
        };
        let mut refusal = None;
        if charge {
            let req = self.requests.map(|g| (g, g.check(state.requests, now, 1)));
            let tok = self.tokens.map(|g| (g, g.check(state.tokens, now, tokens)));
            if let Some((g, Err(wait))) = req {
                refusal = Some(Refusal {
                    dimension: "requests",
                    limit: g.limit,
                    requested: 1,
                    retry_after: Some(wait),
                });
            } else if let Some((g, outcome)) = tok {
                if tokens > g.limit {
                    refusal = Some(Refusal {
                        dimension: "tokens",
                        limit: g.limit,
                        requested: tokens,
                        retry_after: None,
                    });
                } else if let Err(wait) = outcome {
                    refusal = Some(Refusal {
                        dimension: "tokens",
                        limit: g.limit,
                        requested: tokens,
                        retry_after: Some(wait),
                    });
                }
            }
            if refusal.is_none() {
                if let Some((_, Ok(tat))) = req {
                    state.requests = tat;
                }
                if let Some((_, Ok(tat))) = tok {
                    state.tokens = tat;
                }
            }
        }
        let mut headers = Vec::with_capacity(6);
        if let Some(g) = self.requests {
            headers.push(("x-ratelimit-limit-requests", g.limit.to_string()));
            headers.push((
                "x-ratelimit-remaining-requests",
                g.remaining(state.requests, now).to_string(),
            ));
            headers.push((
                "x-ratelimit-reset-requests",
                go_duration(state.requests.saturating_duration_since(now)),
            ));
        }
        if let Some(g) = self.tokens {
            headers.push(("x-ratelimit-limit-tokens", g.limit.to_string()));
            headers.push((
                "x-ratelimit-remaining-tokens",
                g.remaining(state.tokens, now).to_string(),
            ));
            headers.push((
                "x-ratelimit-reset-tokens",
                go_duration(state.tokens.saturating_duration_since(now)),
            ));
        }
        Verdict { headers, refusal }
    }
}

/// Formats a duration the way Go's `time.Duration` prints, rounded to milliseconds:
/// `0s`, `20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_mock::go_duration;
///
/// assert_eq!(go_duration(Duration::from_millis(20)), "20ms");
/// assert_eq!(go_duration(Duration::from_secs(360)), "6m0s");
/// assert_eq!(go_duration(Duration::from_millis(8640)), "8.64s");
/// ```
pub fn go_duration(d: Duration) -> String {
    let total_ms = (d.as_nanos() + 500_000) / 1_000_000;
    if total_ms == 0 {
        return "0s".into();
    }
    if total_ms < 1000 {
        return format!("{total_ms}ms");
    }
    let hours = total_ms / 3_600_000;
    let minutes = (total_ms / 60_000) % 60;
    let ms_in_minute = total_ms % 60_000;
    let mut seconds = (ms_in_minute / 1000).to_string();
    let frac = ms_in_minute % 1000;
    if frac > 0 {
        let digits = format!("{frac:03}");
        seconds.push('.');
        seconds.push_str(digits.trim_end_matches('0'));
    }
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_micros(400)), "0s");
        assert_eq!(go_duration(Duration::from_millis(999)), "999ms");
        assert_eq!(go_duration(Duration::from_secs(1)), "1s");
        assert_eq!(go_duration(Duration::from_millis(61_500)), "1m1.5s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }

    #[test]
    fn burst_is_one_second_of_limit() {
        let limiter = RateLimiter::new(Some(600), None);
        let now = Instant::now();
        let admitted = (0..20)
            .filter(|_| limiter.check("k", 0, now, true).refusal.is_none())
            .count();
        assert_eq!(admitted, 10);
        let refused = limiter.check("k", 0, now, true);
        let refusal = refused.refusal.expect("refused");
        assert_eq!(refusal.retry_after, Some(Duration::from_millis(100)));
        assert!(
            limiter
                .check("k", 0, now + Duration::from_millis(100), true)
                .refusal
                .is_none()
        );
        assert!(
            limiter.check("other", 0, now, true).refusal.is_none(),
            "keys are independent"
        );
    }

    #[test]
    fn headers_report_the_minute_view() {
        let limiter = RateLimiter::new(Some(60), Some(6000));
        let now = Instant::now();
        let verdict = limiter.check("k", 250, now, true);
        assert!(verdict.refusal.is_none());
        let get = |name: &str| {
            verdict
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .expect("header present")
        };
        assert_eq!(get("x-ratelimit-limit-requests"), "60");
        assert_eq!(get("x-ratelimit-remaining-requests"), "59");
        assert_eq!(get("x-ratelimit-reset-requests"), "1s");
        assert_eq!(get("x-ratelimit-remaining-tokens"), "5750");
        assert_eq!(get("x-ratelimit-reset-tokens"), "2.5s");
    }

    #[test]
    fn token_debt_and_oversized_requests() {
        let limiter = RateLimiter::new(None, Some(6000));
        let now = Instant::now();
        // One second's worth is 100 tokens; an idle key still admits 500, then owes 5 s.
        assert!(limiter.check("k", 500, now, true).refusal.is_none());
        let refusal = limiter.check("k", 1, now, true).refusal.expect("in debt");
        assert_eq!(refusal.dimension, "tokens");
        assert_eq!(refusal.retry_after, Some(Duration::from_millis(4010)));
        let too_big = limiter
            .check("fresh", 6001, now, true)
            .refusal
            .expect("too large");
        assert_eq!(too_big.retry_after, None);
    }
}
