//! Circuit breaker over a time-based window, and slow-call detection.

use std::time::Duration;

use shepherd_resilience::Outcome;
use shepherd_resilience::breaker::{CircuitBreaker, SlidingWindow, State};

const SEC: Duration = Duration::from_secs(1);

fn record(b: &CircuitBreaker, outcome: Outcome) {
    b.try_acquire().expect("admitted").record(outcome);
}

#[tokio::test(start_paused = true)]
async fn failures_older_than_the_window_no_longer_count() {
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Time(10 * SEC))
        .minimum_calls(4)
        .failure_rate_threshold(50.0)
        .build();
    record(&b, Outcome::Transient);
    record(&b, Outcome::Transient);
    record(&b, Outcome::Transient);
    tokio::time::advance(11 * SEC).await;
    // The three failures expired: 1 failure + 3 successes = 25%.
    record(&b, Outcome::Success);
    record(&b, Outcome::Success);
    record(&b, Outcome::Success);
    record(&b, Outcome::Transient);
    assert_eq!(b.state(), State::Closed);
    // Two more failures within the window: 3 of 6 = 50%.
    tokio::time::advance(5 * SEC).await;
    record(&b, Outcome::Transient);
    assert_eq!(b.state(), State::Closed, "2 of 5");
    record(&b, Outcome::Transient);
    assert_eq!(b.state(), State::Open, "3 of 6");
}

#[tokio::test(start_paused = true)]
async fn failures_spread_inside_the_window_add_up() {
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Time(60 * SEC))
        .minimum_calls(5)
        .failure_rate_threshold(100.0)
        .build();
    for _ in 0..4 {
        record(&b, Outcome::Transient);
        tokio::time::advance(14 * SEC).await;
    }
    assert_eq!(b.state(), State::Closed);
    record(&b, Outcome::Transient); // at 56 s: all five inside the minute
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn slow_calls_open_the_breaker_even_when_they_succeed() {
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Time(60 * SEC))
        .minimum_calls(4)
        .slow_call_duration(2 * SEC)
        .slow_call_rate_threshold(75.0)
        .build();
    let slow_success = || async {
        let p = b.try_acquire().expect("admitted");
        tokio::time::advance(3 * SEC).await;
        p.record(Outcome::Success);
    };
    slow_success().await;
    slow_success().await;
    record(&b, Outcome::Success); // fast
    slow_success().await;
    assert_eq!(b.state(), State::Open, "3 of 4 slow = 75%");
}

#[tokio::test(start_paused = true)]
async fn a_slow_half_open_trial_reopens() {
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Time(60 * SEC))
        .minimum_calls(2)
        .slow_call_duration(2 * SEC)
        .slow_call_rate_threshold(50.0)
        .wait_in_open(5 * SEC)
        .permitted_calls_in_half_open(2)
        .build();
    record(&b, Outcome::Transient);
    record(&b, Outcome::Transient);
    assert_eq!(b.state(), State::Open);
    tokio::time::advance(5 * SEC).await;
    let slow = b.try_acquire().expect("trial");
    record(&b, Outcome::Success);
    tokio::time::advance(2 * SEC).await;
    slow.record(Outcome::Success);
    assert_eq!(b.state(), State::Open, "1 of 2 trials slow = 50%");
}
