//! Rate limiter: sustained rates, bursts, window guarantees, two quotas, reconciliation,
//! server feedback, adaptive mode, fairness and cancellation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use shepherd_resilience::rate::{Adaptive, Cost, Quota, RateLimiter, ServerLimits};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn sixty_per_minute_admits_one_per_second() {
    let limiter = RateLimiter::requests(Quota::per_minute(60));
    let start = Instant::now();
    for i in 0..10u32 {
        limiter.acquire(Cost::request()).await.expect("fits");
        assert_eq!(start.elapsed(), i * SEC);
    }
}

#[tokio::test(start_paused = true)]
async fn burst_then_steady_rate() {
    // 600/min with the default burst of 10: 10 at once, then one every 60 s / 591.
    let limiter = RateLimiter::requests(Quota::per_minute(600));
    for _ in 0..10 {
        limiter.try_acquire(Cost::request()).expect("burst");
    }
    let err = limiter
        .try_acquire(Cost::request())
        .expect_err("burst used");
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Quota::per_minute(600).interval()));
}

/// Fifty callers hammer a 600 RPM limiter for ten simulated minutes.
#[tokio::test(start_paused = true)]
async fn ten_minutes_fifty_callers_never_exceed_any_window() {
    let quota = Quota::per_minute(600);
    let limiter = RateLimiter::requests(quota);
    let start = Instant::now();
    let end = start + 600 * SEC;
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let limiter = limiter.clone();
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                limiter.acquire(Cost::request()).await.expect("fits");
                let now = Instant::now();
                if now >= end {
                    return;
                }
                log.lock().expect("lock").push(now - start);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let mut times = log.lock().expect("lock").clone();
    times.sort();
    let max_in = |window: Duration| {
        let mut max = 0;
        let mut j = 0;
        for i in 0..times.len() {
            while j < times.len() && times[j] < times[i] + window {
                j += 1;
            }
            max = max.max(j - i);
        }
        max
    };
    assert!(max_in(60 * SEC) <= 600, "a minute saw {}", max_in(60 * SEC));
    // A second: at most the burst plus one second's worth of the limit.
    assert!(max_in(SEC) <= 10 + 10, "a second saw {}", max_in(SEC));
    let throughput = times.len() as f64 / 6000.0;
    assert!(throughput >= 0.98, "throughput {throughput}");
}

#[tokio::test(start_paused = true)]
async fn two_quotas_are_taken_together_or_not_at_all() {
    let limiter = RateLimiter::builder()
        .requests(Quota::per_minute(60).with_burst(5))
        .tokens(Quota::per_minute(6000).with_burst(1000))
        .build();
    limiter
        .try_acquire(Cost::request_with_tokens(900))
        .expect("both fit");
    assert_eq!(limiter.available(), (Some(4), Some(100)));
    // Tokens do not fit: the request must not be taken either.
    let err = limiter
        .try_acquire(Cost::request_with_tokens(500))
        .expect_err("tokens short");
    assert!(err.is_rate_limited());
    assert_eq!(limiter.available(), (Some(4), Some(100)));
    // acquire waits for the slower quota: 400 tokens at 6000/min (interval 60 s / 5001).
    let start = Instant::now();
    limiter
        .acquire(Cost::request_with_tokens(500))
        .await
        .expect("fits later");
    let waited = start.elapsed();
    let interval = Quota::per_minute(6000).with_burst(1000).interval();
    assert!(
        waited >= interval * 400 && waited <= interval * 400 + MS,
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cost_over_the_limit_fails_at_once() {
    let limiter = RateLimiter::builder()
        .requests(Quota::per_minute(600))
        .tokens(Quota::per_minute(10_000).with_burst(2_000))
        .build();
    let start = Instant::now();
    let err = limiter
        .acquire(Cost::request_with_tokens(10_001))
        .await
        .expect_err("never fits");
    assert!(err.is_over_capacity());
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(
        limiter
            .try_acquire(Cost {
                requests: 601,
                tokens: 0
            })
            .expect_err("limit is 600")
            .is_over_capacity()
    );
}

#[tokio::test(start_paused = true)]
async fn a_cost_over_the_burst_waits_for_a_full_bucket_not_forever() {
    // 6,000 tokens/min, burst 1,000: interval 60 s / 5,001.
    let quota = Quota::per_minute(6_000).with_burst(1_000);
    let limiter = RateLimiter::builder().tokens(quota).build();
    limiter.try_acquire(Cost::tokens(500)).expect("fits");
    let start = Instant::now();
    limiter
        .acquire(Cost::tokens(3_000))
        .await
        .expect("admitted");
    // Waited for the 500 to refill (timers fire on whole milliseconds), then went into debt.
    let refill = quota.interval() * 500;
    let waited = start.elapsed();
    assert!(waited >= refill && waited < refill + MS, "{waited:?}");
    assert_eq!(limiter.available().1, Some(0));
    let err = limiter.try_acquire(Cost::tokens(1)).expect_err("in debt");
    // 2,000 units of debt: the next unit waits them out plus one interval.
    let debt = quota.interval() * 2_001;
    let wait = err.retry_after().expect("a wait");
    assert!(wait <= debt && wait > debt - MS, "{wait:?}");
}

#[tokio::test(start_paused = true)]
async fn reconciliation_refunds_and_charges() {
    let limiter = RateLimiter::builder()
        .tokens(Quota::per_minute(60_000).with_burst(2_000))
        .build();
    let r = limiter.acquire(Cost::tokens(800)).await.expect("fits");
    assert_eq!(limiter.available().1, Some(1_200));
    r.reconcile(Cost::tokens(300));
    assert_eq!(limiter.available().1, Some(1_700), "500 returned");

    let r = limiter.acquire(Cost::tokens(800)).await.expect("fits");
    assert_eq!(limiter.available().1, Some(900));
    r.reconcile(Cost::tokens(1_200));
    assert_eq!(limiter.available().1, Some(500), "400 more charged");

    let r = limiter.acquire(Cost::tokens(500)).await.expect("fits");
    r.cancel();
    assert_eq!(limiter.available().1, Some(500), "never sent: all returned");
}

#[tokio::test(start_paused = true)]
async fn server_headers_slow_the_limiter_down() {
    let limiter = RateLimiter::builder()
        .requests(Quota::per_minute(600))
        .tokens(Quota::per_minute(100_000).with_burst(10_000))
        .build();
    limiter.observe(ServerLimits {
        remaining_requests: Some(3),
        remaining_tokens: Some(2_500),
        ..ServerLimits::default()
    });
    assert_eq!(limiter.available(), (Some(3), Some(2_500)));
    // The server says nothing is left for 5 s: wait for it instead of collecting 429s.
    limiter.observe(ServerLimits {
        remaining_requests: Some(0),
        reset_requests: Some(5 * SEC),
        ..ServerLimits::default()
    });
    let start = Instant::now();
    limiter.acquire(Cost::request()).await.expect("fits");
    assert_eq!(start.elapsed(), 5 * SEC);
    // A header claiming more room than we think we have changes nothing.
    limiter.observe(ServerLimits {
        remaining_requests: Some(500),
        ..ServerLimits::default()
    });
    assert_eq!(limiter.available().0, Some(0));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_pauses_the_limiter() {
    let limiter = RateLimiter::requests(Quota::per_second(100));
    limiter.on_throttled(Some(3 * SEC));
    let start = Instant::now();
    limiter.acquire(Cost::request()).await.expect("fits");
    assert_eq!(start.elapsed(), 3 * SEC);
}

#[tokio::test(start_paused = true)]
async fn adaptive_mode_backs_off_on_throttles_and_recovers() {
    let limiter = RateLimiter::builder()
        .requests(Quota::per_second(10))
        .adaptive(Adaptive::default())
        .build();
    let rate = |l: &RateLimiter| l.rates().0.expect("requests quota");
    assert!((rate(&limiter) - 10.0).abs() < 1e-6);
    limiter.on_throttled(None);
    assert!((rate(&limiter) - 7.0).abs() < 0.01, "{}", rate(&limiter));
    limiter.on_throttled(None);
    assert!((rate(&limiter) - 4.9).abs() < 0.01, "{}", rate(&limiter));

    // Spacing follows the cut rate.
    limiter.try_acquire(Cost::request()).expect("burst of 1");
    let start = Instant::now();
    limiter.acquire(Cost::request()).await.expect("fits");
    let waited = start.elapsed().as_secs_f64();
    assert!((waited - 1.0 / 4.9).abs() < 0.002, "{waited}");

    // Successes probe back up along the cubic curve: quickly at first, then to the ceiling.
    tokio::time::advance(SEC).await;
    limiter.on_success();
    let after_one = rate(&limiter);
    assert!(after_one > 4.9 && after_one < 7.0, "{after_one}");
    tokio::time::advance(3 * SEC).await;
    limiter.on_success();
    assert!((rate(&limiter) - 10.0).abs() < 1e-6, "{}", rate(&limiter));
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_order_and_a_large_cost_is_not_starved() {
    // 50 tokens per second of burst-50 bucket: interval 1 s / 51.
    let quota = Quota::per_second(100).with_burst(50);
    let limiter = RateLimiter::builder().tokens(quota).build();
    limiter.try_acquire(Cost::tokens(50)).expect("drain");
    let order = Arc::new(Mutex::new(Vec::new()));
    let spawn = |name: &'static str, cost: u64| {
        let limiter = limiter.clone();
        let order = order.clone();
        tokio::spawn(async move {
            limiter.acquire(Cost::tokens(cost)).await.expect("fits");
            order.lock().expect("lock").push(name);
        })
    };
    let big = spawn("big", 50);
    tokio::task::yield_now().await;
    let small: Vec<_> = (0..20).map(|_| spawn("small", 1)).collect();
    big.await.expect("task");
    for s in small {
        s.await.expect("task");
    }
    let order = order.lock().expect("lock").clone();
    assert_eq!(order[0], "big", "{order:?}");
    assert_eq!(order.len(), 21);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_gives_its_slot_back() {
    let limiter = RateLimiter::requests(Quota::per_minute(60));
    limiter.try_acquire(Cost::request()).expect("burst of 1");
    // Waits 1 s for its slot, but gives up after 100 ms.
    let gave_up = tokio::time::timeout(100 * MS, limiter.acquire(Cost::request())).await;
    assert!(gave_up.is_err());
    // The next caller gets that slot, not the one after it.
    let start = Instant::now();
    limiter.acquire(Cost::request()).await.expect("fits");
    assert_eq!(start.elapsed(), 900 * MS);
}

#[test]
fn the_fast_clock_enforces_the_same_quota() {
    use shepherd_resilience::rate::Clock;
    // Real time, but no sleeping: one per second leaves no room for a second call.
    let limiter = RateLimiter::builder()
        .requests(Quota::per_minute(60))
        .clock(Clock::Fast)
        .build();
    limiter.try_acquire(Cost::request()).expect("burst of 1");
    let err = limiter.try_acquire(Cost::request()).expect_err("spent");
    let wait = err.retry_after().expect("a wait");
    assert!(wait > 900 * MS && wait <= SEC, "{wait:?}");
}

/// Threads racing on one limiter: exactly the burst gets through, for one quota (updated
/// by compare-and-swap) and for two (updated together under a lock).
#[test]
fn racing_threads_never_overdraw() {
    let one = RateLimiter::requests(Quota::per_minute(60).with_burst(10));
    let two = RateLimiter::builder()
        .requests(Quota::per_minute(60).with_burst(10))
        .tokens(Quota::per_minute(60_000).with_burst(5_000))
        .build();
    // Requests allow 10, tokens 5,000 / 400 = 12: requests bind.
    for (limiter, cost) in [
        (one, Cost::request()),
        (two, Cost::request_with_tokens(400)),
    ] {
        let admitted: usize = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        (0..5_000)
                            .filter(|_| limiter.try_acquire(cost).is_ok())
                            .count()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().expect("worker")).sum()
        });
        // The interval is over a second; the race takes milliseconds.
        assert_eq!(admitted, 10);
    }
}
