//! Backoff sequences and bounds; Retry-After handling; attempts and deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use shepherd_resilience::retry::{Backoff, Jitter, RetryPolicy};
use shepherd_resilience::{Classification, Policy};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

fn backoff(jitter: Jitter) -> Backoff {
    Backoff::exponential(100 * MS, 2000 * MS).jitter(jitter)
}

#[test]
fn no_jitter_doubles_up_to_the_cap() {
    let delays: Vec<_> = backoff(Jitter::None).delays(0).take(8).collect();
    let ms: Vec<_> = delays.iter().map(|d| d.as_millis()).collect();
    assert_eq!(ms, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
}

#[test]
fn huge_retry_numbers_do_not_overflow() {
    let b = backoff(Jitter::None);
    assert_eq!(b.ceiling(31), 2000 * MS);
    assert_eq!(b.ceiling(200), 2000 * MS);
}

#[test]
fn full_jitter_stays_within_zero_and_the_ceiling() {
    let b = backoff(Jitter::Full);
    let mut below_half = 0;
    for seed in 0..200 {
        for (n, d) in b.delays(seed).take(8).enumerate() {
            let ceiling = b.ceiling(u32::try_from(n).expect("small"));
            assert!(d <= ceiling, "retry {n}: {d:?} > {ceiling:?}");
            if d < ceiling / 2 {
                below_half += 1;
            }
        }
    }
    // Full jitter spreads over the whole range, so about half land in the lower half.
    assert!((600..1000).contains(&below_half), "{below_half}");
}

#[test]
fn equal_jitter_never_goes_below_half_the_ceiling() {
    let b = backoff(Jitter::Equal);
    for seed in 0..200 {
        for (n, d) in b.delays(seed).take(8).enumerate() {
            let ceiling = b.ceiling(u32::try_from(n).expect("small"));
            assert!(d >= ceiling / 2 && d <= ceiling, "retry {n}: {d:?}");
        }
    }
}

#[test]
fn decorrelated_jitter_is_between_base_and_three_times_previous() {
    let b = backoff(Jitter::Decorrelated);
    for seed in 0..200 {
        let mut previous = Duration::ZERO;
        for d in b.delays(seed).take(10) {
            let high = (previous.max(100 * MS) * 3).min(2000 * MS);
            assert!(d >= 100 * MS && d <= high, "{d:?} not in [100ms, {high:?}]");
            previous = d;
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_delays() {
    let a: Vec<_> = backoff(Jitter::Full).delays(42).take(6).collect();
    let b: Vec<_> = backoff(Jitter::Full).delays(42).take(6).collect();
    let c: Vec<_> = backoff(Jitter::Full).delays(43).take(6).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[derive(Debug)]
struct Fail(Classification);

fn policy(retry: RetryPolicy) -> Policy<impl Fn(&Fail) -> Classification> {
    Policy::builder(|e: &Fail| e.0).retry(retry).build()
}

#[tokio::test(start_paused = true)]
async fn policy_sleeps_the_seeded_backoff_between_attempts() {
    let b = backoff(Jitter::None);
    let p = policy(
        RetryPolicy::builder()
            .max_attempts(4)
            .backoff(b)
            .seed(9)
            .build(),
    );
    let start = Instant::now();
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = times.clone();
    let err = p
        .call(move |attempt| {
            t.lock()
                .expect("lock")
                .push((attempt.number(), start.elapsed()));
            async { Err::<(), _>(Fail(Classification::transient())) }
        })
        .await
        .expect_err("always fails");
    assert!(err.is_call());
    assert_eq!(err.attempts(), 4);
    let times = times.lock().expect("lock").clone();
    assert_eq!(
        times,
        [
            (1, Duration::ZERO),
            (2, 100 * MS),
            (3, 300 * MS),
            (4, 700 * MS)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_the_backoff() {
    let p = policy(
        RetryPolicy::builder()
            .max_attempts(2)
            .backoff(backoff(Jitter::None))
            .build(),
    );
    let start = Instant::now();
    let calls = AtomicU32::new(0);
    let out = p
        .call(|_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err(Fail(
                        Classification::throttled().with_retry_after(Duration::from_secs(7)),
                    ))
                } else {
                    Ok(start.elapsed())
                }
            }
        })
        .await
        .expect("second attempt succeeds");
    assert_eq!(out, Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn retry_after_over_the_maximum_fails_at_once_with_the_hint() {
    let p = policy(
        RetryPolicy::builder()
            .max_attempts(5)
            .max_server_wait(Duration::from_secs(120))
            .build(),
    );
    let start = Instant::now();
    let err = p
        .call(|_| async {
            Err::<(), _>(Fail(
                Classification::throttled().with_retry_after(Duration::from_secs(600)),
            ))
        })
        .await
        .expect_err("too long");
    assert!(err.is_retry_after_too_long());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(600)));
    assert_eq!(err.attempts(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO, "must not sleep");
    assert!(err.inner().is_some());
}

#[tokio::test(start_paused = true)]
async fn non_retryable_errors_return_after_one_attempt() {
    for class in [Classification::permanent(), Classification::do_not_retry()] {
        let p = policy(RetryPolicy::builder().max_attempts(5).build());
        let err = p
            .call(|_| async move { Err::<(), _>(Fail(class)) })
            .await
            .expect_err("fails");
        assert!(err.is_call());
        assert_eq!(err.attempts(), 1);
        assert_eq!(p.metrics().retried, 0);
        assert_eq!(p.metrics().failed, 1);
    }
}

#[tokio::test(start_paused = true)]
async fn the_attempt_number_is_visible_to_the_call() {
    let p = policy(RetryPolicy::builder().max_attempts(3).seed(1).build());
    let seen = std::sync::Mutex::new(Vec::new());
    let _ = p
        .call(|attempt| {
            seen.lock().expect("lock").push((
                attempt.number(),
                attempt.retries(),
                attempt.is_retry(),
            ));
            async { Err::<(), _>(Fail(Classification::transient())) }
        })
        .await;
    assert_eq!(
        seen.into_inner().expect("lock"),
        [(1, 0, false), (2, 1, true), (3, 2, true)]
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_bounds_attempts_and_waits() {
    let p = policy(
        RetryPolicy::builder()
            .max_attempts(100)
            .backoff(
                Backoff::exponential(Duration::from_secs(1), Duration::from_secs(1))
                    .jitter(Jitter::None),
            )
            .deadline(Duration::from_millis(3500))
            .build(),
    );
    let start = Instant::now();
    let err = p
        .call(|_| async { Err::<(), _>(Fail(Classification::transient())) })
        .await
        .expect_err("deadline");
    assert!(err.is_deadline_exceeded());
    // Attempts at 0, 1, 2, 3 s; the next would start at 4 s, past the deadline.
    assert_eq!(err.attempts(), 4);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert!(err.inner().is_some());

    // An attempt still running at the deadline is cut off.
    let start = Instant::now();
    let err = p
        .call(|_| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<(), Fail>(())
        })
        .await
        .expect_err("deadline");
    assert!(err.is_deadline_exceeded());
    assert_eq!(start.elapsed(), Duration::from_millis(3500));
    assert_eq!(p.metrics().timed_out, 2);
}
