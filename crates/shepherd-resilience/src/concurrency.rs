//! A concurrency limiter (bulkhead): at most N calls in flight, a bounded and prioritised
//! wait queue, and permits that live as long as their holder.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::Error;

/// Which queue a waiter joins. Freed permits go to the oldest waiter of the highest
/// non-empty class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    /// Served first (interactive requests).
    High,
    /// The default.
    #[default]
    Normal,
    /// Served last (background batch work).
    Low,
}

impl Priority {
    fn index(self) -> usize {
        match self {
            Priority::High => 0,
            Priority::Normal => 1,
            Priority::Low => 2,
        }
    }
}

/// At most `max` permits out at once; callers beyond that wait in a bounded queue.
///
/// A [`ConcurrencyPermit`] is an owned guard: move it into a response stream and the slot
/// stays taken until the stream is dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_resilience::concurrency::{ConcurrencyLimiter, Priority};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), shepherd_resilience::Error> {
/// let limiter = ConcurrencyLimiter::builder(2)
///     .queue_capacity(100)
///     .acquire_timeout(Duration::from_secs(5))
///     .build();
/// let permit = limiter.acquire(Priority::High).await?;
/// assert_eq!(limiter.in_flight(), 1);
/// drop(permit);
/// assert_eq!(limiter.in_flight(), 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ConcurrencyLimiter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    max: usize,
    queue_capacity: usize,
    acquire_timeout: Option<Duration>,
    state: Mutex<Slots>,
}

#[derive(Debug)]
struct Slots {
    available: usize,
    queues: [VecDeque<oneshot::Sender<ConcurrencyPermit>>; 3],
}

impl Slots {
    fn queued(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    // Waiters that gave up (timeout, cancellation) leave a closed sender behind.
    fn prune(&mut self) {
        for q in &mut self.queues {
            q.retain(|tx| !tx.is_closed());
        }
    }
}

impl Inner {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ConcurrencyLimiter {
    /// At most `max` in flight, with the default queue (1,024 waiters, no timeout).
    pub fn new(max: usize) -> Self {
        Self::builder(max).build()
    }

    /// A builder for at most `max` in flight.
    pub fn builder(max: usize) -> ConcurrencyLimiterBuilder {
        ConcurrencyLimiterBuilder {
            max,
            queue_capacity: 1024,
            acquire_timeout: None,
        }
    }

    /// Take a permit if one is free and nobody is waiting.
    pub fn try_acquire(&self) -> Option<ConcurrencyPermit> {
        let mut slots = self.inner.slots();
        if slots.available > 0 {
            slots.available -= 1;
            Some(self.permit())
        } else {
            None
        }
    }

    /// Wait for a permit in the `priority` queue.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up the place in the queue; a permit handed over at that
    /// moment goes on to the next waiter.
    ///
    /// # Errors
    ///
    /// [`Error::QueueFull`] at once if the queue is full; [`Error::AcquireTimeout`] if the
    /// acquire timeout passes first.
    pub async fn acquire(&self, priority: Priority) -> Result<ConcurrencyPermit, Error> {
        let rx = {
            let mut slots = self.inner.slots();
            if slots.available > 0 {
                slots.available -= 1;
                return Ok(self.permit());
            }
            if slots.queued() >= self.inner.queue_capacity {
                slots.prune();
                if slots.queued() >= self.inner.queue_capacity {
                    return Err(Error::QueueFull {
                        capacity: self.inner.queue_capacity,
                    });
                }
            }
            let (tx, rx) = oneshot::channel();
            slots.queues[priority.index()].push_back(tx);
            rx
        };
        let start = Instant::now();
        let received = match self.inner.acquire_timeout {
            Some(limit) => match tokio::time::timeout_at(start + limit, rx).await {
                Ok(received) => received,
                Err(_) => {
                    return Err(Error::AcquireTimeout {
                        waited: start.elapsed(),
                    });
                }
            },
            None => rx.await,
        };
        // The sender lives in the queue until it is sent on, so it cannot be dropped unsent.
        received.map_err(|_| Error::AcquireTimeout {
            waited: start.elapsed(),
        })
    }

    /// Permits out now.
    pub fn in_flight(&self) -> usize {
        self.inner.max - self.inner.slots().available
    }

    /// Callers waiting now (may count a few that just gave up).
    pub fn queued(&self) -> usize {
        self.inner.slots().queued()
    }

    /// The maximum in flight.
    pub fn max(&self) -> usize {
        self.inner.max
    }

    fn permit(&self) -> ConcurrencyPermit {
        ConcurrencyPermit {
            inner: Some(self.inner.clone()),
        }
    }
}

fn release(inner: &Arc<Inner>) {
    loop {
        let next = {
            let mut slots = inner.slots();
            let next = slots.queues.iter_mut().find_map(VecDeque::pop_front);
            if next.is_none() {
                slots.available += 1;
            }
            next
        };
        let Some(tx) = next else {
            return;
        };
        // Hand the slot over directly, so nobody can barge in between release and wake-up.
        match tx.send(ConcurrencyPermit {
            inner: Some(inner.clone()),
        }) {
            Ok(()) => return,
            Err(mut unsent) => {
                // That waiter is gone: defuse this permit and try the next one.
                unsent.inner = None;
            }
        }
    }
}

/// One slot of a [`ConcurrencyLimiter`], released when dropped.
#[derive(Debug)]
#[must_use = "the slot is released as soon as the permit is dropped"]
pub struct ConcurrencyPermit {
    inner: Option<Arc<Inner>>,
}

impl Drop for ConcurrencyPermit {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            release(&inner);
        }
    }
}

/// Builds a [`ConcurrencyLimiter`]. Defaults: queue of 1,024 waiters, no acquire timeout.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimiterBuilder {
    max: usize,
    queue_capacity: usize,
    acquire_timeout: Option<Duration>,
}

impl ConcurrencyLimiterBuilder {
    /// Most callers allowed to wait; one more gets [`Error::QueueFull`]. Default 1,024.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n;
        self
    }

    /// Longest wait for a permit before [`Error::AcquireTimeout`]. Default none.
    pub fn acquire_timeout(mut self, d: Duration) -> Self {
        self.acquire_timeout = Some(d);
        self
    }

    /// Build the limiter.
    pub fn build(self) -> ConcurrencyLimiter {
        ConcurrencyLimiter {
            inner: Arc::new(Inner {
                max: self.max,
                queue_capacity: self.queue_capacity,
                acquire_timeout: self.acquire_timeout,
                state: Mutex::new(Slots {
                    available: self.max,
                    queues: [VecDeque::new(), VecDeque::new(), VecDeque::new()],
                }),
            }),
        }
    }
}
