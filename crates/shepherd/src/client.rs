//! The client: builder, shared state, and the one request pipeline every endpoint goes through.

use std::borrow::Cow;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use shepherd_resilience::breaker::CircuitBreaker;
use shepherd_resilience::policy::{Attempt, CallOptions};
use shepherd_resilience::retry::{Backoff, RetryPolicy};
use shepherd_resilience::{Classification, Classify, Policy};
use shepherd_transport::multipart::{FilePart, Form};
use shepherd_transport::{ApiKey, Body, HyperTransport, ResponseBody, Transport};
use shepherd_types::error::ApiError;
use shepherd_types::pricing::PriceTable;
use shepherd_types::ratelimit;
use tokio::time::Instant;
use tracing::Instrument;

use crate::Error;
use crate::classify::classify;
use crate::cost::CostTracker;
use crate::error::PolicyKind;
use crate::provider::{Dialect, Provider};
use crate::response::{Response, ResponseMeta};
use crate::target::{AUTH_COOLDOWN, THROTTLE_COOLDOWN, Target, TargetState};

/// The header carrying the retry number on retried requests (absent on first attempts).
pub const RETRY_COUNT_HEADER: &str = "x-shepherd-retry-count";

/// A client for OpenAI-compatible APIs.
///
/// Cheap to clone: clones share one connection pool, one set of rate limiters
/// and circuit breakers, and one cost tracker. [`Client::with_retry`] and
/// friends return a clone with different per-call settings that still shares
/// all of that.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> Result<(), shepherd::Error> {
/// use shepherd::types::chat::ChatRequest;
///
/// let client = shepherd::Client::from_env()?;
/// let reply = client.chat(ChatRequest::new("gpt-4.1").user("Empfehle Produkt 42")).await?;
/// println!("{}", reply.text());
/// # Ok(()) }
/// ```
pub struct Client<T: Transport = HyperTransport> {
    pub(crate) inner: Arc<Inner<T>>,
    pub(crate) retry: Arc<Policy<RoutingClassifier>>,
}

impl<T: Transport> Clone for Client<T> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            retry: self.retry.clone(),
        }
    }
}

impl<T: Transport> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("targets", &self.inner.targets)
            .field("dialect", &self.inner.dialect)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner<T> {
    pub(crate) transport: T,
    pub(crate) targets: Vec<Arc<TargetState>>,
    pub(crate) dialect: Dialect,
    pub(crate) prices: Arc<PriceTable>,
    pub(crate) costs: CostTracker,
    pub(crate) fallback_models: Vec<String>,
    pub(crate) retry_header: bool,
    pub(crate) max_body: u64,
    pub(crate) metrics: crate::metrics::Metrics,
    pub(crate) cache: Option<Arc<dyn crate::cache::Cache>>,
    pub(crate) embedding_batch: usize,
    /// True when a token limit or a budget needs a request's tokens before it is sent;
    /// without either, counting them (tens of µs per prompt) would be wasted work.
    pub(crate) estimate_tokens: bool,
}

/// Outer-loop classifier: the HTTP table, plus failover rules when there are several targets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoutingClassifier {
    multi_target: bool,
}

impl Classify<Error> for RoutingClassifier {
    fn classify(&self, error: &Error) -> Classification {
        if self.multi_target && error.is_auth() {
            // Another target has another key: fail over instead of failing the call.
            return Classification::transient();
        }
        let class = classify(error);
        if self.multi_target && error.is_rate_limited() {
            // The throttled target is cooled down for its Retry-After (see `execute`); the
            // retry goes to another target at once, or waits in target selection for the
            // first one to recover.
            return Classification::new(class.outcome())
                .with_timed_out(class.timed_out())
                .with_retry_after(Duration::ZERO);
        }
        class
    }
}

impl Client<HyperTransport> {
    /// A client configured from the environment.
    ///
    /// Reads `OPENAI_API_KEY` (required), `OPENAI_BASE_URL` (default
    /// `https://api.openai.com/v1`), `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable to set when the key is missing, or
    /// when a value cannot be sent as a header.
    pub fn from_env() -> Result<Self, Error> {
        Client::builder().from_env()?.build()
    }

    /// A builder with every default (see [`ClientBuilder`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }
}

/// A request as the pipeline sends it: method, path under the base URL, payload.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) payload: Payload,
    /// Estimated tokens, for the token-per-minute limiter.
    pub(crate) tokens: u64,
    pub(crate) accept: Option<&'static str>,
}

/// What a request sends.
#[derive(Clone)]
pub(crate) enum Payload {
    Empty,
    Json(Bytes),
    Multipart(Arc<MultipartSpec>),
}

/// A multipart form rebuilt for every attempt, so a retried upload streams the file again.
pub(crate) struct MultipartSpec {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) file_field: String,
    pub(crate) file: FileSource,
    pub(crate) file_name: String,
}

pub(crate) enum FileSource {
    Path(PathBuf),
    Bytes(Bytes),
}

impl FileSource {
    /// A file on disk to upload, checked to exist now (so a wrong path is an
    /// [`Error::Io`] before any request), with its name (`default_name` if it has none).
    pub(crate) async fn local(
        path: &std::path::Path,
        default_name: &str,
    ) -> Result<(FileSource, String), Error> {
        tokio::fs::metadata(path)
            .await
            .map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
        let name = path.file_name().map_or_else(
            || default_name.to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok((FileSource::Path(path.to_owned()), name))
    }
}

impl<T: Transport> Client<T> {
    /// A clone whose calls use `retry` instead of the client's retry policy.
    /// Everything else (pool, limiters, breakers, costs) stays shared.
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        let classifier = RoutingClassifier {
            multi_target: self.inner.targets.len() > 1,
        };
        Client {
            inner: self.inner.clone(),
            retry: Arc::new(Policy::builder(classifier).retry(retry).build()),
        }
    }

    /// A clone that retries at most `retries` times (0: no retries) with the default backoff.
    pub fn with_max_retries(&self, retries: u32) -> Self {
        self.with_retry(default_retry(retries, None))
    }

    /// The transport (for its connection statistics, for example).
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// The shared cost tracker.
    pub fn costs(&self) -> &CostTracker {
        &self.inner.costs
    }

    /// The price table.
    pub fn prices(&self) -> &PriceTable {
        &self.inner.prices
    }

    /// A snapshot of the client's metrics.
    pub fn metrics(&self) -> crate::metrics::MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Counters of the retry loop (succeeded, retried, throttled, budget exhausted, ...).
    pub fn retry_metrics(&self) -> shepherd_resilience::Metrics {
        self.retry.metrics()
    }

    /// Sends `call` through retries, routing, the target's limits and breaker, and returns
    /// what `finish` makes of a success response.
    ///
    /// `finish` runs inside the attempt: an error it returns (a body that does not parse,
    /// a stream that fails before its first event) is classified and retried like any other.
    pub(crate) async fn execute<R, F, Fut>(
        &self,
        call: &Call<'_>,
        finish: F,
    ) -> Result<Response<R>, Error>
    where
        F: Fn(http::Response<ResponseBody>, Attempt) -> Fut,
        Fut: Future<Output = Result<R, Error>>,
    {
        let start = Instant::now();
        let attempts = AtomicU32::new(0);
        let finish = &finish;
        let attempts_ref = &attempts;
        let multi_target = self.inner.targets.len() > 1;
        let tried = std::sync::Mutex::new(Vec::<usize>::new());
        let tried = &tried;
        let result = self
            .retry
            // Boxed: the attempt's state machine is kilobytes, and unboxed it would be
            // copied with every future that embeds it (`Instrumented`, the policies', the
            // caller's); perf showed those memcpys at ~7 % of a request's CPU.
            .call(|outer: Attempt| Box::pin(async move {
                attempts_ref.fetch_add(1, Ordering::Relaxed);
                let retries = outer.retries();
                loop {
                    let (index, target) = self.select_target(outer.deadline(), tried).await?;
                    if let Ok(mut t) = tried.lock() {
                        t.push(index);
                    }
                    let _in_flight = target.enter();
                    let options = CallOptions::tokens(call.tokens);
                    let result = target
                        .policy
                        .call_with(options, |attempt: Attempt| {
                            let target = &target;
                            Box::pin(async move {
                                let started = Instant::now();
                                let request = self.build_request(target, call, retries).await?;
                                let response = match self.inner.transport.send(request).await {
                                    Ok(r) => r,
                                    Err(e) => {
                                        tracing::debug!(error = %e, latency = ?started.elapsed(), "attempt failed");
                                        return Err(e.into());
                                    }
                                };
                                let status = response.status();
                                tracing::debug!(status = status.as_u16(), latency = ?started.elapsed(), "response headers");
                                let mut meta = ResponseMeta::from_headers(status, response.headers(), target.name());
                                meta.target_state = Some((*target).clone());
                                target.observe(&meta.rate_limits);
                                if !status.is_success() {
                                    let error = api_error(response, call.path).await;
                                    if error.is_auth() {
                                        target.disable_for(AUTH_COOLDOWN);
                                    } else if multi_target && error.is_rate_limited() && !error.is_insufficient_quota() {
                                        // With one target, a 429 slows the run through the rate
                                        // limiter's feedback and this call's Retry-After; taking
                                        // the only target out would stall every call for it.
                                        target.disable_for(error.retry_after().unwrap_or(THROTTLE_COOLDOWN));
                                    }
                                    return Err(error);
                                }
                                let value = finish(response, attempt).await?;
                                Ok((value, meta))
                            })
                        })
                        .instrument(tracing::debug_span!(
                            "attempt",
                            number = outer.number(),
                            target = target.name()
                        ))
                        .await;
                    match result {
                        // Lost a race for the breaker's last trial slot (a half-open breaker
                        // with every trial taken still reports half-open): wait until it admits
                        // calls, then pick again; no attempt used. Without the wait this loop
                        // spins and starves the trial calls it is waiting for.
                        Err(e) if e.is_breaker_open() => {
                            target.ready().await;
                            continue;
                        }
                        other => return other.map_err(Error::from_policy),
                    }
                }
            }))
            .instrument(tracing::debug_span!("request", method = %call.method, path = call.path))
            .await;
        let attempts = attempts.load(Ordering::Relaxed);
        let elapsed = start.elapsed();
        match result {
            Ok((value, mut meta)) => {
                meta.latency = elapsed;
                meta.attempts = attempts;
                self.inner
                    .metrics
                    .record_success(&meta.target, elapsed, attempts);
                Ok(Response::new(value, meta))
            }
            Err(e) => {
                let error = Error::from_policy(e);
                tracing::debug!(path = call.path, attempts, error = %error, "request failed");
                self.inner.metrics.record_failure(elapsed, attempts, &error);
                Err(error)
            }
        }
    }

    /// Picks the least-loaded available target — one this call has not tried yet when there
    /// is one — waiting (within `deadline`) for the first to recover when every one is
    /// cooling down.
    async fn select_target(
        &self,
        deadline: Option<Instant>,
        tried: &std::sync::Mutex<Vec<usize>>,
    ) -> Result<(usize, Arc<TargetState>), Error> {
        let targets = &self.inner.targets;
        loop {
            let now = Instant::now();
            let tried_now = tried.lock().map(|t| t.clone()).unwrap_or_default();
            let available = || {
                targets
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.unavailable_for(now).is_none())
            };
            let better = |a: &(usize, &Arc<TargetState>), b: &(usize, &Arc<TargetState>)| {
                a.1.priority()
                    .cmp(&b.1.priority())
                    .then(a.1.load().total_cmp(&b.1.load()))
            };
            let best = available()
                .filter(|(i, _)| !tried_now.contains(i))
                .min_by(better)
                .or_else(|| available().min_by(better));
            if let Some((index, best)) = best {
                return Ok((index, best.clone()));
            }
            let wait_any =
                futures_util::future::select_all(targets.iter().map(|t| Box::pin(t.ready())));
            match deadline {
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline, wait_any).await.is_err() {
                        return Err(Error::Policy {
                            reason: "every target is cooling down and none recovered before the deadline".into(),
                            kind: PolicyKind::NoTarget,
                            attempts: 0,
                            retry_after: None,
                            last: None,
                        });
                    }
                }
                None => {
                    wait_any.await;
                }
            }
        }
    }

    async fn build_request(
        &self,
        target: &TargetState,
        call: &Call<'_>,
        retries: u32,
    ) -> Result<http::Request<Body>, Error> {
        let url = format!("{}{}", target.config.base_url, call.path);
        let (body, content_type) = match &call.payload {
            Payload::Empty => (Body::empty(), None),
            Payload::Json(bytes) => (
                Body::from(bytes.clone()),
                Some(Cow::Borrowed("application/json")),
            ),
            Payload::Multipart(spec) => {
                let mut form = Form::new();
                for (k, v) in &spec.fields {
                    form = form.text(k, v.clone());
                }
                let form = match &spec.file {
                    FileSource::Path(path) => {
                        let part = FilePart::open(path)
                            .await?
                            .file_name(spec.file_name.clone());
                        form.file_part(&spec.file_field, part)
                    }
                    FileSource::Bytes(bytes) => {
                        let mime = content_type_for(&spec.file_name);
                        form.bytes_part(&spec.file_field, bytes.clone(), &spec.file_name, mime)
                    }
                };
                let content_type = form.content_type();
                (form.into_body(), Some(Cow::Owned(content_type)))
            }
        };
        let mut request = http::Request::builder()
            .method(call.method.clone())
            .uri(&url)
            .body(body)
            .map_err(|e| Error::Config(format!("invalid request URL {url:?}: {e}")))?;
        // A clone of the target's map, with room for the three headers below: inserting
        // the defaults one by one rehashed and regrew the map on every request (callgrind:
        // ~5k instructions a request).
        let headers = request.headers_mut();
        *headers = target.headers.clone();
        headers.reserve(3);
        if let Some(ct) = content_type {
            let value = match ct {
                Cow::Borrowed(s) => Some(HeaderValue::from_static(s)),
                Cow::Owned(s) => HeaderValue::from_str(&s).ok(),
            };
            if let Some(v) = value {
                headers.insert(http::header::CONTENT_TYPE, v);
            }
        }
        if let Some(accept) = call.accept {
            headers.insert(http::header::ACCEPT, HeaderValue::from_static(accept));
        }
        if self.inner.retry_header && retries > 0 {
            headers.insert(
                HeaderName::from_static(RETRY_COUNT_HEADER),
                HeaderValue::from(retries),
            );
        }
        Ok(request)
    }

    /// Sends a JSON body and parses a JSON answer.
    pub(crate) async fn json<B, R>(
        &self,
        path: &str,
        what: &'static str,
        body: &B,
        tokens: u64,
    ) -> Result<Response<R>, Error>
    where
        B: serde::Serialize + ?Sized,
        R: serde::de::DeserializeOwned,
    {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("cannot serialize the {what} request: {e}")))?;
        let call = Call {
            method: Method::POST,
            path,
            payload: Payload::Json(Bytes::from(bytes)),
            tokens,
            accept: None,
        };
        self.execute(&call, |response, _attempt| {
            read_json::<R>(response, path, what, self.inner.max_body)
        })
        .await
    }

    /// Sends a GET and parses a JSON answer.
    pub(crate) async fn get_json<R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        what: &'static str,
    ) -> Result<Response<R>, Error> {
        let call = Call {
            method: Method::GET,
            path,
            payload: Payload::Empty,
            tokens: 0,
            accept: None,
        };
        self.execute(&call, |response, _attempt| {
            read_json::<R>(response, path, what, self.inner.max_body)
        })
        .await
    }
}

/// Reads a whole body (within the limit) and parses it as JSON.
pub(crate) async fn read_json<R: serde::de::DeserializeOwned>(
    response: http::Response<ResponseBody>,
    path: &str,
    what: &'static str,
    max: u64,
) -> Result<R, Error> {
    let body = response.into_body().collect_limited(max).await?;
    serde_json::from_slice(&body).map_err(|e| Error::decode(what, path, e, &body))
}

/// Turns a non-success response into [`Error::Api`], keeping the server's body.
pub(crate) async fn api_error(response: http::Response<ResponseBody>, path: &str) -> Error {
    const ERROR_BODY_LIMIT: u64 = 64 * 1024;
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.into_body().collect_limited(ERROR_BODY_LIMIT).await {
        Ok(body) => body,
        Err(e) if e.is_body_limit() => Bytes::from_static(b"(error body larger than 64 KiB)"),
        Err(e) => Bytes::from(format!("(error body unreadable: {e})")),
    };
    error_from_parts(status, &headers, &body, path)
}

pub(crate) fn error_from_parts(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    path: &str,
) -> Error {
    let error = ApiError::from_body(body).unwrap_or_else(|| ApiError {
        message: status.canonical_reason().unwrap_or("error").to_owned(),
        ..ApiError::default()
    });
    let pairs = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
    let retry_after = ratelimit::retry_after(pairs, std::time::SystemTime::now());
    let should_retry = headers
        .get("x-should-retry")
        .and_then(|v| match v.as_bytes() {
            b"true" => Some(true),
            b"false" => Some(false),
            _ => None,
        });
    let request_id = crate::response::request_id(headers);
    Error::Api {
        status,
        error: Box::new(error),
        endpoint: path.to_owned(),
        request_id,
        retry_after,
        should_retry,
    }
}

/// The default retry policy: openai-python's schedule (0.5 s doubling to 8 s, full jitter)
/// with `retries` retries and the shared retry budget.
pub(crate) fn default_retry(retries: u32, deadline: Option<Duration>) -> RetryPolicy {
    let mut builder = RetryPolicy::builder()
        .max_attempts(retries.saturating_add(1))
        .backoff(Backoff::exponential(
            Duration::from_millis(500),
            Duration::from_secs(8),
        ));
    if let Some(deadline) = deadline {
        builder = builder.deadline(deadline);
    }
    builder.build()
}

/// Builds a [`Client`].
///
/// Defaults: one target from [`ClientBuilder::base_url`] (default
/// `https://api.openai.com/v1`); 2 retries (openai-python's default) with
/// exponential backoff from 0.5 s to 8 s and full jitter, under a shared retry
/// budget; a circuit breaker per target (resilience's defaults); no rate limit
/// unless `rpm`/`tpm` are set; the shipped price table; the
/// `x-shepherd-retry-count` header on retries; `HyperTransport` defaults
/// (pooled, HTTP/1.1 and HTTP/2, 120 s idle body timeout); a 64 MiB limit on
/// buffered bodies.
pub struct ClientBuilder {
    provider: Provider,
    base_url: Option<String>,
    key: Option<ApiKey>,
    organization: Option<String>,
    project: Option<String>,
    headers: Vec<(String, String)>,
    targets: Vec<Target>,
    rpm: Option<u64>,
    tpm: Option<u64>,
    retry: Option<RetryPolicy>,
    max_retries: u32,
    deadline: Option<Duration>,
    breaker: Option<Arc<dyn Fn() -> CircuitBreaker + Send + Sync>>,
    breaker_enabled: bool,
    prices: Option<PriceTable>,
    fallback_models: Vec<String>,
    retry_header: bool,
    max_body: u64,
    budget_usd: Option<f64>,
    transport: Option<shepherd_transport::HyperTransportBuilder>,
    cache: Option<Arc<dyn crate::cache::Cache>>,
    embedding_batch: usize,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("provider", &self.provider)
            .field("key", &self.key)
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// A builder with the defaults listed on [`ClientBuilder`].
    pub fn new() -> Self {
        ClientBuilder {
            provider: Provider::OpenAi,
            base_url: None,
            key: None,
            organization: None,
            project: None,
            headers: Vec::new(),
            targets: Vec::new(),
            rpm: None,
            tpm: None,
            retry: None,
            max_retries: 2,
            deadline: None,
            breaker: None,
            breaker_enabled: true,
            prices: None,
            fallback_models: Vec::new(),
            retry_header: true,
            max_body: 64 * 1024 * 1024,
            budget_usd: None,
            transport: None,
            cache: None,
            embedding_batch: 2048,
        }
    }

    /// Reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `OPENAI_API_KEY` is missing or empty.
    pub fn from_env(self) -> Result<Self, Error> {
        self.from_env_var("OPENAI_API_KEY")
    }

    /// As [`from_env`](Self::from_env), with the key read from `key_var`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `key_var` is missing or empty.
    pub fn from_env_var(mut self, key_var: &str) -> Result<Self, Error> {
        let key = ApiKey::from_env(key_var).map_err(|_| {
            Error::Config(format!(
                "no API key: set the environment variable {key_var}"
            ))
        })?;
        self.key = Some(key);
        if let Ok(url) = std::env::var("OPENAI_BASE_URL")
            && !url.trim().is_empty()
        {
            self.base_url = Some(url.trim().to_owned());
        }
        if let Ok(org) = std::env::var("OPENAI_ORG_ID") {
            self.organization = Some(org);
        }
        if let Ok(project) = std::env::var("OPENAI_PROJECT_ID") {
            self.project = Some(project);
        }
        Ok(self)
    }

    /// Uses a provider preset (base URL, auth style, dialect). A [`base_url`](Self::base_url)
    /// set as well replaces only the preset's URL (a proxy in front of Anthropic, say).
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// The base URL, e.g. `http://127.0.0.1:8080/v1` for any OpenAI-compatible server.
    /// Keeps the provider's auth style and dialect (OpenAI's by default).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API key.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// `OpenAI-Organization` header.
    pub fn organization(mut self, org: impl Into<String>) -> Self {
        self.organization = Some(org.into());
        self
    }

    /// `OpenAI-Project` header.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// An extra header on every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a routing target. With targets added, the base URL and key of the builder are
    /// not used; calls go to the least-loaded available target and fail over between them.
    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    /// Requests per minute for the (single) default target.
    pub fn rpm(mut self, rpm: u64) -> Self {
        self.rpm = Some(rpm);
        self
    }

    /// Tokens per minute for the (single) default target.
    pub fn tpm(mut self, tpm: u64) -> Self {
        self.tpm = Some(tpm);
        self
    }

    /// Retries per call with the default backoff (default 2; 0 turns retries off).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// A custom retry policy (overrides `max_retries`).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// An overall deadline per call, across all attempts and waits.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// A circuit breaker per target, made by `make` (one call per target).
    pub fn circuit_breaker(
        mut self,
        make: impl Fn() -> CircuitBreaker + Send + Sync + 'static,
    ) -> Self {
        self.breaker = Some(Arc::new(make));
        self.breaker_enabled = true;
        self
    }

    /// No circuit breakers.
    pub fn no_circuit_breaker(mut self) -> Self {
        self.breaker_enabled = false;
        self
    }

    /// The price table (default: the shipped one).
    pub fn prices(mut self, prices: PriceTable) -> Self {
        self.prices = Some(prices);
        self
    }

    /// Models to try, in order, when the requested one fails for good
    /// (errors, context length, budget). Chat only.
    pub fn fallback_models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fallback_models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Whether to send [`RETRY_COUNT_HEADER`] on retries (default true).
    pub fn retry_count_header(mut self, enabled: bool) -> Self {
        self.retry_header = enabled;
        self
    }

    /// Largest buffered (non-streamed) response body (default 64 MiB).
    pub fn max_body_bytes(mut self, max: u64) -> Self {
        self.max_body = max;
        self
    }

    /// A spending limit in USD for this client and its clones.
    pub fn budget_usd(mut self, limit: f64) -> Self {
        self.budget_usd = Some(limit);
        self
    }

    /// Transport settings (timeouts, pool, TLS); see `HyperTransportBuilder`.
    pub fn transport(mut self, builder: shepherd_transport::HyperTransportBuilder) -> Self {
        self.transport = Some(builder);
        self
    }

    /// A response cache for deterministic requests.
    pub fn cache(mut self, cache: Arc<dyn crate::cache::Cache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Most inputs per embeddings request (default 2048, the API's limit); larger inputs are split.
    pub fn embedding_batch_size(mut self, max: usize) -> Self {
        self.embedding_batch = max.max(1);
        self
    }

    /// Builds the client over a `HyperTransport`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for invalid headers, or a transport error when TLS cannot be set up.
    pub fn build(mut self) -> Result<Client<HyperTransport>, Error> {
        let transport = match self.transport.take() {
            Some(builder) => builder.build()?,
            None => HyperTransport::new()?,
        };
        self.build_with(transport)
    }

    /// Builds the client over any transport.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for invalid headers.
    pub fn build_with<T: Transport>(self, transport: T) -> Result<Client<T>, Error> {
        let mut default_headers = HeaderMap::new();
        let mut put = |name: &str, value: &str| -> Result<(), Error> {
            let (name, value) = crate::target::header(name, value)?;
            default_headers.insert(name, value);
            Ok(())
        };
        if let Some(org) = &self.organization {
            put("openai-organization", org)?;
        }
        if let Some(project) = &self.project {
            put("openai-project", project)?;
        }
        for (name, value) in self.provider.extra_headers() {
            put(name, value)?;
        }
        for (name, value) in &self.headers {
            put(name, value)?;
        }
        let targets = if self.targets.is_empty() {
            let url = self.base_url.as_deref().unwrap_or(self.provider.base_url());
            let mut target = Target::without_key(url).auth_style(self.provider.auth_style());
            if let Some(key) = self.key.clone() {
                target = target.key(key);
            }
            if let Some(rpm) = self.rpm {
                target = target.rpm(rpm);
            }
            if let Some(tpm) = self.tpm {
                target = target.tpm(tpm);
            }
            vec![target]
        } else {
            self.targets
        };
        let make_breaker = |_: &Target| -> Option<CircuitBreaker> {
            if !self.breaker_enabled {
                return None;
            }
            Some(match &self.breaker {
                Some(make) => make(),
                None => CircuitBreaker::default(),
            })
        };
        let targets = targets
            .into_iter()
            .map(|t| {
                let breaker = make_breaker(&t);
                TargetState::new(t, breaker, &default_headers).map(Arc::new)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let estimate_tokens =
            self.budget_usd.is_some() || targets.iter().any(|t| t.config.tpm.is_some());
        let classifier = RoutingClassifier {
            multi_target: targets.len() > 1,
        };
        let retry = self
            .retry
            .unwrap_or_else(|| default_retry(self.max_retries, self.deadline));
        let prices = Arc::new(self.prices.unwrap_or_else(|| PriceTable::shipped().clone()));
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                targets,
                dialect: self.provider.dialect(),
                prices,
                costs: CostTracker::new(self.budget_usd),
                fallback_models: self.fallback_models,
                retry_header: self.retry_header,
                max_body: self.max_body,
                metrics: crate::metrics::Metrics::new(),
                cache: self.cache,
                embedding_batch: self.embedding_batch,
                estimate_tokens,
            }),
            retry: Arc::new(Policy::builder(classifier).retry(retry).build()),
        })
    }
}

/// The content type of an audio upload, from its file name's extension.
pub(crate) fn content_type_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "mp3" | "mpga" | "mpeg" => "audio/mpeg",
        "wav" => "audio/wav",
        "m4a" | "mp4" => "audio/mp4",
        "ogg" | "oga" => "audio/ogg",
        "flac" => "audio/flac",
        "webm" => "audio/webm",
        _ => "application/octet-stream",
    }
}
