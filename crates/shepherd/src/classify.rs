//! Which failures the client retries: the HTTP and transport rules, as a resilience classifier.
//!
//! The defaults follow openai-python, the behaviour users already know:
//!
//! | failure | outcome | why |
//! |---|---|---|
//! | `x-should-retry: true` / `false` | retried / not retried | the server knows best; obeyed first |
//! | 429 `insufficient_quota` | permanent | the account is out of credit; waiting does not help |
//! | 429 | throttled (feeds the rate limiter) | honours `retry-after-ms` / `retry-after` |
//! | 408, 409 | transient | timeouts and lock conflicts on the server |
//! | 5xx | transient | |
//! | other 4xx | do not retry, not held against the server | the request is wrong |
//! | connect errors, resets, timeouts | transient (timeouts cost the retry budget double) | |
//! | a 2xx body that does not parse | transient | a truncated or garbled answer from a proxy |
//! | TLS, body-limit, invalid request | do not retry | repeating cannot change them |

use shepherd_resilience::{Classification, Classify};

use crate::Error;

/// The client's default classifier (see the module docs for the table).
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpClassifier;

impl Classify<Error> for HttpClassifier {
    fn classify(&self, error: &Error) -> Classification {
        classify(error)
    }
}

/// Classifies one error by the table in the module docs.
pub fn classify(error: &Error) -> Classification {
    match error {
        Error::Api {
            status,
            error: body,
            retry_after,
            should_retry,
            ..
        } => {
            let with_wait = |c: Classification| match retry_after {
                Some(wait) => c.with_retry_after(*wait),
                None => c,
            };
            match should_retry {
                Some(true) => return with_wait(Classification::transient()),
                Some(false) => return Classification::do_not_retry(),
                None => {}
            }
            let code = status.as_u16();
            if code == 429 {
                if body.is_insufficient_quota() {
                    Classification::permanent()
                } else {
                    with_wait(Classification::throttled())
                }
            } else if code == 408 || code == 409 || code >= 500 {
                with_wait(Classification::transient())
            } else {
                Classification::do_not_retry()
            }
        }
        Error::Transport(e) => {
            if e.is_timeout() {
                Classification::timeout()
            } else if e.is_tls() || e.is_body_limit() || e.is_sse_limit() || e.is_invalid_request()
            {
                Classification::do_not_retry()
            } else if e.is_connect()
                || e.is_retry_safe()
                || e.is_transient()
                || e.is_body()
                || e.is_sse_truncated()
            {
                Classification::transient()
            } else if e.is_not_event_stream() {
                // A JSON answer to a streaming request: usually an error body with a 5xx/429.
                match e.status().map(|s| s.as_u16()) {
                    Some(429) => Classification::throttled(),
                    Some(s) if s >= 500 || s == 408 || s == 409 => Classification::transient(),
                    _ => Classification::do_not_retry(),
                }
            } else {
                Classification::transient()
            }
        }
        Error::Decode { .. } => Classification::transient(),
        Error::StreamEvent(_) | Error::StreamTruncated { .. } => Classification::transient(),
        Error::Policy { .. } | Error::Config(_) | Error::Budget { .. } | Error::Io { .. } => {
            Classification::do_not_retry()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use shepherd_resilience::Outcome;
    use shepherd_types::error::ApiError;
    use std::time::Duration;

    fn api(status: u16, code: Option<&str>, should_retry: Option<bool>) -> Error {
        Error::Api {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            error: Box::new(ApiError {
                code: code.map(|c| shepherd_types::error::ErrorCode::Text(c.into())),
                ..ApiError::default()
            }),
            endpoint: "/chat/completions".into(),
            request_id: None,
            retry_after: Some(Duration::from_millis(250)),
            should_retry,
        }
    }

    #[test]
    fn table() {
        let c = classify(&api(429, None, None));
        assert_eq!(c.outcome(), Outcome::Throttled);
        assert_eq!(c.retry_after(), Some(Duration::from_millis(250)));
        assert_eq!(
            classify(&api(429, Some("insufficient_quota"), None)).outcome(),
            Outcome::Permanent
        );
        assert_eq!(
            classify(&api(500, None, None)).outcome(),
            Outcome::Transient
        );
        assert_eq!(
            classify(&api(503, None, Some(false))).outcome(),
            Outcome::DoNotRetry
        );
        assert_eq!(
            classify(&api(400, None, Some(true))).outcome(),
            Outcome::Transient
        );
        assert_eq!(
            classify(&api(408, None, None)).outcome(),
            Outcome::Transient
        );
        assert_eq!(
            classify(&api(409, None, None)).outcome(),
            Outcome::Transient
        );
        assert_eq!(
            classify(&api(400, None, None)).outcome(),
            Outcome::DoNotRetry
        );
        assert_eq!(
            classify(&api(401, None, None)).outcome(),
            Outcome::DoNotRetry
        );
    }
}
