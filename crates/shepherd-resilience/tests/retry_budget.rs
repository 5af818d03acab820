//! The retry budget: exhaustion stops retries, successes refill it, timeouts cost more.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use shepherd_resilience::retry::{RetryBudget, RetryPolicy};
use shepherd_resilience::{Classification, Policy};

#[derive(Debug)]
struct Fail(Classification);

#[test]
fn aws_defaults() {
    let b = RetryBudget::default();
    assert_eq!(b.capacity(), 500);
    assert_eq!(b.available(), 500);
    assert_eq!(b.try_withdraw(false), Some(5));
    assert_eq!(b.try_withdraw(true), Some(10));
    assert_eq!(b.available(), 485);
    b.deposit_success(None);
    assert_eq!(b.available(), 486);
    b.deposit_success(Some(10));
    assert_eq!(b.available(), 496);
    b.deposit(100);
    assert_eq!(b.available(), 500, "never above capacity");
}

#[test]
fn an_empty_bucket_refuses_withdrawals() {
    let b = RetryBudget::default();
    for _ in 0..100 {
        assert!(b.try_withdraw(false).is_some());
    }
    assert_eq!(b.available(), 0);
    assert_eq!(b.try_withdraw(false), None);
    assert_eq!(b.try_withdraw(true), None);
    assert_eq!(b.available(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_mass_outage_drains_the_budget_then_stops_retrying() {
    let budget = Arc::new(RetryBudget::default());
    let policy = Policy::builder(|e: &Fail| e.0)
        .retry(
            RetryPolicy::builder()
                .max_attempts(3)
                .budget(budget.clone())
                .seed(3)
                .build(),
        )
        .build();
    let mut attempts_total = 0;
    // 500 / 5 = 100 retries available: 50 calls use 2 retries each.
    for call in 0..80 {
        let err = policy
            .call(|_| async { Err::<(), _>(Fail(Classification::transient())) })
            .await
            .expect_err("server is down");
        attempts_total += err.attempts();
        if call < 50 {
            assert!(err.is_call(), "call {call} should have used its 3 attempts");
            assert_eq!(err.attempts(), 3);
        } else {
            assert!(err.is_budget_exhausted(), "call {call}: {err:?}");
            assert_eq!(err.attempts(), 1, "no retry once empty");
        }
    }
    assert_eq!(attempts_total, 50 * 3 + 30);
    assert_eq!(budget.available(), 0);
    let m = policy.metrics();
    assert_eq!(m.retried, 100);
    assert_eq!(m.budget_exhausted, 30);

    // The server comes back: first-attempt successes refill one token each.
    for _ in 0..5 {
        policy
            .call(|_| async { Ok::<_, Fail>(()) })
            .await
            .expect("up");
    }
    assert_eq!(budget.available(), 5);
    // ... which pays for exactly one retry again.
    let flaky = AtomicBool::new(true);
    policy
        .call(|_| {
            let fail = flaky.swap(false, Ordering::SeqCst);
            async move {
                if fail {
                    Err(Fail(Classification::transient()))
                } else {
                    Ok(())
                }
            }
        })
        .await
        .expect("retry succeeds");
    // The success after a retry refunds that retry's cost.
    assert_eq!(budget.available(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_retry_costs_double() {
    let budget = Arc::new(RetryBudget::builder().capacity(15).build());
    let policy = Policy::builder(|e: &Fail| e.0)
        .retry(
            RetryPolicy::builder()
                .max_attempts(10)
                .budget(budget.clone())
                .seed(3)
                .build(),
        )
        .build();
    let err = policy
        .call(|_| async { Err::<(), _>(Fail(Classification::timeout())) })
        .await
        .expect_err("times out");
    // 15 pays for one timeout retry (10); the second needs 10 but only 5 remain.
    assert!(err.is_budget_exhausted());
    assert_eq!(err.attempts(), 2);
    assert_eq!(budget.available(), 5);
}

#[tokio::test(start_paused = true)]
async fn the_budget_is_shared_by_clones_of_a_policy() {
    let policy = Policy::builder(|e: &Fail| e.0)
        .retry(
            RetryPolicy::builder()
                .max_attempts(2)
                .budget(Arc::new(RetryBudget::builder().capacity(5).build()))
                .seed(3)
                .build(),
        )
        .build();
    let other = policy.clone();
    let first = policy
        .call(|_| async { Err::<(), _>(Fail(Classification::transient())) })
        .await
        .expect_err("fails");
    assert_eq!(first.attempts(), 2);
    let second = other
        .call(|_| async { Err::<(), _>(Fail(Classification::transient())) })
        .await
        .expect_err("fails");
    assert!(second.is_budget_exhausted());
    assert_eq!(policy.retry().budget().available(), 0);
}
