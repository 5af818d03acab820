//! Concurrency limiter: in-flight cap, priorities, queue-full, acquire timeout,
//! cancellation, and permits that outlive the call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use shepherd_resilience::concurrency::{ConcurrencyLimiter, ConcurrencyPermit, Priority};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn never_more_than_max_in_flight() {
    let limiter = ConcurrencyLimiter::new(3);
    let peak = Arc::new(Mutex::new((0usize, 0usize)));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let limiter = limiter.clone();
        let peak = peak.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = limiter.acquire(Priority::Normal).await.expect("queued");
            {
                let mut p = peak.lock().expect("lock");
                p.0 += 1;
                p.1 = p.1.max(p.0);
            }
            tokio::time::sleep(10 * MS).await;
            peak.lock().expect("lock").0 -= 1;
        }));
    }
    let start = Instant::now();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(peak.lock().expect("lock").1, 3);
    // 20 jobs of 10 ms, 3 at a time: 7 rounds.
    assert_eq!(start.elapsed(), 70 * MS);
    assert_eq!(limiter.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn high_priority_before_normal_before_low() {
    let limiter = ConcurrencyLimiter::new(1);
    let held = limiter.acquire(Priority::Normal).await.expect("free");
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (i, p) in [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Low,
        Priority::High,
        Priority::Normal,
    ]
    .into_iter()
    .enumerate()
    {
        let limiter = limiter.clone();
        let order = order.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = limiter.acquire(p).await.expect("queued");
            order.lock().expect("lock").push((p, i));
        }));
        tokio::task::yield_now().await;
    }
    assert_eq!(limiter.queued(), 6);
    drop(held);
    for t in tasks {
        t.await.expect("task");
    }
    use Priority::*;
    assert_eq!(
        *order.lock().expect("lock"),
        [
            (High, 2),
            (High, 4),
            (Normal, 1),
            (Normal, 5),
            (Low, 0),
            (Low, 3)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_is_an_error_not_a_pile_up() {
    let limiter = ConcurrencyLimiter::builder(1).queue_capacity(2).build();
    let _held = limiter.acquire(Priority::Normal).await.expect("free");
    let a = tokio::spawn({
        let l = limiter.clone();
        async move { l.acquire(Priority::Normal).await.map(drop) }
    });
    let b = tokio::spawn({
        let l = limiter.clone();
        async move { l.acquire(Priority::Low).await.map(drop) }
    });
    tokio::task::yield_now().await;
    assert_eq!(limiter.queued(), 2);
    let err = limiter
        .acquire(Priority::High)
        .await
        .expect_err("queue full");
    assert!(err.is_queue_full());
    assert!(err.is_rejected());
    a.abort();
    b.abort();
}

#[tokio::test(start_paused = true)]
async fn acquire_times_out() {
    let limiter = ConcurrencyLimiter::builder(1)
        .acquire_timeout(Duration::from_secs(2))
        .build();
    let held = limiter.acquire(Priority::Normal).await.expect("free");
    let start = Instant::now();
    let err = limiter.acquire(Priority::Normal).await.expect_err("held");
    assert!(err.is_acquire_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    drop(held);
    // The timed-out waiter left no trace: the slot is free, nobody queued.
    assert_eq!(limiter.in_flight(), 0);
    let _p = limiter.try_acquire().expect("free");
}

#[tokio::test(start_paused = true)]
async fn cancelled_waiters_leak_no_permit() {
    let limiter = ConcurrencyLimiter::builder(1).queue_capacity(3).build();
    let held = limiter.acquire(Priority::Normal).await.expect("free");
    // Three waiters that give up fill the queue only until they are pruned.
    for _ in 0..3 {
        let r = tokio::time::timeout(MS, limiter.acquire(Priority::Normal)).await;
        assert!(r.is_err());
    }
    let waiter = tokio::spawn({
        let l = limiter.clone();
        async move { l.acquire(Priority::Normal).await.map(drop) }
    });
    tokio::task::yield_now().await;
    drop(held);
    waiter
        .await
        .expect("task")
        .expect("live waiter served, cancelled ones skipped");
    assert_eq!(limiter.in_flight(), 0);
    assert!(limiter.try_acquire().is_some());
}

#[tokio::test(start_paused = true)]
async fn a_waiter_cancelled_after_being_handed_a_permit_passes_it_on() {
    let limiter = ConcurrencyLimiter::new(1);
    let held = limiter.acquire(Priority::Normal).await.expect("free");
    let first = tokio::spawn({
        let l = limiter.clone();
        async move { l.acquire(Priority::Normal).await.map(drop) }
    });
    let second = tokio::spawn({
        let l = limiter.clone();
        async move { l.acquire(Priority::Normal).await.map(drop) }
    });
    tokio::task::yield_now().await;
    // Release hands the permit to `first`'s channel; `first` is aborted before it runs.
    drop(held);
    first.abort();
    second
        .await
        .expect("task")
        .expect("the permit moved on to the next waiter");
    assert_eq!(limiter.in_flight(), 0);
}

/// A response stream that holds its permit until it is dropped.
struct Stream {
    _permit: ConcurrencyPermit,
}

#[tokio::test(start_paused = true)]
async fn a_permit_lives_as_long_as_its_holder() {
    let limiter = ConcurrencyLimiter::new(1);
    let stream = Stream {
        _permit: limiter.acquire(Priority::Normal).await.expect("free"),
    };
    assert!(limiter.try_acquire().is_none());
    let moved = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(stream);
    });
    let start = Instant::now();
    let _p = limiter
        .acquire(Priority::Normal)
        .await
        .expect("after the stream");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    moved.await.expect("task");
}
