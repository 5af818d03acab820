//! Resilience overheads: rate limiter `try_acquire` vs governor, the full policy stack
//! around a ready future vs the bare future, and `try_acquire` contended from 2 threads.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use shepherd_resilience::breaker::CircuitBreaker;
use shepherd_resilience::concurrency::ConcurrencyLimiter;
use shepherd_resilience::rate::{Clock, Cost, Quota, RateLimiter};
use shepherd_resilience::retry::RetryPolicy;
use shepherd_resilience::{AlwaysTransient, Policy};

/// A quota so large the limiter always admits: the bench measures the bookkeeping, not waits.
fn ours() -> RateLimiter {
    RateLimiter::requests(Quota::per_second(1_000_000_000))
}

/// The same, reading the CPU's timestamp counter like governor instead of `clock_gettime`.
fn ours_fast() -> RateLimiter {
    RateLimiter::builder()
        .requests(Quota::per_second(1_000_000_000))
        .clock(Clock::Fast)
        .build()
}

fn governor() -> governor::DefaultDirectRateLimiter {
    governor::RateLimiter::direct(governor::Quota::per_second(NonZeroU32::MAX))
}

fn try_acquire(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_try_acquire");
    let limiter = ours();
    group.bench_function("shepherd", |b| {
        b.iter(|| black_box(limiter.try_acquire(black_box(Cost::request())).is_ok()))
    });
    let fast = ours_fast();
    group.bench_function("shepherd_fast_clock", |b| {
        b.iter(|| black_box(fast.try_acquire(black_box(Cost::request())).is_ok()))
    });
    let two = RateLimiter::builder()
        .requests(Quota::per_second(1_000_000_000))
        .tokens(Quota::per_second(1_000_000_000))
        .build();
    group.bench_function("shepherd_requests_and_tokens", |b| {
        b.iter(|| {
            black_box(
                two.try_acquire(black_box(Cost::request_with_tokens(100)))
                    .is_ok(),
            )
        })
    });
    let gov = governor();
    group.bench_function("governor", |b| b.iter(|| black_box(gov.check().is_ok())));
    group.finish();
}

fn ready() -> impl Future<Output = Result<u64, std::io::Error>> {
    std::future::ready(Ok(black_box(42)))
}

fn policy_stack(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    // Built inside the runtime: the default clocks read tokio's time.
    let policy = runtime.block_on(async {
        Policy::builder(AlwaysTransient)
            .retry(RetryPolicy::builder().seed(1).build())
            .breaker(CircuitBreaker::default())
            .rate_limiter(ours())
            .concurrency(ConcurrencyLimiter::new(1024))
            .build()
    });
    let fast = Policy::builder(AlwaysTransient)
        .retry(RetryPolicy::builder().seed(1).build())
        .breaker(CircuitBreaker::builder().clock(Clock::Fast).build())
        .rate_limiter(ours_fast())
        .concurrency(ConcurrencyLimiter::new(1024))
        .build();
    let retry_only = Policy::builder(AlwaysTransient)
        .retry(RetryPolicy::builder().seed(1).build())
        .build();
    let mut group = c.benchmark_group("policy_stack");
    group.bench_function("bare_future", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(ready().await) })
    });
    group.bench_function("retry_only", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(retry_only.call(|_| ready()).await.is_ok()) })
    });
    group.bench_function("full_stack", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(policy.call(|_| ready()).await.is_ok()) })
    });
    group.bench_function("full_stack_fast_clock", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(fast.call(|_| ready()).await.is_ok()) })
    });
    group.finish();
}

/// Total time for `iters` acquisitions split over two threads hitting one limiter.
fn contended<F>(iters: u64, acquire: F) -> Duration
where
    F: Fn() -> bool + Send + Sync + 'static,
{
    let acquire = Arc::new(acquire);
    let start = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let acquire = acquire.clone();
            thread::spawn(move || {
                for _ in 0..iters / 2 {
                    black_box(acquire());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    start.elapsed()
}

fn contended_acquire(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_try_acquire_2_threads");
    group.bench_function("shepherd", |b| {
        b.iter_custom(|iters| {
            let limiter = ours();
            contended(iters, move || limiter.try_acquire(Cost::request()).is_ok())
        })
    });
    group.bench_function("shepherd_fast_clock", |b| {
        b.iter_custom(|iters| {
            let limiter = ours_fast();
            contended(iters, move || limiter.try_acquire(Cost::request()).is_ok())
        })
    });
    group.bench_function("governor", |b| {
        b.iter_custom(|iters| {
            let limiter = governor();
            contended(iters, move || limiter.check().is_ok())
        })
    });
    group.finish();
}

criterion_group!(benches, try_acquire, policy_stack, contended_acquire);
criterion_main!(benches);
