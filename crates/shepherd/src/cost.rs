//! Spending: a shared tracker of cost by model and target, and a budget that refuses in advance.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::Error;

/// Cost totals shared by a client and its clones.
///
/// A request reserves its estimated cost before it is sent; the reservation is
/// replaced by the real cost when the response arrives, or released when the
/// request fails. With a limit set, a request whose estimate would take
/// spent + reserved over the limit is refused before it is sent — so a budget
/// holds even with hundreds of requests in flight.
///
/// # Examples
///
/// ```
/// use shepherd::CostTracker;
///
/// let costs = CostTracker::new(Some(1.0));
/// let reservation = costs.reserve(0.25).unwrap();
/// reservation.commit("gpt-4.1", "openai", 0.20);
/// assert!((costs.snapshot().spent_usd - 0.20).abs() < 1e-9);
/// assert!(costs.reserve(0.9).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct CostTracker {
    inner: Arc<Mutex<State>>,
    limit: Option<f64>,
}

#[derive(Debug, Default)]
struct State {
    spent: f64,
    reserved: f64,
    by_model: BTreeMap<String, f64>,
    by_target: BTreeMap<String, f64>,
    requests_by_model: BTreeMap<String, u64>,
    unpriced: u64,
}

/// A copy of the totals at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostSnapshot {
    /// Spent, USD.
    pub spent_usd: f64,
    /// Reserved by requests in flight, USD.
    pub reserved_usd: f64,
    /// The limit, when set.
    pub limit_usd: Option<f64>,
    /// Spent per model, USD.
    pub by_model: BTreeMap<String, f64>,
    /// Spent per target, USD.
    pub by_target: BTreeMap<String, f64>,
    /// Priced responses per model.
    pub requests_by_model: BTreeMap<String, u64>,
    /// Responses whose model the price table does not know (not counted in `spent_usd`).
    pub unpriced: u64,
}

impl CostTracker {
    /// A tracker with an optional limit in USD.
    pub fn new(limit_usd: Option<f64>) -> Self {
        CostTracker {
            inner: Arc::new(Mutex::new(State::default())),
            limit: limit_usd,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reserves `estimate_usd` for a request about to be sent.
    ///
    /// # Errors
    ///
    /// [`Error::Budget`] when spent + reserved + estimate exceeds the limit.
    pub fn reserve(&self, estimate_usd: f64) -> Result<CostReservation, Error> {
        let estimate = estimate_usd.max(0.0);
        let mut state = self.state();
        if let Some(limit) = self.limit
            && state.spent + state.reserved + estimate > limit
        {
            return Err(Error::Budget {
                spent: state.spent,
                reserved: state.reserved,
                estimate,
                limit,
            });
        }
        state.reserved += estimate;
        Ok(CostReservation {
            tracker: self.clone(),
            estimate,
            done: false,
        })
    }

    /// Records a cost that was not reserved (or a response the price table cannot price, with `None`).
    pub fn record(&self, model: &str, target: &str, usd: Option<f64>) {
        let mut state = self.state();
        match usd {
            Some(usd) => {
                state.spent += usd;
                *state.by_model.entry(model.to_owned()).or_default() += usd;
                *state.by_target.entry(target.to_owned()).or_default() += usd;
                *state.requests_by_model.entry(model.to_owned()).or_default() += 1;
            }
            None => state.unpriced += 1,
        }
    }

    /// True when a limit is set and spent + reserved has reached it.
    pub fn is_exhausted(&self) -> bool {
        let state = self.state();
        self.limit
            .is_some_and(|limit| state.spent + state.reserved >= limit)
    }

    /// The totals now.
    pub fn snapshot(&self) -> CostSnapshot {
        let state = self.state();
        CostSnapshot {
            spent_usd: state.spent,
            reserved_usd: state.reserved,
            limit_usd: self.limit,
            by_model: state.by_model.clone(),
            by_target: state.by_target.clone(),
            requests_by_model: state.requests_by_model.clone(),
            unpriced: state.unpriced,
        }
    }
}

/// A reserved estimate; released on drop unless committed.
#[derive(Debug)]
pub struct CostReservation {
    tracker: CostTracker,
    estimate: f64,
    done: bool,
}

impl CostReservation {
    /// Replaces the reservation by the real cost.
    pub fn commit(mut self, model: &str, target: &str, usd: f64) {
        self.release();
        self.tracker.record(model, target, Some(usd));
    }

    fn release(&mut self) {
        if !self.done {
            self.done = true;
            let mut state = self.tracker.state();
            state.reserved = (state.reserved - self.estimate).max(0.0);
        }
    }
}

impl Drop for CostReservation {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_reservation_is_released() {
        let costs = CostTracker::new(Some(1.0));
        {
            let _r = costs.reserve(0.8).expect("fits");
            assert!(costs.reserve(0.3).is_err());
        }
        assert!(costs.reserve(0.3).is_ok());
        assert_eq!(costs.snapshot().spent_usd, 0.0);
    }

    #[test]
    fn unpriced_is_counted_not_zeroed() {
        let costs = CostTracker::new(None);
        costs.record("mystery-model", "t", None);
        let snap = costs.snapshot();
        assert_eq!(snap.unpriced, 1);
        assert!(snap.by_model.is_empty());
    }
}
