//! A circuit breaker with resilience4j's semantics.
//!
//! Closed: calls pass and their outcomes fill a sliding window (the last N calls, or the
//! last N seconds). Once the window holds at least the minimum number of calls, a failure
//! rate or slow-call rate at or above its threshold opens the breaker. Open: calls are
//! rejected at once with [`Error::BreakerOpen`] and the time until the next probe. After
//! the wait (which can grow with each consecutive opening), the breaker is half-open and
//! admits exactly `permitted_calls_in_half_open` trial calls; when they have all finished,
//! their failure and slow rates decide between closed and open again.
//!
//! Which outcomes are failures is the [`Classify`](crate::Classify) implementation's
//! decision: [`Outcome::DoNotRetry`] (the caller's fault) is ignored, as is
//! [`Outcome::Throttled`] unless configured otherwise.

mod state;
mod window;

pub use state::State;
pub use window::SlidingWindow;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::clock::{Clock, Source};

use crate::classify::Outcome;
use crate::error::Error;
use window::Window;

/// A circuit breaker. Cheap to clone: clones share state.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_resilience::breaker::{CircuitBreaker, SlidingWindow, State};
/// use shepherd_resilience::Outcome;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let breaker = CircuitBreaker::builder()
///     .sliding_window(SlidingWindow::Count(10))
///     .minimum_calls(4)
///     .failure_rate_threshold(50.0)
///     .wait_in_open(Duration::from_secs(30))
///     .build();
/// for _ in 0..4 {
///     let permit = breaker.try_acquire().expect("closed");
///     permit.record(Outcome::Transient);
/// }
/// assert_eq!(breaker.state(), State::Open);
/// assert!(breaker.try_acquire().is_err());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    clock: Source,
    machine: Mutex<Machine>,
    state_tx: watch::Sender<State>,
    // Wakes `ready()` waiters on any change that might admit them, including a freed
    // half-open slot, which is not a state change.
    wake: Notify,
}

#[derive(Debug, Clone)]
struct Config {
    window: SlidingWindow,
    minimum_calls: u32,
    failure_rate_threshold: f64,
    slow_call_duration: Duration,
    slow_call_rate_threshold: f64,
    wait_in_open: Duration,
    wait_multiplier: f64,
    max_wait_in_open: Duration,
    half_open_calls: u32,
    throttled_is_failure: bool,
}

#[derive(Debug)]
struct Machine {
    phase: Phase,
    // Bumped on every transition, so a permit from an earlier state cannot vote in a later one.
    generation: u64,
    consecutive_opens: u32,
}

#[derive(Debug)]
enum Phase {
    Closed(Window),
    Open {
        until: u64,
    },
    HalfOpen {
        free: u32,
        calls: u32,
        failures: u32,
        slow: u32,
    },
}

impl Phase {
    fn state(&self) -> State {
        match self {
            Phase::Closed(_) => State::Closed,
            Phase::Open { .. } => State::Open,
            Phase::HalfOpen { .. } => State::HalfOpen,
        }
    }
}

enum Gate {
    Admit,
    WaitUntil(u64),
    WaitForSlot,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl CircuitBreaker {
    /// A builder with resilience4j's defaults.
    pub fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder::default()
    }

    fn machine(&self) -> MutexGuard<'_, Machine> {
        self.inner
            .machine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The current state (an open breaker whose wait has passed reports half-open).
    pub fn state(&self) -> State {
        let now = self.inner.clock.now();
        let mut m = self.machine();
        self.expire_open(&mut m, now);
        m.phase.state()
    }

    /// A receiver of state changes (the current state is already marked seen).
    pub fn subscribe(&self) -> watch::Receiver<State> {
        self.inner.state_tx.subscribe()
    }

    /// Ask to make a call. On success, run the call and report its outcome on the permit.
    ///
    /// # Errors
    ///
    /// [`Error::BreakerOpen`] while open (with the time until the next probe) or while
    /// half-open with every trial slot taken (with zero).
    pub fn try_acquire(&self) -> Result<BreakerPermit, Error> {
        self.try_acquire_at(None)
    }

    pub(crate) fn uses_tokio_clock(&self) -> bool {
        self.inner.clock.is_tokio()
    }

    // The policy passes a clock reading it already has: reading the clock is the dearest
    // part of an uncontended acquire.
    pub(crate) fn try_acquire_at(&self, now: Option<Instant>) -> Result<BreakerPermit, Error> {
        let now = match now {
            Some(instant) => self.inner.clock.at(instant),
            None => self.inner.clock.now(),
        };
        let mut m = self.machine();
        self.expire_open(&mut m, now);
        match &mut m.phase {
            Phase::Closed(_) => {}
            Phase::Open { until } => {
                return Err(Error::BreakerOpen {
                    retry_in: Duration::from_nanos(until.saturating_sub(now)),
                });
            }
            Phase::HalfOpen { free, .. } => {
                if *free == 0 {
                    return Err(Error::BreakerOpen {
                        retry_in: Duration::ZERO,
                    });
                }
                *free -= 1;
            }
        }
        Ok(BreakerPermit {
            breaker: self.clone(),
            generation: m.generation,
            started: now,
            done: false,
        })
    }

    /// Wait until the breaker admits calls (closed, or half-open with a free trial slot).
    /// It does not reserve the slot: follow with [`try_acquire`](Self::try_acquire), or use
    /// [`acquire`](Self::acquire).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it holds nothing.
    pub async fn ready(&self) {
        loop {
            let notified = self.inner.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let gate = {
                let now = self.inner.clock.now();
                let mut m = self.machine();
                self.expire_open(&mut m, now);
                match &m.phase {
                    Phase::Closed(_) => Gate::Admit,
                    Phase::HalfOpen { free, .. } if *free > 0 => Gate::Admit,
                    Phase::HalfOpen { .. } => Gate::WaitForSlot,
                    Phase::Open { until } => Gate::WaitUntil(*until),
                }
            };
            match gate {
                Gate::Admit => return,
                Gate::WaitUntil(until) => {
                    tokio::time::sleep_until(self.inner.clock.deadline(until)).await;
                }
                Gate::WaitForSlot => notified.await,
            }
        }
    }

    /// Wait until the breaker admits a call, then take the permit. This is how a batch
    /// runner pauses on an open breaker instead of failing its queue.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a permit is only taken in the final, synchronous step.
    pub async fn acquire(&self) -> BreakerPermit {
        loop {
            self.ready().await;
            if let Ok(permit) = self.try_acquire() {
                return permit;
            }
        }
    }

    fn expire_open(&self, m: &mut Machine, now: u64) {
        if let Phase::Open { until } = m.phase
            && now >= until
        {
            let n = self.inner.config.half_open_calls;
            self.transition(
                m,
                Phase::HalfOpen {
                    free: n,
                    calls: 0,
                    failures: 0,
                    slow: 0,
                },
            );
        }
    }

    fn open(&self, m: &mut Machine, now: u64) {
        let c = &self.inner.config;
        let factor = c
            .wait_multiplier
            .powi(i32::try_from(m.consecutive_opens).unwrap_or(i32::MAX));
        let wait = Duration::try_from_secs_f64(c.wait_in_open.as_secs_f64() * factor)
            .unwrap_or(c.max_wait_in_open)
            .min(c.max_wait_in_open);
        m.consecutive_opens = m.consecutive_opens.saturating_add(1);
        let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.transition(
            m,
            Phase::Open {
                until: now.saturating_add(wait),
            },
        );
    }

    fn transition(&self, m: &mut Machine, to: Phase) {
        let from = m.phase.state();
        if let Phase::Closed(_) = to {
            m.consecutive_opens = 0;
        }
        m.phase = to;
        m.generation += 1;
        let to = m.phase.state();
        tracing::info!(%from, %to, "circuit breaker state change");
        self.inner.state_tx.send_replace(to);
        self.inner.wake.notify_waiters();
    }

    fn record(&self, generation: u64, started: u64, outcome: Outcome, now: u64) {
        let c = &self.inner.config;
        let failed = match outcome {
            Outcome::Success => false,
            Outcome::Transient | Outcome::Permanent => true,
            Outcome::Throttled if c.throttled_is_failure => true,
            Outcome::Throttled | Outcome::DoNotRetry => return self.release(generation),
        };
        let slow = Duration::from_nanos(now.saturating_sub(started)) >= c.slow_call_duration;
        let second = now / 1_000_000_000;
        let mut m = self.machine();
        if m.generation != generation {
            return;
        }
        match &mut m.phase {
            Phase::Closed(window) => {
                window.record(failed, slow, second);
                let totals = window.totals(second);
                let minimum = window
                    .capacity()
                    .map_or(c.minimum_calls, |cap| cap.min(c.minimum_calls));
                if totals.calls >= minimum.max(1)
                    && (totals.failure_rate() >= c.failure_rate_threshold
                        || totals.slow_rate() >= c.slow_call_rate_threshold)
                {
                    self.open(&mut m, now);
                }
            }
            Phase::HalfOpen {
                calls,
                failures,
                slow: slow_calls,
                ..
            } => {
                *calls += 1;
                *failures += u32::from(failed);
                *slow_calls += u32::from(slow);
                if *calls >= c.half_open_calls {
                    let failure_rate = f64::from(*failures) * 100.0 / f64::from(*calls);
                    let slow_rate = f64::from(*slow_calls) * 100.0 / f64::from(*calls);
                    if failure_rate >= c.failure_rate_threshold
                        || slow_rate >= c.slow_call_rate_threshold
                    {
                        self.open(&mut m, now);
                    } else {
                        let window = Window::new(c.window);
                        self.transition(&mut m, Phase::Closed(window));
                    }
                }
            }
            Phase::Open { .. } => {}
        }
    }

    // An ignored or abandoned call gives its half-open trial slot back.
    fn release(&self, generation: u64) {
        let mut m = self.machine();
        if m.generation != generation {
            return;
        }
        if let Phase::HalfOpen { free, .. } = &mut m.phase {
            *free += 1;
            drop(m);
            self.inner.wake.notify_waiters();
        }
    }
}

/// Permission to make one call through a [`CircuitBreaker`]. Report the outcome with
/// [`record`](Self::record); dropping it unrecorded (a cancelled call) records nothing
/// and gives a half-open trial slot back.
#[derive(Debug)]
#[must_use = "record the call's outcome on the permit"]
pub struct BreakerPermit {
    breaker: CircuitBreaker,
    generation: u64,
    started: u64,
    done: bool,
}

impl BreakerPermit {
    /// Record the call's outcome; the call's duration (since the permit was taken)
    /// decides whether it was slow.
    pub fn record(mut self, outcome: Outcome) {
        self.done = true;
        let now = self.breaker.inner.clock.now();
        self.breaker
            .record(self.generation, self.started, outcome, now);
    }

    /// Measure the call's duration from now (after any queueing) instead of from when the
    /// permit was taken.
    pub(crate) fn restart(&mut self) {
        self.started = self.breaker.inner.clock.now();
    }
}

impl Drop for BreakerPermit {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.release(self.generation);
        }
    }
}

/// Builds a [`CircuitBreaker`]. Defaults are resilience4j's: a count window of 100 calls,
/// minimum 100 calls, failure-rate threshold 50%, slow calls at 60 s with a 100% threshold,
/// 60 s wait in open (multiplier 1, so constant), 10 permitted calls in half-open; throttles
/// are not failures; [`Clock::Tokio`].
#[derive(Debug, Clone)]
pub struct CircuitBreakerBuilder {
    config: Config,
    max_wait_set: bool,
    clock: Clock,
}

impl Default for CircuitBreakerBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                window: SlidingWindow::Count(100),
                minimum_calls: 100,
                failure_rate_threshold: 50.0,
                slow_call_duration: Duration::from_secs(60),
                slow_call_rate_threshold: 100.0,
                wait_in_open: Duration::from_secs(60),
                wait_multiplier: 1.0,
                max_wait_in_open: Duration::from_secs(60),
                half_open_calls: 10,
                throttled_is_failure: false,
            },
            max_wait_set: false,
            clock: Clock::Tokio,
        }
    }
}

impl CircuitBreakerBuilder {
    /// The sliding window. Default `Count(100)`.
    pub fn sliding_window(mut self, window: SlidingWindow) -> Self {
        self.config.window = window;
        self
    }

    /// Calls the window must hold before rates are judged (capped at a count window's
    /// size). Default 100.
    pub fn minimum_calls(mut self, n: u32) -> Self {
        self.config.minimum_calls = n;
        self
    }

    /// Failure rate in percent at or above which the breaker opens. Default 50.
    pub fn failure_rate_threshold(mut self, percent: f64) -> Self {
        self.config.failure_rate_threshold = percent;
        self
    }

    /// A call taking at least this long is slow. Default 60 s.
    pub fn slow_call_duration(mut self, d: Duration) -> Self {
        self.config.slow_call_duration = d;
        self
    }

    /// Slow-call rate in percent at or above which the breaker opens. Default 100.
    pub fn slow_call_rate_threshold(mut self, percent: f64) -> Self {
        self.config.slow_call_rate_threshold = percent;
        self
    }

    /// Wait in open state before half-open. Default 60 s.
    pub fn wait_in_open(mut self, d: Duration) -> Self {
        self.config.wait_in_open = d;
        self
    }

    /// Grow the wait by `multiplier` for each consecutive opening without closing in
    /// between, up to `max`. Default: multiplier 1 (constant wait).
    pub fn wait_growth(mut self, multiplier: f64, max: Duration) -> Self {
        self.config.wait_multiplier = multiplier.max(1.0);
        self.config.max_wait_in_open = max;
        self.max_wait_set = true;
        self
    }

    /// Trial calls admitted in half-open state. Default 10.
    pub fn permitted_calls_in_half_open(mut self, n: u32) -> Self {
        self.config.half_open_calls = n.max(1);
        self
    }

    /// Count [`Outcome::Throttled`] as a failure. Default false: throttling is the rate
    /// limiter's business and says the server is alive.
    pub fn throttled_is_failure(mut self, yes: bool) -> Self {
        self.config.throttled_is_failure = yes;
        self
    }

    /// The clock to read. Default [`Clock::Tokio`] (follows tokio's paused test clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Build the breaker, closed.
    pub fn build(self) -> CircuitBreaker {
        let mut config = self.config;
        if !self.max_wait_set {
            config.max_wait_in_open = config.wait_in_open;
        }
        config.max_wait_in_open = config.max_wait_in_open.max(config.wait_in_open);
        let (state_tx, _) = watch::channel(State::Closed);
        let window = Window::new(config.window);
        CircuitBreaker {
            inner: Arc::new(Inner {
                config,
                clock: Source::new(self.clock),
                machine: Mutex::new(Machine {
                    phase: Phase::Closed(window),
                    generation: 0,
                    consecutive_opens: 0,
                }),
                state_tx,
                wake: Notify::new(),
            }),
        }
    }
}
