//! The facade's error: what went wrong with a call, classified for retries and for people.

use std::time::Duration;

use http::StatusCode;
use shepherd_types::error::ApiError;

/// Everything a [`Client`](crate::Client) call can fail with.
///
/// The server's own error body is kept ([`Error::Api`]), never swallowed;
/// transport failures keep the transport's error with its predicates; a
/// rejection by a policy (open circuit breaker, exhausted retry budget, a
/// deadline) says which policy refused and carries the last underlying error
/// when there was one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-success status.
    #[error("{status} from {endpoint}: {error}{}", request_id_suffix(request_id.as_deref()))]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// The error body, as the server sent it (or its first bytes, when not JSON).
        error: Box<ApiError>,
        /// The endpoint path, e.g. `/chat/completions`.
        endpoint: String,
        /// `x-request-id`, for the provider's support.
        request_id: Option<String>,
        /// The wait the server asked for (`retry-after-ms` / `retry-after`).
        retry_after: Option<Duration>,
        /// `x-should-retry`, when the server sent it.
        should_retry: Option<bool>,
    },
    /// Moving bytes failed: connect, TLS, timeout, body limit, reset.
    #[error(transparent)]
    Transport(#[from] shepherd_transport::Error),
    /// A success response whose body is not what the endpoint returns.
    #[error("could not read the {what} from {endpoint}: {source} (body starts with: {snippet:?})")]
    Decode {
        /// What was being read, e.g. `chat completion`.
        what: &'static str,
        /// The endpoint path.
        endpoint: String,
        /// The parse error.
        source: serde_json::Error,
        /// The body's first 200 bytes, lossily decoded.
        snippet: String,
    },
    /// An `error` event inside a stream.
    #[error("the server reported an error mid-stream: {0}")]
    StreamEvent(Box<ApiError>),
    /// A stream ended before the server said it was complete.
    #[error(
        "the stream from {endpoint} ended early, after {chunks} chunks and before `[DONE]` or a finish reason"
    )]
    StreamTruncated {
        /// The endpoint path.
        endpoint: String,
        /// Chunks received before the end.
        chunks: usize,
    },
    /// A policy refused the call or gave up retrying.
    #[error("{reason}{}", last_error_suffix(last.as_deref()))]
    Policy {
        /// Which policy, and why, in words.
        reason: String,
        /// Kind of refusal, for predicates.
        kind: PolicyKind,
        /// Attempts made.
        attempts: u32,
        /// How long until retrying can help, when known (an open breaker's next probe, a Retry-After).
        retry_after: Option<Duration>,
        /// The last underlying error, if an attempt was made.
        last: Option<Box<Error>>,
    },
    /// The request cannot be sent as given (bad configuration, invalid URL, missing key).
    #[error("{0}")]
    Config(String),
    /// The spending budget would be exceeded.
    #[error(
        "budget exceeded: spent ${spent:.4} + reserved ${reserved:.4} + this request's estimate ${estimate:.4} > limit ${limit:.4}"
    )]
    Budget {
        /// Spent so far, USD.
        spent: f64,
        /// Reserved by requests in flight, USD.
        reserved: f64,
        /// This request's estimated cost, USD.
        estimate: f64,
        /// The budget, USD.
        limit: f64,
    },
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Which policy turned a call away (see [`Error::Policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyKind {
    /// The circuit breaker is open.
    BreakerOpen,
    /// The shared retry budget is empty.
    BudgetExhausted,
    /// The server asked to wait longer than the configured maximum.
    RetryAfterTooLong,
    /// The call's deadline passed.
    Deadline,
    /// A single request costs more than the rate limiter's capacity.
    OverCapacity,
    /// The rate limiter refused without waiting.
    RateLimited,
    /// The concurrency limiter's queue is full, or acquiring timed out.
    Queue,
    /// Every target is unavailable.
    NoTarget,
}

fn request_id_suffix(id: Option<&str>) -> String {
    id.map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

fn last_error_suffix(last: Option<&Error>) -> String {
    last.map(|e| format!("; last error: {e}"))
        .unwrap_or_default()
}

impl Error {
    /// The HTTP status, for [`Error::Api`] (or the last error of a policy refusal).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Transport(e) => e.status(),
            Error::Policy {
                last: Some(last), ..
            } => last.status(),
            _ => None,
        }
    }

    /// The server's error body, when it sent one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } | Error::StreamEvent(error) => Some(&**error),
            Error::Policy {
                last: Some(last), ..
            } => last.api_error(),
            _ => None,
        }
    }

    /// The wait the server (or an open breaker) suggests before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            Error::Policy { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server's request id, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } => request_id.as_deref(),
            Error::Policy {
                last: Some(last), ..
            } => last.request_id(),
            _ => None,
        }
    }

    /// True for any timeout (connect, headers, idle body, deadline).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_timeout(),
            Error::Policy {
                kind: PolicyKind::Deadline,
                ..
            } => true,
            _ => false,
        }
    }

    /// True for a 429.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// True for an exhausted account quota (`insufficient_quota`): retrying cannot help.
    pub fn is_insufficient_quota(&self) -> bool {
        self.api_error()
            .is_some_and(ApiError::is_insufficient_quota)
    }

    /// True when the prompt did not fit the model's context window.
    pub fn is_context_length(&self) -> bool {
        self.api_error().is_some_and(|e| {
            e.code_str() == Some("context_length_exceeded")
                || e.message.contains("context length")
                || e.message.contains("maximum context")
        })
    }

    /// True for a 401 or 403.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// True when the circuit breaker refused the call.
    pub fn is_breaker_open(&self) -> bool {
        matches!(
            self,
            Error::Policy {
                kind: PolicyKind::BreakerOpen,
                ..
            }
        )
    }

    /// True when a policy refused or stopped the call.
    pub fn is_policy(&self) -> bool {
        matches!(self, Error::Policy { .. })
    }

    /// True when the budget refused the call.
    pub fn is_budget(&self) -> bool {
        matches!(self, Error::Budget { .. })
    }

    /// True for a success response whose body could not be read as the expected type.
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode { .. })
    }

    /// The policy that refused the call, if one did.
    pub fn policy_kind(&self) -> Option<PolicyKind> {
        match self {
            Error::Policy { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// True when sending the same request again may succeed: the classification the
    /// retry policy uses (see [`crate::classify`]).
    pub fn is_retryable(&self) -> bool {
        crate::classify::classify(self).outcome().is_retryable()
    }

    pub(crate) fn decode(
        what: &'static str,
        endpoint: &str,
        source: serde_json::Error,
        body: &[u8],
    ) -> Self {
        let cut = &body[..body.len().min(200)];
        Error::Decode {
            what,
            endpoint: endpoint.to_owned(),
            source,
            snippet: String::from_utf8_lossy(cut).into_owned(),
        }
    }

    /// Converts a policy error into this error, keeping the last call error inside.
    pub(crate) fn from_policy(e: shepherd_resilience::Error<Error>) -> Self {
        use shepherd_resilience::Error as P;
        let attempts = e.attempts();
        let retry_after = e.retry_after();
        let (kind, reason) = match &e {
            P::Call { .. } => {
                return e
                    .into_inner()
                    .unwrap_or_else(|| Error::Config("policy lost the call's error".into()));
            }
            P::BudgetExhausted { .. } => (
                PolicyKind::BudgetExhausted,
                format!(
                    "gave up after {attempts} attempts: the shared retry budget is empty (many calls are failing)"
                ),
            ),
            P::RetryAfterTooLong {
                retry_after, max, ..
            } => (
                PolicyKind::RetryAfterTooLong,
                format!(
                    "the server asked to wait {retry_after:?}, more than the configured maximum of {max:?}"
                ),
            ),
            P::DeadlineExceeded { .. } => (
                PolicyKind::Deadline,
                format!("the call's deadline passed after {attempts} attempts"),
            ),
            P::BreakerOpen { .. } => (
                PolicyKind::BreakerOpen,
                format!("circuit breaker open: {e}"),
            ),
            P::RateLimited { .. } => (PolicyKind::RateLimited, e.to_string()),
            P::OverCapacity { .. } => (PolicyKind::OverCapacity, e.to_string()),
            _ => (PolicyKind::Queue, e.to_string()),
        };
        let last = e.into_inner().map(Box::new);
        Error::Policy {
            reason,
            kind,
            attempts,
            retry_after,
            last,
        }
    }
}
