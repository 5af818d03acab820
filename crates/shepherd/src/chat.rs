//! Chat completions: JSON and streaming, with model fallback, cost, budget and cache.

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use shepherd_resilience::rate::Cost;
use shepherd_transport::sse::EventStream;
use shepherd_transport::{Limits, Transport};
use shepherd_types::Usage;
use shepherd_types::anthropic::{ChunkConverter, MessagesRequest, MessagesResponse};
use shepherd_types::chat::{ChatRequest, ChatResponse};

use crate::client::{Call, Payload, read_json};
use crate::cost::CostReservation;
use crate::provider::Dialect;
use crate::response::{Response, ResponseMeta};
use crate::stream::{ChatStream, Decoder};
use crate::{Client, Error, cache, tokens};

const CHAT_PATH: &str = "/chat/completions";
const MESSAGES_PATH: &str = "/messages";

impl<T: Transport> Client<T> {
    /// Sends a chat completion and returns the whole answer.
    ///
    /// On a failure another model may not share (an exhausted model, a prompt
    /// too long for its context, a model over budget, a provider outage that
    /// outlasted the retries), the client's fallback models are tried in order.
    ///
    /// # Errors
    ///
    /// The last model's [`Error`] when every model failed.
    pub async fn chat(&self, request: ChatRequest) -> Result<Response<ChatResponse>, Error> {
        let mut request = request;
        request.stream = None;
        request.stream_options = None;
        // Boxed so callers move a pointer, not the request's kilobytes of call state.
        self.with_fallback(request, |req| Box::pin(self.chat_once(req)))
            .await
    }

    /// Sends a streaming chat completion.
    ///
    /// An HTTP error comes back from this call, not as the stream's first item:
    /// the call returns once the first chunk has arrived, and everything before it
    /// (connect, status, the first event) is retried and may fall back to another
    /// model. After the first chunk nothing is retried. `stream_options.include_usage`
    /// is set so the final usage (and cost) is known.
    ///
    /// # Errors
    ///
    /// As [`chat`](Self::chat).
    pub async fn chat_stream(&self, request: ChatRequest) -> Result<ChatStream, Error> {
        let request = request.stream(true).include_usage(true);
        let response = self
            .with_fallback(request, |req| Box::pin(self.chat_stream_once(req)))
            .await?;
        Ok(response.into_inner())
    }

    async fn with_fallback<R, F, Fut>(
        &self,
        request: ChatRequest,
        once: F,
    ) -> Result<Response<R>, Error>
    where
        F: Fn(ChatRequest) -> Fut,
        Fut: std::future::Future<Output = Result<Response<R>, Error>>,
    {
        let fallbacks: Vec<String> = self
            .inner
            .fallback_models
            .iter()
            .filter(|m| **m != request.model)
            .cloned()
            .collect();
        let mut current = request;
        let mut rest = fallbacks.into_iter().peekable();
        loop {
            // Kept only when there is a model to fall back to: cloning every request
            // (its messages) for nothing was measurable at thousands of calls a second.
            let next_template = rest.peek().is_some().then(|| current.clone());
            match once(current).await {
                Ok(r) => return Ok(r),
                Err(e) if should_fall_back(&e) => match (rest.next(), next_template) {
                    (Some(model), Some(mut next)) => {
                        tracing::warn!(error = %e, next_model = %model, "falling back to the next model");
                        next.model = model;
                        current = next;
                    }
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }

    /// Prompt tokens, tokens to charge the limiter, and the cost estimate for the budget;
    /// zeros when no token limit or budget will use them.
    fn estimate(&self, request: &ChatRequest) -> (u64, u64, f64) {
        if !self.inner.estimate_tokens {
            return (0, 0, 0.0);
        }
        let prompt = tokens::chat_prompt_tokens(request);
        let max_out = tokens::chat_max_output_tokens(request);
        let usd = self
            .inner
            .prices
            .lookup(&request.model)
            .map(|(_, p)| {
                let out = max_out.unwrap_or(0) as f64;
                (prompt as f64 * p.input.unwrap_or(0.0) + out * p.output.unwrap_or(0.0))
                    / 1_000_000.0
            })
            .unwrap_or(0.0);
        (prompt, prompt + max_out.unwrap_or(0), usd)
    }

    async fn chat_once(&self, request: ChatRequest) -> Result<Response<ChatResponse>, Error> {
        let (_prompt, limiter_tokens, estimate_usd) = self.estimate(&request);
        let cacheable = request.temperature == Some(0.0) && request.n.unwrap_or(1) == 1;
        let cache_key = match (&self.inner.cache, cacheable) {
            (Some(_), true) => serde_json::to_value(&request)
                .ok()
                .map(|v| cache::key(CHAT_PATH, &v)),
            _ => None,
        };
        if let (Some(cache), Some(key)) = (&self.inner.cache, cache_key)
            && let Some(body) = cache.get(key)
            && let Ok(response) = serde_json::from_slice::<ChatResponse>(&body)
        {
            let meta = ResponseMeta::cached(Some(response.model.clone()));
            return Ok(Response::new(response, meta));
        }
        let reservation = self.inner.costs.reserve(estimate_usd)?;
        let max_body = self.inner.max_body;
        let mut response = match self.inner.dialect {
            Dialect::OpenAi => {
                let body = to_bytes(&request, "chat completion")?;
                let call = Call {
                    method: Method::POST,
                    path: CHAT_PATH,
                    payload: Payload::Json(body),
                    tokens: limiter_tokens,
                    accept: None,
                };
                self.execute(&call, |resp, _| {
                    read_json::<ChatResponse>(resp, CHAT_PATH, "chat completion", max_body)
                })
                .await?
            }
            Dialect::Anthropic => {
                let messages = MessagesRequest::from_chat(&request)
                    .map_err(|e| Error::Config(e.to_string()))?;
                let body = to_bytes(&messages, "messages")?;
                let call = Call {
                    method: Method::POST,
                    path: MESSAGES_PATH,
                    payload: Payload::Json(body),
                    tokens: limiter_tokens,
                    accept: None,
                };
                self.execute(&call, |resp, _| {
                    read_json::<MessagesResponse>(resp, MESSAGES_PATH, "message", max_body)
                })
                .await?
                .map(ChatResponse::from)
            }
        };
        let usage = response.usage.clone().unwrap_or_default();
        let cost = self.settle(
            response_meta(&mut response),
            &request.model,
            limiter_tokens,
            &usage,
            Some(reservation),
        );
        if let (Some(cache), Some(key)) = (&self.inner.cache, cache_key)
            && let Ok(bytes) = serde_json::to_vec(&*response)
        {
            cache.put(key, Bytes::from(bytes), cost.unwrap_or(0.0));
        }
        Ok(response)
    }

    async fn chat_stream_once(&self, request: ChatRequest) -> Result<Response<ChatStream>, Error> {
        let (_prompt, limiter_tokens, estimate_usd) = self.estimate(&request);
        let reservation = self.inner.costs.reserve(estimate_usd)?;
        let (path, body) = match self.inner.dialect {
            Dialect::OpenAi => (CHAT_PATH, to_bytes(&request, "chat completion")?),
            Dialect::Anthropic => {
                let messages = MessagesRequest::from_chat(&request)
                    .map_err(|e| Error::Config(e.to_string()))?
                    .stream(true);
                (MESSAGES_PATH, to_bytes(&messages, "messages")?)
            }
        };
        let dialect = self.inner.dialect;
        let call = Call {
            method: Method::POST,
            path,
            payload: Payload::Json(body),
            tokens: limiter_tokens,
            accept: Some("text/event-stream"),
        };
        let limits = Limits::default();
        let response = self
            .execute(&call, |resp, attempt| {
                async move {
                    let events = EventStream::from_response(resp, &limits).await?;
                    let decoder = match dialect {
                        Dialect::OpenAi => Decoder::OpenAi,
                        Dialect::Anthropic => {
                            Decoder::Anthropic(Box::new(ChunkConverter::new().include_usage(true)))
                        }
                    };
                    let mut stream = ChatStream::new(events, decoder, path, attempt.take_permit());
                    // Wait for the first chunk inside the attempt, so a failure before it is retried.
                    stream.prime().await?;
                    Ok(stream)
                }
            })
            .await?;
        let (mut stream, meta) = response.into_parts();
        let settle = StreamSettlement {
            client_prices: self.inner.prices.clone(),
            costs: self.inner.costs.clone(),
            metrics: self.inner.metrics.clone(),
            model: request.model.clone(),
            target_state: meta.target_state.clone(),
            limiter_tokens,
            reservation: Some(reservation),
        };
        stream.set_settlement(settle);
        stream.set_meta(meta.clone());
        Ok(Response::new(stream, meta))
    }

    /// Records the cost of a finished call and corrects the token limiter; returns the cost.
    pub(crate) fn settle(
        &self,
        meta: &mut ResponseMeta,
        model: &str,
        limiter_tokens: u64,
        usage: &Usage,
        reservation: Option<CostReservation>,
    ) -> Option<f64> {
        self.inner.metrics.record_tokens(model, usage);
        settle(
            &self.inner.prices,
            &self.inner.costs,
            meta,
            model,
            limiter_tokens,
            usage,
            reservation,
        )
    }
}

fn response_meta<R>(response: &mut Response<R>) -> &mut ResponseMeta {
    response.meta_mut()
}

/// What a stream needs to settle its cost and limiter tokens when it ends.
pub(crate) struct StreamSettlement {
    pub(crate) client_prices: Arc<shepherd_types::pricing::PriceTable>,
    pub(crate) costs: crate::CostTracker,
    pub(crate) metrics: crate::metrics::Metrics,
    pub(crate) model: String,
    pub(crate) target_state: Option<Arc<crate::target::TargetState>>,
    pub(crate) limiter_tokens: u64,
    pub(crate) reservation: Option<CostReservation>,
}

impl StreamSettlement {
    pub(crate) fn finish(mut self, meta: &mut ResponseMeta, usage: &Usage) -> Option<f64> {
        meta.target_state = self.target_state.take();
        self.metrics.record_tokens(&self.model, usage);
        settle(
            &self.client_prices,
            &self.costs,
            meta,
            &self.model,
            self.limiter_tokens,
            usage,
            self.reservation.take(),
        )
    }
}

fn settle(
    prices: &shepherd_types::pricing::PriceTable,
    costs: &crate::CostTracker,
    meta: &mut ResponseMeta,
    model: &str,
    limiter_tokens: u64,
    usage: &Usage,
    reservation: Option<CostReservation>,
) -> Option<f64> {
    let cost = prices.cost(usage, model).ok().map(|c| c.total_usd());
    meta.cost_usd = cost;
    meta.model = Some(model.to_owned());
    match (cost, reservation) {
        (Some(usd), Some(r)) => r.commit(model, &meta.target, usd),
        (cost, r) => {
            drop(r);
            costs.record(model, &meta.target, cost);
        }
    }
    if let Some(target) = &meta.target_state
        && let Some(limiter) = target.policy.rate_limiter()
    {
        let actual = u64::from(
            usage
                .total_tokens
                .max(usage.prompt_tokens + usage.completion_tokens),
        );
        // A zero estimate means none was made (no token limit): nothing to correct.
        if actual > 0 && limiter_tokens > 0 {
            limiter.reconcile(
                Cost::request_with_tokens(limiter_tokens),
                Cost::request_with_tokens(actual),
            );
        }
    }
    cost
}

fn to_bytes<B: serde::Serialize>(body: &B, what: &str) -> Result<Bytes, Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::Config(format!("cannot serialize the {what} request: {e}")))
}

/// Whether another model might succeed where this one failed.
pub(crate) fn should_fall_back(error: &Error) -> bool {
    if error.is_context_length() || error.is_budget() || error.is_insufficient_quota() {
        return true;
    }
    match error.status().map(|s| s.as_u16()) {
        Some(404) => true,           // model not found at this provider
        Some(s) if s >= 500 => true, // retries exhausted on a failing model
        Some(429) => true,
        Some(_) => false,
        None => error.is_policy() || error.is_timeout(),
    }
}
