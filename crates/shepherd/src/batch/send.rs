//! Sending one line: a pass-through POST whose answer must be whole JSON, with budget, cost and fallback.

use bytes::Bytes;
use http::Method;
use serde_json::Value;
use shepherd_transport::Transport;
use shepherd_types::Usage;

use super::estimate::{Estimate, estimate};
use super::input::Job;
use super::output::ErrorResponse;
use crate::chat::should_fall_back;
use crate::client::{Call, Payload};
use crate::response::ResponseMeta;
use crate::{Client, Error, PolicyKind};

/// A successful answer to one line.
pub(crate) struct Answer {
    pub(crate) body: Bytes,
    pub(crate) meta: ResponseMeta,
    pub(crate) tokens: u64,
    /// Set when a fallback model answered.
    pub(crate) fell_back_to: Option<String>,
}

/// A line that failed for good: the last error, and the calls made (one per model tried).
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) calls: u64,
}

impl<T: Transport> Client<T> {
    /// Sends `job` to `path`, then to each fallback model in turn while the failure is one
    /// another model may not share.
    pub(crate) async fn send_line(
        &self,
        job: &Job,
        path: &str,
        fallback_models: &[String],
    ) -> Result<(Answer, u64), Failure> {
        // Calls, not attempts: the retry loop's own metrics count the retries inside each call.
        let mut body = job.body.clone();
        let mut calls = 0u64;
        let mut fell_back_to = None;
        let mut fallbacks = fallback_models.iter();
        loop {
            let estimate = estimate(
                job.endpoint,
                &body,
                &self.inner.prices,
                self.inner.estimate_tokens,
            );
            calls += 1;
            match self.post_checked(path, body.clone(), &estimate).await {
                Ok((body, meta, usage)) => {
                    let tokens = u64::from(
                        usage
                            .total_tokens
                            .max(usage.prompt_tokens + usage.completion_tokens),
                    );
                    return Ok((
                        Answer {
                            body,
                            meta,
                            tokens,
                            fell_back_to,
                        },
                        calls,
                    ));
                }
                Err(error) => {
                    if !should_fall_back(&error) {
                        return Err(Failure { error, calls });
                    }
                    let current = estimate.model.unwrap_or_default();
                    let Some(next) = fallbacks.find(|m| **m != current) else {
                        return Err(Failure { error, calls });
                    };
                    let Some(rewritten) = with_model(&body, next) else {
                        return Err(Failure { error, calls });
                    };
                    tracing::warn!(custom_id = %job.custom_id, error = %error, next_model = %next, "falling back to the next model");
                    body = rewritten;
                    fell_back_to = Some(next.clone());
                }
            }
        }
    }

    /// POSTs a JSON body and returns the answer only when it is whole JSON; a 2xx whose body
    /// does not parse is an [`Error::Decode`], which the retry loop retries.
    async fn post_checked(
        &self,
        path: &str,
        body: Bytes,
        estimate: &Estimate,
    ) -> Result<(Bytes, ResponseMeta, Usage), Error> {
        #[derive(serde::Deserialize)]
        struct WithUsage {
            #[serde(default)]
            usage: Option<Usage>,
        }
        let reservation = self.inner.costs.reserve(estimate.usd)?;
        let call = Call {
            method: Method::POST,
            path,
            payload: Payload::Json(body),
            tokens: estimate.tokens,
            accept: None,
        };
        let max = self.inner.max_body;
        let response = self
            .execute(&call, |response, _attempt| async move {
                let bytes = response.into_body().collect_limited(max).await?;
                // Parsing the whole body checks it is complete JSON, not just its start.
                match serde_json::from_slice::<WithUsage>(&bytes) {
                    Ok(parsed) => Ok((bytes, parsed.usage.unwrap_or_default())),
                    Err(e) => Err(Error::decode("batch response", path, e, &bytes)),
                }
            })
            .await?;
        let ((bytes, usage), mut meta) = response.into_parts();
        match &estimate.model {
            Some(model) => {
                self.settle(&mut meta, model, estimate.tokens, &usage, Some(reservation));
            }
            None => drop(reservation),
        }
        Ok((bytes, meta, usage))
    }
}

/// The body with its `model` replaced; `None` when the body is not an object.
fn with_model(body: &[u8], model: &str) -> Option<Bytes> {
    let mut value: serde_json::Map<String, Value> = serde_json::from_slice(body).ok()?;
    value.insert("model".into(), Value::String(model.to_owned()));
    serde_json::to_vec(&value).ok().map(Bytes::from)
}

/// The error code written for a failed line: the API's code or type when the server sent
/// one, else a short kind (`timeout`, `connect`, `breaker_open`, `budget`, ...).
pub(crate) fn error_code(error: &Error) -> String {
    if error.is_budget() {
        return "budget_exceeded".into();
    }
    if error.policy_kind() == Some(PolicyKind::OverCapacity) {
        // One request larger than the whole per-minute token limit: it can never be sent.
        return "request_exceeds_tpm".into();
    }
    if let Some(api) = error.api_error() {
        if let Some(code) = api.code_str() {
            return code.to_owned();
        }
        if let Some(kind) = api.kind.as_deref().filter(|k| !k.is_empty()) {
            return kind.to_owned();
        }
    }
    match error.status() {
        Some(status) if status.is_server_error() => "server_error".into(),
        Some(status) => format!("http_{}", status.as_u16()),
        None => crate::metrics::error_kind(error),
    }
}

/// The server's error answer, for the error line's `response`.
pub(crate) fn error_response(error: &Error) -> Option<ErrorResponse> {
    let status = error.status()?;
    let body = match error.api_error() {
        Some(api) => serde_json::json!({ "error": api }),
        None => Value::Null,
    };
    Some(ErrorResponse {
        status: status.as_u16(),
        request_id: error.request_id().unwrap_or_default().to_owned(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_rewrites_only_the_model() {
        let body = with_model(
            br#"{"model":"a","messages":[{"role":"user","content":"x"}]}"#,
            "b",
        )
        .expect("object");
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["model"], "b");
        assert_eq!(v["messages"][0]["content"], "x");
        assert!(with_model(b"[1]", "b").is_none());
    }
}
