//! The composed policy: order of the stack, per-attempt re-acquisition, counters,
//! cancellation.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use shepherd_resilience::breaker::{CircuitBreaker, SlidingWindow, State};
use shepherd_resilience::concurrency::{ConcurrencyLimiter, Priority};
use shepherd_resilience::rate::{Cost, Quota, RateLimiter};
use shepherd_resilience::retry::{Backoff, Jitter, RetryPolicy};
use shepherd_resilience::{CallOptions, Classification, Policy};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Fail(Classification);

fn classify(e: &Fail) -> Classification {
    e.0
}

fn retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .backoff(Backoff::exponential(SEC, SEC).jitter(Jitter::None))
        .seed(5)
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_retry_releases_its_concurrency_slot_while_it_sleeps() {
    let limiter = ConcurrencyLimiter::new(1);
    let policy = Policy::builder(classify)
        .retry(retry(2))
        .concurrency(limiter.clone())
        .build();
    let calls = AtomicU32::new(0);
    let running = tokio::spawn({
        let policy = policy.clone();
        async move {
            let calls = &calls;
            policy
                .call(|_| async move {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err(Fail(Classification::transient()))
                    } else {
                        Ok(())
                    }
                })
                .await
        }
    });
    // During the 1 s backoff another caller can use the only slot.
    tokio::time::sleep(SEC / 2).await;
    assert_eq!(limiter.in_flight(), 0);
    let other = limiter.try_acquire().expect("slot free during backoff");
    drop(other);
    running.await.expect("task").expect("retry succeeds");
    assert_eq!(limiter.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn every_attempt_waits_for_the_rate_limiter() {
    let limiter = RateLimiter::requests(Quota::per_minute(20)); // one per 3 s
    let policy = Policy::builder(classify)
        .retry(retry(3))
        .rate_limiter(limiter)
        .build();
    let start = Instant::now();
    let times = std::sync::Mutex::new(Vec::new());
    let _ = policy
        .call(|_| {
            times.lock().expect("lock").push(start.elapsed());
            async { Err::<(), _>(Fail(Classification::transient())) }
        })
        .await;
    // Backoff is 1 s, but the limiter spaces attempts 3 s apart.
    assert_eq!(
        *times.lock().expect("lock"),
        [Duration::ZERO, 3 * SEC, 6 * SEC]
    );
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_rejects_before_queueing_and_is_counted() {
    let breaker = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(4))
        .minimum_calls(4)
        .wait_in_open(30 * SEC)
        .build();
    let policy = Policy::builder(classify)
        .retry(retry(1))
        .breaker(breaker.clone())
        .build();
    for _ in 0..4 {
        let _ = policy
            .call(|_| async { Err::<(), _>(Fail(Classification::transient())) })
            .await;
    }
    assert_eq!(breaker.state(), State::Open);
    let ran = AtomicU32::new(0);
    let err = policy
        .call(|_| {
            ran.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, Fail>(()) }
        })
        .await
        .expect_err("open");
    assert!(err.is_breaker_open());
    assert_eq!(err.retry_after(), Some(30 * SEC));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    let m = policy.metrics();
    assert_eq!((m.failed, m.rejected_open), (4, 1));
}

#[tokio::test(start_paused = true)]
async fn throttles_feed_the_rate_limiter_and_the_counters() {
    let limiter = RateLimiter::requests(Quota::per_second(100));
    let policy = Policy::builder(classify)
        .retry(retry(2))
        .rate_limiter(limiter.clone())
        .build();
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    policy
        .call(|_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err(Fail(Classification::throttled().with_retry_after(2 * SEC)))
                } else {
                    Ok(())
                }
            }
        })
        .await
        .expect("second attempt");
    assert_eq!(start.elapsed(), 2 * SEC);
    // Other callers of the same limiter were held back too.
    let m = policy.metrics();
    assert_eq!((m.throttled, m.retried, m.succeeded), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn queue_full_and_acquire_timeout_are_counted() {
    let limiter = ConcurrencyLimiter::builder(1)
        .queue_capacity(1)
        .acquire_timeout(SEC)
        .build();
    let policy = Policy::builder(classify)
        .retry(retry(1))
        .concurrency(limiter.clone())
        .build();
    let _held = limiter.acquire(Priority::Normal).await.expect("free");
    let waiting = tokio::spawn({
        let policy = policy.clone();
        async move { policy.call(|_| async { Ok::<_, Fail>(()) }).await }
    });
    tokio::task::yield_now().await;
    let err = policy
        .call(|_| async { Ok::<_, Fail>(()) })
        .await
        .expect_err("queue full");
    assert!(err.is_queue_full());
    let err = waiting.await.expect("task").expect_err("timed out");
    assert!(err.is_acquire_timeout());
    let m = policy.metrics();
    assert_eq!((m.rejected_queue_full, m.timed_out), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn the_call_can_keep_its_permit_for_a_stream() {
    let limiter = ConcurrencyLimiter::new(1);
    let policy = Policy::builder(classify)
        .retry(retry(1))
        .concurrency(limiter.clone())
        .build();
    let stream = policy
        .call(|attempt| async move { Ok::<_, Fail>(attempt.take_permit()) })
        .await
        .expect("ok");
    assert!(stream.is_some());
    assert_eq!(limiter.in_flight(), 1, "the stream still holds the slot");
    drop(stream);
    assert_eq!(limiter.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_leaks_nothing() {
    let limiter = ConcurrencyLimiter::new(1);
    let rate = RateLimiter::requests(Quota::per_minute(60));
    let breaker = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(2))
        .minimum_calls(2)
        .wait_in_open(SEC)
        .permitted_calls_in_half_open(1)
        .build();
    let policy = Policy::builder(classify)
        .retry(retry(1))
        .concurrency(limiter.clone())
        .rate_limiter(rate.clone())
        .breaker(breaker.clone())
        .build();
    for _ in 0..2 {
        let _ = policy
            .call(|_| async { Err::<(), _>(Fail(Classification::transient())) })
            .await;
    }
    tokio::time::advance(2 * SEC).await;
    assert_eq!(breaker.state(), State::HalfOpen);
    // A call that is cancelled mid-flight, holding the only trial slot and the only
    // concurrency slot.
    let slow = policy.call(|_| async {
        tokio::time::sleep(60 * SEC).await;
        Ok::<_, Fail>(())
    });
    assert!(tokio::time::timeout(SEC, slow).await.is_err());
    assert_eq!(limiter.in_flight(), 0);
    let trial = breaker.try_acquire().expect("trial slot given back");
    drop(trial);
    // A call cancelled while waiting for the rate limiter gives its reservation back.
    rate.try_acquire(Cost::request())
        .expect("take the only request of this second");
    let rate_before = rate.available();
    let waiting = policy.call(|_| async { Ok::<_, Fail>(()) });
    assert!(tokio::time::timeout(SEC / 10, waiting).await.is_err());
    assert_eq!(rate.available(), rate_before);
    policy
        .call_with(CallOptions::default().priority(Priority::High), |_| async {
            Ok::<_, Fail>(())
        })
        .await
        .expect("everything still usable");
    assert_eq!(breaker.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn slow_calls_are_timed_from_the_call_not_from_the_queue() {
    let limiter = ConcurrencyLimiter::new(1);
    let breaker = CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(2))
        .minimum_calls(2)
        .slow_call_duration(2 * SEC)
        .slow_call_rate_threshold(50.0)
        .build();
    let policy = Policy::builder(classify)
        .retry(retry(1))
        .breaker(breaker.clone())
        .concurrency(limiter.clone())
        .build();
    for _ in 0..2 {
        // Someone else holds the only slot for 5 s; the call itself takes 1 s.
        let held = limiter.acquire(Priority::Normal).await.expect("free");
        tokio::spawn(async move {
            tokio::time::sleep(5 * SEC).await;
            drop(held);
        });
        let start = Instant::now();
        policy
            .call(|_| async {
                tokio::time::sleep(SEC).await;
                Ok::<_, Fail>(())
            })
            .await
            .expect("ok");
        assert_eq!(start.elapsed(), 6 * SEC);
    }
    assert_eq!(breaker.state(), State::Closed, "1 s calls are not slow");
}
