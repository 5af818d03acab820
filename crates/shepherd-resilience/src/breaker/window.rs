//! Sliding windows of call outcomes: the last N calls, or the last N seconds.

use std::collections::VecDeque;
use std::time::Duration;

/// Which calls the failure and slow-call rates are computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlidingWindow {
    /// The last `n` recorded calls.
    Count(u32),
    /// The calls of the last `d`, kept in one-second buckets (`d` rounds up to whole seconds).
    Time(Duration),
}

/// Totals over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) calls: u32,
    pub(crate) failures: u32,
    pub(crate) slow: u32,
}

impl Totals {
    fn add(&mut self, failed: bool, slow: bool) {
        self.calls += 1;
        self.failures += u32::from(failed);
        self.slow += u32::from(slow);
    }

    pub(crate) fn failure_rate(&self) -> f64 {
        rate(self.failures, self.calls)
    }

    pub(crate) fn slow_rate(&self) -> f64 {
        rate(self.slow, self.calls)
    }
}

fn rate(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bucket {
    second: u64,
    totals: Totals,
}

/// The recorded outcomes.
#[derive(Debug, Clone)]
pub(crate) enum Window {
    Count {
        size: usize,
        calls: VecDeque<(bool, bool)>,
        totals: Totals,
    },
    Time {
        buckets: Vec<Bucket>,
    },
}

impl Window {
    pub(crate) fn new(kind: SlidingWindow) -> Self {
        match kind {
            SlidingWindow::Count(n) => {
                let size = usize::try_from(n.max(1)).unwrap_or(usize::MAX);
                Window::Count {
                    size,
                    calls: VecDeque::with_capacity(size.min(4096)),
                    totals: Totals::default(),
                }
            }
            SlidingWindow::Time(d) => {
                let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
                let len = usize::try_from(secs.max(1)).unwrap_or(usize::MAX);
                Window::Time {
                    buckets: vec![Bucket::default(); len],
                }
            }
        }
    }

    /// Record one call at `second` (seconds since the breaker's epoch).
    pub(crate) fn record(&mut self, failed: bool, slow: bool, second: u64) {
        match self {
            Window::Count {
                size,
                calls,
                totals,
            } => {
                if calls.len() == *size
                    && let Some((f, s)) = calls.pop_front()
                {
                    totals.calls -= 1;
                    totals.failures -= u32::from(f);
                    totals.slow -= u32::from(s);
                }
                calls.push_back((failed, slow));
                totals.add(failed, slow);
            }
            Window::Time { buckets } => {
                let len = buckets.len() as u64;
                let index = usize::try_from(second % len).unwrap_or(0);
                let bucket = &mut buckets[index];
                if bucket.second != second {
                    *bucket = Bucket {
                        second,
                        totals: Totals::default(),
                    };
                }
                bucket.totals.add(failed, slow);
            }
        }
    }

    /// Totals over the calls still inside the window at `second`.
    pub(crate) fn totals(&self, second: u64) -> Totals {
        match self {
            Window::Count { totals, .. } => *totals,
            Window::Time { buckets } => {
                let len = buckets.len() as u64;
                let mut sum = Totals::default();
                for b in buckets {
                    if b.second <= second && second - b.second < len {
                        sum.calls += b.totals.calls;
                        sum.failures += b.totals.failures;
                        sum.slow += b.totals.slow;
                    }
                }
                sum
            }
        }
    }

    /// The most calls the window can hold (count windows only).
    pub(crate) fn capacity(&self) -> Option<u32> {
        match self {
            Window::Count { size, .. } => Some(u32::try_from(*size).unwrap_or(u32::MAX)),
            Window::Time { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_window_slides() {
        let mut w = Window::new(SlidingWindow::Count(3));
        w.record(true, false, 0);
        w.record(true, true, 0);
        w.record(false, false, 0);
        assert_eq!(w.totals(0).failures, 2);
        w.record(false, false, 0);
        let t = w.totals(0);
        assert_eq!((t.calls, t.failures, t.slow), (3, 1, 1));
    }

    #[test]
    fn time_window_expires_old_buckets() {
        let mut w = Window::new(SlidingWindow::Time(Duration::from_secs(3)));
        w.record(true, false, 10);
        w.record(false, false, 11);
        assert_eq!(w.totals(12).calls, 2);
        assert_eq!(w.totals(13).calls, 1);
        w.record(false, false, 13); // reuses bucket of second 10
        assert_eq!(w.totals(13).failures, 0);
        assert_eq!(w.totals(20).calls, 0);
    }
}
