//! The tower adapter: a flaky service behind `PolicyLayer` is retried.
#![cfg(feature = "tower")]

use std::future::{Ready, poll_fn, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};

use shepherd_resilience::layer::PolicyLayer;
use shepherd_resilience::retry::RetryPolicy;
use shepherd_resilience::{Classification, Policy};
use tower_layer::Layer;
use tower_service::Service;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SvcError {
    Busy,
    BadRequest,
}

/// Fails with `Busy` on its first `failures` calls, then echoes the request.
#[derive(Clone)]
struct Flaky {
    calls: Arc<AtomicU32>,
    failures: u32,
}

impl Service<&'static str> for Flaky {
    type Response = String;
    type Error = SvcError;
    type Future = Ready<Result<String, SvcError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), SvcError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: &'static str) -> Self::Future {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if req == "bad" {
            return ready(Err(SvcError::BadRequest));
        }
        ready(if n < self.failures {
            Err(SvcError::Busy)
        } else {
            Ok(req.to_uppercase())
        })
    }
}

fn classify(e: &SvcError) -> Classification {
    match e {
        SvcError::Busy => Classification::transient(),
        SvcError::BadRequest => Classification::do_not_retry(),
    }
}

#[tokio::test(start_paused = true)]
async fn the_layer_retries_transient_errors_only() {
    let calls = Arc::new(AtomicU32::new(0));
    let policy = Policy::builder(classify)
        .retry(RetryPolicy::builder().max_attempts(3).seed(2).build())
        .build();
    let mut svc = PolicyLayer::new(policy.clone()).layer(Flaky {
        calls: calls.clone(),
        failures: 2,
    });
    poll_fn(|cx| svc.poll_ready(cx)).await.expect("ready");
    assert_eq!(svc.call("hi").await.expect("third attempt"), "HI");
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let err = svc.call("bad").await.expect_err("not retried");
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.into_inner(), Some(SvcError::BadRequest));
    assert_eq!(policy.metrics().retried, 2);
}
