//! Circuit breaker over a count-based window: thresholds, open, half-open, notifications.

use std::time::Duration;

use shepherd_resilience::Outcome;
use shepherd_resilience::breaker::{CircuitBreaker, SlidingWindow, State};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(10);

fn breaker(half_open: u32) -> CircuitBreaker {
    CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(10))
        .minimum_calls(5)
        .failure_rate_threshold(50.0)
        .wait_in_open(WAIT)
        .permitted_calls_in_half_open(half_open)
        .build()
}

fn record(b: &CircuitBreaker, outcome: Outcome) {
    b.try_acquire().expect("admitted").record(outcome);
}

#[tokio::test(start_paused = true)]
async fn does_not_judge_before_the_minimum_number_of_calls() {
    let b = breaker(2);
    for _ in 0..4 {
        record(&b, Outcome::Transient);
    }
    assert_eq!(b.state(), State::Closed, "4 failures < minimum of 5 calls");
    record(&b, Outcome::Transient);
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn opens_exactly_at_the_failure_rate_threshold() {
    let b = breaker(2);
    // 6 calls: 3 successes, then failures; 2/5 = 40% stays closed, 3/6 = 50% opens.
    for _ in 0..3 {
        record(&b, Outcome::Success);
    }
    record(&b, Outcome::Transient);
    record(&b, Outcome::Permanent);
    assert_eq!(b.state(), State::Closed, "2 of 5 failed: 40%");
    record(&b, Outcome::Transient);
    assert_eq!(b.state(), State::Open, "3 of 6 failed: 50%");
}

#[tokio::test(start_paused = true)]
async fn callers_faults_and_throttles_are_not_failures() {
    let b = breaker(2);
    for _ in 0..20 {
        record(&b, Outcome::DoNotRetry);
        record(&b, Outcome::Throttled);
    }
    assert_eq!(b.state(), State::Closed);

    let strict = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(10))
        .minimum_calls(5)
        .throttled_is_failure(true)
        .build();
    for _ in 0..5 {
        record(&strict, Outcome::Throttled);
    }
    assert_eq!(strict.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn old_outcomes_slide_out_of_the_window() {
    let b = breaker(2);
    let run = |outcome, n| {
        for _ in 0..n {
            record(&b, outcome);
        }
    };
    run(Outcome::Success, 6);
    run(Outcome::Transient, 4);
    run(Outcome::Success, 8);
    run(Outcome::Transient, 4);
    assert_eq!(b.state(), State::Closed, "last 10: 6 successes, 4 failures");
    record(&b, Outcome::Transient);
    // Over all 23 calls only 9 failed (39%); over the last 10, 5 did.
    assert_eq!(b.state(), State::Open);
}

async fn open(b: &CircuitBreaker) {
    for _ in 0..5 {
        record(b, Outcome::Transient);
    }
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn open_rejects_with_the_time_until_the_probe() {
    let b = breaker(2);
    open(&b).await;
    tokio::time::advance(Duration::from_secs(3)).await;
    let err = b.try_acquire().expect_err("open");
    assert!(err.is_breaker_open());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    tokio::time::advance(Duration::from_secs(7)).await;
    assert_eq!(b.state(), State::HalfOpen);
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_the_permitted_calls_then_closes() {
    let b = breaker(3);
    open(&b).await;
    tokio::time::advance(WAIT).await;
    let permits: Vec<_> = (0..3).map(|_| b.try_acquire().expect("trial")).collect();
    let err = b.try_acquire().expect_err("only 3 trials");
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    let mut permits = permits.into_iter();
    permits.next().expect("p").record(Outcome::Success);
    permits.next().expect("p").record(Outcome::Transient);
    assert_eq!(b.state(), State::HalfOpen, "undecided until all 3 report");
    permits.next().expect("p").record(Outcome::Success);
    assert_eq!(b.state(), State::Closed, "1 of 3 failed: 33% < 50%");
    // A fresh window: the old failures are gone.
    for _ in 0..4 {
        record(&b, Outcome::Transient);
    }
    assert_eq!(b.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn failing_trials_reopen_with_a_growing_wait() {
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(10))
        .minimum_calls(5)
        .wait_in_open(WAIT)
        .wait_growth(2.0, Duration::from_secs(25))
        .permitted_calls_in_half_open(1)
        .build();
    open(&b).await;
    let mut expected = [10, 20, 25, 25].into_iter();
    let mut wait = Duration::from_secs(expected.next().expect("first"));
    for next in expected {
        assert_eq!(b.try_acquire().expect_err("open").retry_after(), Some(wait));
        tokio::time::advance(wait).await;
        record(&b, Outcome::Transient);
        assert_eq!(b.state(), State::Open);
        wait = Duration::from_secs(next);
    }
    assert_eq!(b.try_acquire().expect_err("open").retry_after(), Some(wait));
    // Closing resets the growth.
    tokio::time::advance(wait).await;
    record(&b, Outcome::Success);
    assert_eq!(b.state(), State::Closed);
    open(&b).await;
    assert_eq!(b.try_acquire().expect_err("open").retry_after(), Some(WAIT));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_or_ignored_trial_gives_its_slot_back() {
    let b = breaker(1);
    open(&b).await;
    tokio::time::advance(WAIT).await;
    let p = b.try_acquire().expect("trial");
    assert!(b.try_acquire().is_err());
    drop(p); // cancelled call
    let p = b.try_acquire().expect("slot returned");
    p.record(Outcome::DoNotRetry); // the caller's fault says nothing
    assert_eq!(b.state(), State::HalfOpen);
    b.try_acquire()
        .expect("slot returned")
        .record(Outcome::Success);
    assert_eq!(b.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_permit_from_before_a_transition_does_not_vote() {
    let b = breaker(1);
    let stale = b.try_acquire().expect("closed");
    open(&b).await;
    tokio::time::advance(WAIT).await;
    let trial = b.try_acquire().expect("trial");
    stale.record(Outcome::Success);
    assert_eq!(
        b.state(),
        State::HalfOpen,
        "the stale success must not close it"
    );
    trial.record(Outcome::Transient);
    assert_eq!(b.state(), State::Open);
}

#[tokio::test(start_paused = true)]
async fn state_changes_are_notified() {
    let b = breaker(1);
    let mut rx = b.subscribe();
    open(&b).await;
    rx.changed().await.expect("sender alive");
    assert_eq!(*rx.borrow_and_update(), State::Open);
    tokio::time::advance(WAIT).await;
    assert_eq!(b.state(), State::HalfOpen);
    rx.changed().await.expect("sender alive");
    assert_eq!(*rx.borrow_and_update(), State::HalfOpen);
    record(&b, Outcome::Success);
    rx.changed().await.expect("sender alive");
    assert_eq!(*rx.borrow_and_update(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn ready_waits_until_calls_are_admitted_again() {
    let b = breaker(1);
    open(&b).await;
    let start = Instant::now();
    b.ready().await;
    assert_eq!(start.elapsed(), WAIT);
    let trial = b.try_acquire().expect("half-open");

    // The only trial slot is taken: acquire() waits until the trial reports.
    let waiter = tokio::spawn({
        let b = b.clone();
        async move {
            let p = b.acquire().await;
            (Instant::now(), p)
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!waiter.is_finished());
    trial.record(Outcome::Success);
    let (admitted_at, permit) = waiter.await.expect("task");
    assert_eq!(admitted_at - start, WAIT + Duration::from_secs(2));
    permit.record(Outcome::Success);
    assert_eq!(b.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn ready_wakes_when_a_trial_slot_is_released() {
    let b = breaker(1);
    open(&b).await;
    tokio::time::advance(WAIT).await;
    let trial = b.try_acquire().expect("trial");
    let waiter = tokio::spawn({
        let b = b.clone();
        async move { b.ready().await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!waiter.is_finished());
    drop(trial);
    tokio::time::timeout(Duration::from_millis(1), waiter)
        .await
        .expect("woken by the freed slot")
        .expect("task");
}

#[test]
fn the_fast_clock_drives_the_same_state_machine() {
    use shepherd_resilience::Clock;
    let b = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(10))
        .minimum_calls(5)
        .wait_in_open(WAIT)
        .clock(Clock::Fast)
        .build();
    for _ in 0..5 {
        record(&b, Outcome::Transient);
    }
    assert_eq!(b.state(), State::Open);
    let retry_in = b
        .try_acquire()
        .expect_err("open")
        .retry_after()
        .expect("a wait");
    assert!(retry_in > WAIT - Duration::from_secs(1) && retry_in <= WAIT);
}
