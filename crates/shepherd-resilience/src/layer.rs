//! tower `Layer` and `Service` adapters running a service's calls under a [`Policy`].

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::classify::Classify;
use crate::error::Error;
use crate::policy::{CallOptions, Policy};

/// Wraps services in [`PolicyService`].
///
/// # Examples
///
/// ```
/// use shepherd_resilience::layer::PolicyLayer;
/// use shepherd_resilience::{AlwaysTransient, Policy};
/// use tower_layer::Layer;
///
/// # #[derive(Clone)] struct Svc;
/// let layer = PolicyLayer::new(Policy::builder(AlwaysTransient).build());
/// let _service = layer.layer(Svc);
/// ```
#[derive(Debug)]
pub struct PolicyLayer<C> {
    policy: Policy<C>,
    options: CallOptions,
}

impl<C> Clone for PolicyLayer<C> {
    fn clone(&self) -> Self {
        Self {
            policy: self.policy.clone(),
            options: self.options,
        }
    }
}

impl<C> PolicyLayer<C> {
    /// Every request runs under `policy` with [`CallOptions::default`].
    pub fn new(policy: Policy<C>) -> Self {
        Self {
            policy,
            options: CallOptions::default(),
        }
    }

    /// Use these options (cost, priority) for every request.
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }
}

impl<S, C> Layer<S> for PolicyLayer<C> {
    type Service = PolicyService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService {
            inner,
            policy: self.policy.clone(),
            options: self.options,
        }
    }
}

/// A service whose every request runs under a [`Policy`]: each attempt clones the inner
/// service and the request, waits for the clone to be ready and calls it.
///
/// It is always ready itself; readiness of the inner service is awaited per attempt, so
/// a retry never reuses a clone that was driven to readiness for an earlier attempt.
#[derive(Debug)]
pub struct PolicyService<S, C> {
    inner: S,
    policy: Policy<C>,
    options: CallOptions,
}

impl<S: Clone, C> Clone for PolicyService<S, C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            policy: self.policy.clone(),
            options: self.options,
        }
    }
}

impl<S, C, Req> Service<Req> for PolicyService<S, C>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    Req: Clone + Send + 'static,
    C: Classify<S::Error> + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = Error<S::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, Error<S::Error>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let policy = self.policy.clone();
        let service = self.inner.clone();
        let options = self.options;
        Box::pin(async move {
            policy
                .call_with(options, move |_attempt| {
                    let mut service = service.clone();
                    let request = request.clone();
                    async move {
                        poll_fn(|cx| service.poll_ready(cx)).await?;
                        service.call(request).await
                    }
                })
                .await
        })
    }
}
