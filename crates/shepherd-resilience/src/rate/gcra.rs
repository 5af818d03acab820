//! GCRA arithmetic for one quota, in nanoseconds since the limiter's epoch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::adaptive::{Adaptive, Cubic};
use super::quota::Quota;

/// One quota: its settings and its theoretical arrival time (TAT) of the next unit.
///
/// The bucket holds `burst` units when `tat <= now`; each unit admitted pushes `tat` one
/// interval later. A cost `c` is admissible at `t` when `max(tat, t) + c·interval − t ≤
/// burst·interval`. Reserving a future `t` and pushing `tat` past it is what makes waiters
/// first-come first-served: a later caller sees the earlier caller's reservation.
///
/// A cost larger than the burst (but within the limit) is admitted once the bucket is
/// full, leaving it in debt; refusing it would stall such a caller forever.
///
/// The TAT is one atomic word, so a single-quota limiter needs no lock (as governor);
/// the arithmetic below is pure, taking a TAT and returning the new one, so the limiter
/// decides how to apply it (a CAS loop for one quota, a lock for two).
#[derive(Debug)]
pub(crate) struct Lane {
    pub(crate) name: &'static str,
    tat: AtomicU64,
    interval: AtomicU64,
    base_interval: u64,
    burst: u64,
    limit: u64,
    cubic: Option<Mutex<Cubic>>,
}

impl Lane {
    pub(crate) fn new(name: &'static str, quota: Quota, adaptive: Option<Adaptive>) -> Self {
        let interval = quota.interval_nanos();
        Self {
            name,
            tat: AtomicU64::new(0),
            interval: AtomicU64::new(interval),
            base_interval: interval,
            burst: quota.burst(),
            limit: quota.limit(),
            cubic: adaptive.map(|a| Mutex::new(Cubic::new(a, 1e9 / interval as f64))),
        }
    }

    /// The largest cost ever admissible.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    pub(crate) fn tat(&self) -> u64 {
        self.tat.load(Ordering::Acquire)
    }

    pub(crate) fn store(&self, tat: u64) {
        self.tat.store(tat, Ordering::Release);
    }

    pub(crate) fn compare_exchange(&self, current: u64, new: u64) -> bool {
        self.tat
            .compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn interval(&self) -> u64 {
        self.interval.load(Ordering::Relaxed)
    }

    /// Earliest time a cost of `cost` is admissible, not before `now`.
    pub(crate) fn earliest(&self, tat: u64, cost: u64, now: u64) -> u64 {
        if cost == 0 {
            return now;
        }
        let interval = self.interval();
        let allowance = self.burst.max(cost).saturating_mul(interval);
        tat.saturating_add(cost.saturating_mul(interval))
            .saturating_sub(allowance)
            .max(now)
    }

    /// The TAT after taking `cost` units at `at` (which must be admissible).
    pub(crate) fn commit(&self, tat: u64, cost: u64, at: u64) -> u64 {
        if cost == 0 {
            return tat;
        }
        tat.max(at)
            .saturating_add(cost.saturating_mul(self.interval()))
    }

    /// The TAT after giving `units` back; the bucket never holds more than its burst.
    pub(crate) fn refund(&self, tat: u64, units: u64, now: u64) -> u64 {
        tat.saturating_sub(units.saturating_mul(self.interval()))
            .max(now)
    }

    /// The TAT after charging `units` more without waiting.
    pub(crate) fn charge(&self, tat: u64, units: u64, now: u64) -> u64 {
        tat.max(now)
            .saturating_add(units.saturating_mul(self.interval()))
    }

    /// Units available at `now`.
    pub(crate) fn available(&self, now: u64) -> u64 {
        let debt = self.tat().saturating_sub(now).div_ceil(self.interval());
        self.burst.saturating_sub(debt)
    }

    /// The TAT once the server said only `remaining` units are left; with none left,
    /// nothing before `reset` from now.
    pub(crate) fn clamp_remaining(
        &self,
        tat: u64,
        remaining: u64,
        reset: Option<u64>,
        now: u64,
    ) -> u64 {
        let interval = self.interval();
        let remaining = remaining.min(self.burst);
        let mut floor = now.saturating_add((self.burst - remaining).saturating_mul(interval));
        if remaining == 0
            && let Some(reset) = reset
        {
            floor = floor.max(block_floor(now, reset, self.burst, interval));
        }
        tat.max(floor)
    }

    /// The TAT that admits nothing before `now + wait`.
    pub(crate) fn block_for(&self, tat: u64, wait: u64, now: u64) -> u64 {
        tat.max(block_floor(now, wait, self.burst, self.interval()))
    }

    pub(crate) fn on_throttle(&self, now: u64) {
        self.adapt(|cubic| cubic.on_throttle(now));
    }

    pub(crate) fn on_success(&self, now: u64) {
        self.adapt(|cubic| cubic.on_success(now));
    }

    fn adapt(&self, f: impl FnOnce(&mut Cubic)) {
        if let Some(cubic) = &self.cubic {
            let mut cubic = cubic.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut cubic);
            // Float to integer: the rate is clamped positive, so the interval is finite.
            let interval = ((1e9 / cubic.rate()).ceil() as u64).max(self.base_interval);
            self.interval.store(interval, Ordering::Relaxed);
        }
    }

    /// The current rate in units per second.
    pub(crate) fn rate(&self) -> f64 {
        1e9 / self.interval() as f64
    }
}

fn block_floor(now: u64, wait: u64, burst: u64, interval: u64) -> u64 {
    now.saturating_add(wait)
        .saturating_add((burst - 1).saturating_mul(interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(limit: u64, burst: u64) -> Lane {
        Lane::new("requests", Quota::per_second(limit).with_burst(burst), None)
    }

    #[test]
    fn burst_then_steady() {
        // 10/s with burst 4: interval = 1 s / 7.
        let l = lane(10, 4);
        let i = l.interval();
        for _ in 0..4 {
            assert_eq!(l.earliest(l.tat(), 1, 0), 0);
            l.store(l.commit(l.tat(), 1, 0));
        }
        assert_eq!(l.earliest(l.tat(), 1, 0), i);
        assert_eq!(l.available(0), 0);
        assert_eq!(l.available(i), 1);
    }

    #[test]
    fn a_cost_over_the_burst_waits_for_a_full_bucket_then_goes_into_debt() {
        let l = lane(10, 4);
        let i = l.interval();
        l.store(l.commit(l.tat(), 1, 0));
        assert_eq!(
            l.earliest(l.tat(), 6, 0),
            i,
            "full again one interval later"
        );
        l.store(l.commit(l.tat(), 6, i));
        assert_eq!(l.available(i), 0);
        // Debt of 2 units beyond the empty bucket: the next unit waits 3 intervals.
        assert_eq!(l.earliest(l.tat(), 1, i), i + 3 * i);
    }

    #[test]
    fn refund_and_charge() {
        let l = lane(10, 10);
        l.store(l.commit(l.tat(), 10, 0));
        assert_eq!(l.available(0), 0);
        l.store(l.refund(l.tat(), 4, 0));
        assert_eq!(l.available(0), 4);
        l.store(l.charge(l.tat(), 2, 0));
        assert_eq!(l.available(0), 2);
        l.store(l.refund(l.tat(), 100, 0));
        assert_eq!(l.available(0), 10);
    }

    #[test]
    fn remaining_clamps() {
        let l = lane(10, 10);
        l.store(l.clamp_remaining(l.tat(), 3, None, 0));
        assert_eq!(l.available(0), 3);
        l.store(l.clamp_remaining(l.tat(), 0, Some(5_000_000_000), 0));
        assert_eq!(l.earliest(l.tat(), 1, 0), 5_000_000_000);
    }
}
