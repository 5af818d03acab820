//! Rate limiting over a requests quota and a tokens quota, acquired together.
//!
//! [`RateLimiter`] is a GCRA (generic cell rate algorithm) limiter: each quota is one
//! "theoretical arrival time", so admitting a call is a few integer operations under an
//! uncontended lock. Async [`acquire`](RateLimiter::acquire) reserves its slot *before*
//! sleeping, which makes waiters first-come first-served (a large cost is never starved
//! by a stream of small ones: they queue behind its reservation) and needs no polling.
//! Both quotas are checked and charged under one lock, so there are no partial holds and
//! no lock-ordering deadlocks.

mod adaptive;
mod gcra;
mod quota;

pub use crate::clock::Clock;
pub use adaptive::Adaptive;
pub use quota::Quota;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::Source;
use crate::error::Error;
use gcra::Lane;

/// What one call takes from the limiter: requests and tokens.
///
/// A zero component is not checked against its quota. The default is one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Requests (usually 1).
    pub requests: u64,
    /// Tokens (an estimate until [`Reservation::reconcile`]).
    pub tokens: u64,
}

impl Default for Cost {
    fn default() -> Self {
        Self::request()
    }
}

impl Cost {
    /// One request, no tokens.
    pub const fn request() -> Self {
        Self {
            requests: 1,
            tokens: 0,
        }
    }

    /// One request with an estimate of `tokens`.
    pub const fn request_with_tokens(tokens: u64) -> Self {
        Self {
            requests: 1,
            tokens,
        }
    }

    /// Only tokens.
    pub const fn tokens(tokens: u64) -> Self {
        Self {
            requests: 0,
            tokens,
        }
    }
}

/// What a server said about its limits, from response headers (parse them with
/// `shepherd-types`' `ratelimit` module; this crate knows no HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerLimits {
    /// Requests left in the server's window (`x-ratelimit-remaining-requests`).
    pub remaining_requests: Option<u64>,
    /// Time until the requests quota resets (`x-ratelimit-reset-requests`).
    pub reset_requests: Option<Duration>,
    /// Tokens left (`x-ratelimit-remaining-tokens`).
    pub remaining_tokens: Option<u64>,
    /// Time until the tokens quota resets (`x-ratelimit-reset-tokens`).
    pub reset_tokens: Option<Duration>,
}

/// A rate limiter over up to two quotas (requests, tokens). Cheap to clone: clones share
/// state.
///
/// # Examples
///
/// ```
/// use shepherd_resilience::rate::{Cost, Quota, RateLimiter};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), shepherd_resilience::Error> {
/// let limiter = RateLimiter::builder()
///     .requests(Quota::per_minute(500))
///     .tokens(Quota::per_minute(200_000).with_burst(20_000))
///     .build();
/// let reservation = limiter.acquire(Cost::request_with_tokens(800)).await?;
/// // ... the call used 300 tokens: give the other 500 back.
/// reservation.reconcile(Cost::request_with_tokens(300));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Source,
    adaptive: bool,
    requests: Option<Lane>,
    tokens: Option<Lane>,
    // Serialises updates when two quotas must change together; a single quota is
    // updated with compare-and-swap instead.
    both: Mutex<()>,
}

/// The TATs of the (requests, tokens) quotas; an absent quota's is ignored.
type Tats = [u64; 2];

impl Inner {
    fn lanes(&self) -> [Option<&Lane>; 2] {
        [self.requests.as_ref(), self.tokens.as_ref()]
    }

    fn check_capacity(&self, cost: Cost) -> Result<(), Error> {
        for (lane, cost) in self.lanes().into_iter().zip([cost.requests, cost.tokens]) {
            if let Some(lane) = lane
                && cost > lane.limit()
            {
                return Err(Error::OverCapacity {
                    quota: lane.name,
                    cost,
                    capacity: lane.limit(),
                });
            }
        }
        Ok(())
    }

    /// Earliest time `cost` fits every quota.
    fn earliest(&self, tats: Tats, cost: Cost, now: u64) -> u64 {
        let mut at = now;
        for ((lane, tat), cost) in self
            .lanes()
            .into_iter()
            .zip(tats)
            .zip([cost.requests, cost.tokens])
        {
            if let Some(lane) = lane {
                at = at.max(lane.earliest(tat, cost, now));
            }
        }
        at
    }

    /// Apply `f` to every present quota's TAT with that quota's share of `cost`.
    fn map(&self, tats: Tats, cost: Cost, f: impl Fn(&Lane, u64, u64) -> u64) -> Tats {
        let mut out = tats;
        for (i, lane) in self.lanes().into_iter().enumerate() {
            if let Some(lane) = lane {
                out[i] = f(lane, tats[i], [cost.requests, cost.tokens][i]);
            }
        }
        out
    }

    /// Read the TATs, let `f` compute new ones (or decline with `None`), and store them as
    /// one atomic step. `f` may run more than once, so it must not have side effects.
    fn transact<R>(&self, mut f: impl FnMut(Tats) -> (Option<Tats>, R)) -> R {
        match (&self.requests, &self.tokens) {
            (Some(a), Some(b)) => {
                let _both = self.both.lock().unwrap_or_else(PoisonError::into_inner);
                let (new, result) = f([a.tat(), b.tat()]);
                if let Some([ta, tb]) = new {
                    a.store(ta);
                    b.store(tb);
                }
                result
            }
            (Some(lane), None) | (None, Some(lane)) => {
                let index = usize::from(self.requests.is_none());
                loop {
                    let current = lane.tat();
                    let mut tats = [0; 2];
                    tats[index] = current;
                    let (new, result) = f(tats);
                    match new {
                        Some(new) if new[index] != current => {
                            if lane.compare_exchange(current, new[index]) {
                                return result;
                            }
                        }
                        _ => return result,
                    }
                }
            }
            (None, None) => f([0; 2]).1,
        }
    }
}

impl RateLimiter {
    /// A builder; with no quota the limiter admits everything.
    pub fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder::default()
    }

    /// A limiter with one requests quota.
    pub fn requests(quota: Quota) -> Self {
        Self::builder().requests(quota).build()
    }

    fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    pub(crate) fn uses_tokio_clock(&self) -> bool {
        self.inner.clock.is_tokio()
    }

    /// Take `cost` now if every quota has room, without waiting.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] with the wait after which the same cost would be admitted
    /// (if nobody else takes the room first), or [`Error::OverCapacity`].
    pub fn try_acquire(&self, cost: Cost) -> Result<(), Error> {
        let inner = &*self.inner;
        inner.check_capacity(cost)?;
        let now = self.now();
        inner.transact(|tats| {
            let at = inner.earliest(tats, cost, now);
            if at > now {
                let retry_in = Duration::from_nanos(at - now);
                return (None, Err(Error::RateLimited { retry_in }));
            }
            (
                Some(inner.map(tats, cost, |l, t, c| l.commit(t, c, now))),
                Ok(()),
            )
        })
    }

    /// Wait until `cost` fits in every quota, then take it.
    ///
    /// # Cancel safety
    ///
    /// The slot is reserved when this is first polled. If the future is dropped before
    /// the slot's time, the reservation is given back to the quotas.
    ///
    /// # Errors
    ///
    /// [`Error::OverCapacity`] at once if the cost exceeds a quota's limit.
    pub async fn acquire(&self, cost: Cost) -> Result<Reservation, Error> {
        self.acquire_at(cost, None).await.map(|(r, _)| r)
    }

    /// `acquire` from a clock reading the caller already has; also says whether it waited.
    pub(crate) async fn acquire_at(
        &self,
        cost: Cost,
        instant: Option<Instant>,
    ) -> Result<(Reservation, bool), Error> {
        let inner = &*self.inner;
        inner.check_capacity(cost)?;
        let now = match instant {
            Some(instant) => inner.clock.at(instant),
            None => self.now(),
        };
        let at = inner.transact(|tats| {
            let at = inner.earliest(tats, cost, now);
            (
                Some(inner.map(tats, cost, |l, t, c| l.commit(t, c, at))),
                at,
            )
        });
        let waited = at > now;
        if waited {
            let mut pending = PendingRefund {
                limiter: self,
                cost,
                armed: true,
            };
            tokio::time::sleep_until(inner.clock.deadline(at)).await;
            pending.armed = false;
        }
        let reservation = Reservation {
            limiter: self.clone(),
            cost,
        };
        Ok((reservation, waited))
    }

    /// Correct a charge made from an estimate: refund what was not used, or charge the
    /// excess (without waiting; later callers wait for it).
    pub fn reconcile(&self, estimated: Cost, actual: Cost) {
        let now = self.now();
        let inner = &*self.inner;
        inner.transact(|tats| {
            let mut out = tats;
            for (i, lane) in inner.lanes().into_iter().enumerate() {
                let est = [estimated.requests, estimated.tokens][i];
                let act = [actual.requests, actual.tokens][i];
                if let Some(lane) = lane {
                    out[i] = if act > est {
                        lane.charge(tats[i], act - est, now)
                    } else {
                        lane.refund(tats[i], est - act, now)
                    };
                }
            }
            (Some(out), ())
        });
    }

    /// Give back a cost that was taken but not used.
    pub fn refund(&self, cost: Cost) {
        let now = self.now();
        let inner = &*self.inner;
        inner.transact(|tats| {
            (
                Some(inner.map(tats, cost, |l, t, c| l.refund(t, c, now))),
                (),
            )
        });
    }

    /// Feed the server's view of its limits (from response headers): the limiter never
    /// believes it has more room than the server says is left, so it slows down before the
    /// server starts refusing.
    pub fn observe(&self, limits: ServerLimits) {
        let now = self.now();
        let inner = &*self.inner;
        let remaining = [limits.remaining_requests, limits.remaining_tokens];
        let reset = [limits.reset_requests, limits.reset_tokens].map(|r| r.map(nanos));
        inner.transact(|tats| {
            let mut out = tats;
            for (i, lane) in inner.lanes().into_iter().enumerate() {
                if let (Some(lane), Some(rem)) = (lane, remaining[i]) {
                    out[i] = lane.clamp_remaining(tats[i], rem, reset[i], now);
                }
            }
            (Some(out), ())
        });
    }

    /// The server refused with a throttle (429). Admits nothing before `retry_after`, if
    /// given, and in adaptive mode cuts the rate.
    pub fn on_throttled(&self, retry_after: Option<Duration>) {
        let now = self.now();
        let inner = &*self.inner;
        for lane in inner.lanes().into_iter().flatten() {
            lane.on_throttle(now);
        }
        if let Some(wait) = retry_after.map(nanos) {
            let all = Cost {
                requests: 1,
                tokens: 1,
            };
            inner.transact(|tats| {
                (
                    Some(inner.map(tats, all, |l, t, _| l.block_for(t, wait, now))),
                    (),
                )
            });
        }
        tracing::debug!(?retry_after, "rate limiter throttled by server");
    }

    /// A call succeeded: in adaptive mode the rate probes back up.
    pub fn on_success(&self) {
        if !self.inner.adaptive {
            return;
        }
        let now = self.now();
        for lane in self.inner.lanes().into_iter().flatten() {
            lane.on_success(now);
        }
    }

    /// Current steady rates in units per second (requests, tokens); `None` for an absent
    /// quota. Lower than configured while adaptive mode is backing off.
    pub fn rates(&self) -> (Option<f64>, Option<f64>) {
        let [r, t] = self.inner.lanes().map(|l| l.map(Lane::rate));
        (r, t)
    }

    /// Units available without waiting now (requests, tokens).
    pub fn available(&self) -> (Option<u64>, Option<u64>) {
        let now = self.now();
        let [r, t] = self.inner.lanes().map(|l| l.map(|l| l.available(now)));
        (r, t)
    }
}

/// Gives a reservation back if an [`acquire`](RateLimiter::acquire) is dropped while
/// waiting for its slot.
struct PendingRefund<'a> {
    limiter: &'a RateLimiter,
    cost: Cost,
    armed: bool,
}

impl Drop for PendingRefund<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.limiter.refund(self.cost);
        }
    }
}

/// A cost taken from a [`RateLimiter`], which can be corrected once real usage is known.
/// Dropping it keeps the charge.
#[derive(Debug)]
pub struct Reservation {
    limiter: RateLimiter,
    cost: Cost,
}

impl Reservation {
    /// What was charged.
    pub fn cost(&self) -> Cost {
        self.cost
    }

    /// Replace the estimate with the actual usage: estimated 800 tokens and used 300
    /// returns 500; used 1,200 charges 400 more.
    pub fn reconcile(self, actual: Cost) {
        self.limiter.reconcile(self.cost, actual);
    }

    /// Give the whole charge back (the call was never sent).
    pub fn cancel(self) {
        self.limiter.refund(self.cost);
    }
}

/// Builds a [`RateLimiter`]. Defaults: no quotas (admit everything), not adaptive,
/// [`Clock::Tokio`].
#[derive(Debug, Clone, Default)]
pub struct RateLimiterBuilder {
    requests: Option<Quota>,
    tokens: Option<Quota>,
    adaptive: Option<Adaptive>,
    clock: Clock,
}

impl RateLimiterBuilder {
    /// Limit requests.
    pub fn requests(mut self, quota: Quota) -> Self {
        self.requests = Some(quota);
        self
    }

    /// Limit tokens.
    pub fn tokens(mut self, quota: Quota) -> Self {
        self.tokens = Some(quota);
        self
    }

    /// Cut the rate on throttles and probe back up on successes (CUBIC, as in the AWS
    /// SDK's adaptive retry mode). The configured quotas remain the ceiling.
    pub fn adaptive(mut self, adaptive: Adaptive) -> Self {
        self.adaptive = Some(adaptive);
        self
    }

    /// The clock to read. Default [`Clock::Tokio`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Build the limiter; every quota starts full.
    pub fn build(self) -> RateLimiter {
        RateLimiter {
            inner: Arc::new(Inner {
                clock: Source::new(self.clock),
                adaptive: self.adaptive.is_some(),
                requests: self
                    .requests
                    .map(|q| Lane::new("requests", q, self.adaptive)),
                tokens: self.tokens.map(|q| Lane::new("tokens", q, self.adaptive)),
                both: Mutex::new(()),
            }),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
