//! Targets: one base URL with its key, limits, weight, breaker and load — what routing picks from.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use shepherd_resilience::Policy;
use shepherd_resilience::breaker::{CircuitBreaker, State};
use shepherd_resilience::concurrency::ConcurrencyLimiter;
use shepherd_resilience::rate::{Quota, RateLimiter, ServerLimits};
use shepherd_resilience::retry::RetryPolicy;
use shepherd_transport::ApiKey;
use shepherd_types::ratelimit::RateLimitHeaders;
use tokio::time::Instant;

use crate::Error;
use crate::classify::HttpClassifier;
use crate::provider::AuthStyle;

/// One endpoint a client can send to: a base URL, a key, and its own limits.
///
/// # Examples
///
/// ```
/// use shepherd::Target;
/// use shepherd::transport::ApiKey;
///
/// let key = ApiKey::new("sk-test-1234").unwrap();
/// let primary = Target::new("https://primary.example/v1", key).rpm(500).tpm(200_000).weight(2);
/// assert_eq!(primary.base_url(), "https://primary.example/v1");
/// ```
#[derive(Debug, Clone)]
pub struct Target {
    pub(crate) name: Option<String>,
    pub(crate) base_url: String,
    pub(crate) key: Option<ApiKey>,
    pub(crate) auth: AuthStyle,
    pub(crate) rpm: Option<u64>,
    pub(crate) tpm: Option<u64>,
    pub(crate) weight: u32,
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) priority: u32,
    pub(crate) breaker: Option<CircuitBreaker>,
}

impl Target {
    /// A target at `base_url` (e.g. `https://api.openai.com/v1`) authenticated with `key`.
    /// No limits, weight 1, bearer auth.
    pub fn new(base_url: impl Into<String>, key: ApiKey) -> Self {
        Target::without_key(base_url).key(key)
    }

    /// A target with no key (a local server).
    pub fn without_key(base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Target {
            name: None,
            base_url,
            key: None,
            auth: AuthStyle::Bearer,
            rpm: None,
            tpm: None,
            weight: 1,
            max_in_flight: None,
            headers: Vec::new(),
            priority: 0,
            breaker: None,
        }
    }

    /// Sets the key.
    pub fn key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Names the target in metrics and errors (default: its base URL).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Requests per minute this target allows; the client stays under it.
    pub fn rpm(mut self, rpm: u64) -> Self {
        self.rpm = Some(rpm);
        self
    }

    /// Tokens per minute this target allows; the client stays under it.
    pub fn tpm(mut self, tpm: u64) -> Self {
        self.tpm = Some(tpm);
        self
    }

    /// Share of traffic relative to other targets (default 1; 0 is treated as 1).
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight.max(1);
        self
    }

    /// At most this many requests in flight to this target.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = Some(max);
        self
    }

    /// Routing tier: targets with a lower value get all traffic while any of them is
    /// available; higher tiers take over only when every lower one is cooling down
    /// (default 0). A primary with priority 0 and a secondary with priority 1 is the
    /// seed playbook's migration; give the primary a breaker from a [`MigrationRule`].
    pub fn priority(mut self, priority: u32) -> Self {
        self.priority = priority;
        self
    }

    /// This target's own circuit breaker, instead of the client's default one.
    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// How the key is sent (bearer by default; `x-api-key` for Anthropic).
    pub fn auth_style(mut self, auth: AuthStyle) -> Self {
        self.auth = auth;
        self
    }

    /// An extra header sent with every request to this target.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The name used in metrics.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.base_url)
    }
}

/// A target at run time: its headers, its policy (breaker, limiter, concurrency) and load.
pub(crate) struct TargetState {
    pub(crate) config: Target,
    pub(crate) headers: HeaderMap,
    pub(crate) policy: Policy<HttpClassifier>,
    in_flight: AtomicUsize,
    disabled_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for TargetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetState")
            .field("name", &self.config.display_name())
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// How long a target that answered 429 without `Retry-After` is left out of rotation.
pub(crate) const THROTTLE_COOLDOWN: Duration = Duration::from_secs(1);

/// How long a target that rejected its key (401/403) is left out of rotation.
pub(crate) const AUTH_COOLDOWN: Duration = Duration::from_secs(60);

impl TargetState {
    pub(crate) fn new(
        config: Target,
        breaker: Option<CircuitBreaker>,
        default_headers: &HeaderMap,
    ) -> Result<Self, Error> {
        let mut headers = default_headers.clone();
        if let Some(key) = &config.key {
            match &config.auth {
                AuthStyle::Bearer => {
                    headers.insert(http::header::AUTHORIZATION, key.bearer_header());
                }
                AuthStyle::Header(name) => {
                    let name = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| Error::Config(format!("invalid auth header name {name:?}")))?;
                    headers.insert(name, key.raw_header());
                }
            }
        }
        for (name, value) in &config.headers {
            let (name, value) = header(name, value)?;
            headers.insert(name, value);
        }
        // One attempt per target: retries (and failover) are the client's outer loop.
        let mut policy = Policy::builder(HttpClassifier).retry(RetryPolicy::never());
        if config.rpm.is_some() || config.tpm.is_some() {
            let mut limiter = RateLimiter::builder();
            if let Some(rpm) = config.rpm {
                limiter = limiter.requests(Quota::per_minute(rpm));
            }
            if let Some(tpm) = config.tpm {
                limiter = limiter.tokens(Quota::per_minute(tpm));
            }
            policy = policy.rate_limiter(limiter.build());
        }
        if let Some(breaker) = config.breaker.clone().or(breaker) {
            policy = policy.breaker(breaker);
        }
        if let Some(max) = config.max_in_flight {
            policy = policy.concurrency(ConcurrencyLimiter::new(max));
        }
        Ok(TargetState {
            config,
            headers,
            policy: policy.build(),
            in_flight: AtomicUsize::new(0),
            disabled_until: Mutex::new(None),
        })
    }

    pub(crate) fn name(&self) -> &str {
        self.config.display_name()
    }

    /// Routing tier (lower first).
    pub(crate) fn priority(&self) -> u32 {
        self.config.priority
    }

    /// Load per unit of weight, for least-loaded selection.
    pub(crate) fn load(&self) -> f64 {
        (self.in_flight.load(Ordering::Relaxed) as f64 + 1.0) / f64::from(self.config.weight)
    }

    /// When the target can take calls again: `None` if it can now.
    pub(crate) fn unavailable_for(&self, now: Instant) -> Option<Duration> {
        let disabled = *self
            .disabled_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(until) = disabled
            && until > now
        {
            return Some(until - now);
        }
        match self.policy.breaker().map(CircuitBreaker::state) {
            Some(State::Open) => Some(Duration::from_millis(1)),
            _ => None,
        }
    }

    /// Waits until this target may admit calls (its breaker ready, any cooldown over).
    pub(crate) async fn ready(&self) {
        let until = *self
            .disabled_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
        if let Some(breaker) = self.policy.breaker() {
            breaker.ready().await;
        }
    }

    pub(crate) fn disable_for(&self, wait: Duration) {
        *self
            .disabled_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + wait);
    }

    pub(crate) fn enter(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Feeds the server's rate-limit headers to this target's limiter.
    pub(crate) fn observe(&self, limits: &RateLimitHeaders) {
        if limits.is_empty() {
            return;
        }
        if let Some(limiter) = self.policy.rate_limiter() {
            limiter.observe(ServerLimits {
                remaining_requests: limits.remaining_requests,
                reset_requests: limits.reset_requests,
                remaining_tokens: limits.remaining_tokens,
                reset_tokens: limits.reset_tokens,
            });
        }
    }
}

/// Counts a call as in flight on a target until dropped.
pub(crate) struct InFlight(Arc<TargetState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When to move traffic off a target, as in the seed playbook: over a time window, an
/// error rate, a p99 latency or a 429 ratio above its threshold sends traffic to the
/// next priority tier until the target is healthy again.
///
/// It is expressed as a time-window circuit breaker ([`MigrationRule::breaker`]):
/// errors and (with `max_throttled_percent`) 429s count as failures; "p99 above X"
/// is "more than 1 % of calls slower than X", the breaker's slow-call rate; "healthy
/// again" is the breaker's half-open trial calls succeeding. Because the breaker has
/// one failure-rate threshold, errors and 429s share the lower of the two thresholds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd::{MigrationRule, Target};
/// use shepherd::transport::ApiKey;
///
/// let rule = MigrationRule { max_p99: Some(Duration::from_secs(8)), ..MigrationRule::default() };
/// let primary = Target::new("https://primary.example/v1", ApiKey::new("sk-a").unwrap())
///     .priority(0)
///     .circuit_breaker(rule.breaker());
/// let secondary = Target::new("https://secondary.example/v1", ApiKey::new("sk-b").unwrap()).priority(1);
/// # let _ = (primary, secondary);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationRule {
    /// The window the rates are measured over (default 60 s).
    pub window: Duration,
    /// Calls in the window before the rule judges (default 20).
    pub minimum_calls: u32,
    /// Error rate in percent that moves traffic (default 20 %).
    pub max_error_percent: f64,
    /// 429 ratio in percent that moves traffic (default none: 429s are left to the rate limiter).
    pub max_throttled_percent: Option<f64>,
    /// p99 latency that moves traffic (default none).
    pub max_p99: Option<Duration>,
    /// How long traffic stays away before trial calls probe the target (default 30 s).
    pub recheck_after: Duration,
    /// Trial calls that decide whether the target is healthy again (default 3).
    pub trial_calls: u32,
}

impl Default for MigrationRule {
    fn default() -> Self {
        MigrationRule {
            window: Duration::from_secs(60),
            minimum_calls: 20,
            max_error_percent: 20.0,
            max_throttled_percent: None,
            max_p99: None,
            recheck_after: Duration::from_secs(30),
            trial_calls: 3,
        }
    }
}

impl MigrationRule {
    /// The circuit breaker that implements this rule.
    pub fn breaker(&self) -> CircuitBreaker {
        use shepherd_resilience::breaker::SlidingWindow;
        let threshold = match self.max_throttled_percent {
            Some(t) => t.min(self.max_error_percent),
            None => self.max_error_percent,
        };
        let mut builder = CircuitBreaker::builder()
            .sliding_window(SlidingWindow::Time(self.window))
            .minimum_calls(self.minimum_calls)
            .failure_rate_threshold(threshold)
            .wait_in_open(self.recheck_after)
            .permitted_calls_in_half_open(self.trial_calls.max(1))
            .throttled_is_failure(self.max_throttled_percent.is_some());
        if let Some(p99) = self.max_p99 {
            builder = builder
                .slow_call_duration(p99)
                .slow_call_rate_threshold(1.0);
        }
        builder.build()
    }
}

/// A header from user configuration, or an error naming what is wrong with it.
pub(crate) fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::Config(format!("invalid header name {name:?}")))?;
    let value = HeaderValue::from_str(value)
        .map_err(|_| Error::Config(format!("invalid value for header {name}")))?;
    Ok((name, value))
}
