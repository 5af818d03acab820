//! A typed response with what rode along: status, request id, latency, attempts, rate limits.

use std::ops::Deref;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use shepherd_types::ratelimit::RateLimitHeaders;

/// What every response carries besides its body.
#[derive(Debug, Clone)]
pub struct ResponseMeta {
    /// HTTP status of the final attempt.
    pub status: StatusCode,
    /// `x-request-id` (or `request-id`), when the server sent one.
    pub request_id: Option<String>,
    /// Time from the first attempt's start to the response headers of the last.
    pub latency: Duration,
    /// Attempts made, 1 when the first one succeeded.
    pub attempts: u32,
    /// The `x-ratelimit-*` headers, parsed.
    pub rate_limits: RateLimitHeaders,
    /// Name of the target that answered (its base URL unless named).
    pub target: String,
    /// The model that answered, after any fallback.
    pub model: Option<String>,
    /// Cost in USD, when the price table knows the model.
    pub cost_usd: Option<f64>,
    /// True when the answer came from the response cache.
    pub cached: bool,
    pub(crate) target_state: Option<std::sync::Arc<crate::target::TargetState>>,
}

/// The server's request id: `x-request-id` (OpenAI), else `request-id` (Anthropic).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .or_else(|| headers.get("request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl ResponseMeta {
    /// Metadata of an answer served from the response cache: no request, no attempt.
    pub(crate) fn cached(model: Option<String>) -> Self {
        let mut meta = ResponseMeta::from_headers(StatusCode::OK, &HeaderMap::new(), "cache");
        meta.cached = true;
        meta.attempts = 0;
        meta.model = model;
        meta
    }

    pub(crate) fn from_headers(status: StatusCode, headers: &HeaderMap, target: &str) -> Self {
        let request_id = request_id(headers);
        let rate_limits = RateLimitHeaders::from_pairs(
            headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
        );
        ResponseMeta {
            status,
            request_id,
            latency: Duration::ZERO,
            attempts: 1,
            rate_limits,
            target: target.to_owned(),
            model: None,
            cost_usd: None,
            cached: false,
            target_state: None,
        }
    }
}

/// A parsed response body and its [`ResponseMeta`]. Dereferences to the body.
///
/// # Examples
///
/// ```no_run
/// # async fn run(client: shepherd::Client) -> Result<(), shepherd::Error> {
/// use shepherd::types::chat::ChatRequest;
///
/// let reply = client.chat(ChatRequest::new("gpt-4.1").user("Hi")).await?;
/// println!("{} after {} attempts in {:?}", reply.text(), reply.meta().attempts, reply.meta().latency);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    value: T,
    meta: ResponseMeta,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, meta: ResponseMeta) -> Self {
        Response { value, meta }
    }

    /// Status, request id, latency, attempts, rate limits.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    pub(crate) fn meta_mut(&mut self) -> &mut ResponseMeta {
        &mut self.meta
    }

    /// The body.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The body and the metadata.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.value, self.meta)
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            meta: self.meta,
        }
    }
}

impl<T> Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}
