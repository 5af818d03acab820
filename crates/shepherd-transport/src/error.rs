//! The one error type of this crate, with predicates upper layers use to classify retries.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

/// A boxed error from a lower layer (hyper, rustls, the OS) or from a user's transport.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong while moving bytes to and from a server.
///
/// Upper layers should classify with the predicates ([`is_timeout`](Error::is_timeout),
/// [`is_retry_safe`](Error::is_retry_safe), ...) rather than by matching variants, so that new
/// variants can be added without breaking them.
///
/// The `Display` text is meant for a human: it says what failed and, where there is one, which
/// setting to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No connection could be established (DNS, refused, unreachable, ...).
    #[error("could not connect to the server: {}", chain(source.as_ref()))]
    Connect {
        /// The underlying cause.
        source: BoxError,
    },
    /// The TLS handshake failed (unknown CA, wrong host name, protocol mismatch, ...).
    #[error(
        "TLS handshake failed: {} (for a private CA use add_root_certificate_pem)",
        chain(source.as_ref())
    )]
    Tls {
        /// The underlying cause.
        source: BoxError,
    },
    /// Connecting (TCP and TLS) took longer than the connect timeout.
    #[error("connect timed out after {after:?} (raise connect_timeout if the network is slow)")]
    ConnectTimeout {
        /// The configured limit.
        after: Duration,
    },
    /// The server did not send response headers in time.
    #[error(
        "no response headers after {after:?} (raise response_header_timeout for slow non-streaming requests)"
    )]
    HeaderTimeout {
        /// The configured limit.
        after: Duration,
    },
    /// The response body stalled: no bytes arrived for longer than the idle timeout.
    #[error(
        "response body stalled: no data for {after:?} (raise body_idle_timeout for slow streams)"
    )]
    IdleTimeout {
        /// The configured limit.
        after: Duration,
    },
    /// The whole exchange (headers and body) took longer than the total deadline.
    #[error("request exceeded its total deadline of {after:?}")]
    Deadline {
        /// The configured limit.
        after: Duration,
    },
    /// A buffered response body was larger than allowed; reading stopped at the limit.
    #[error("response body exceeds the limit of {limit} bytes (raise max_body_bytes)")]
    BodyLimit {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// An SSE line was longer than allowed.
    #[error("server-sent event line exceeds the limit of {limit} bytes (raise max_sse_line_bytes)")]
    SseLineLimit {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// An SSE event (its data and type together) was larger than allowed.
    #[error("server-sent event exceeds the limit of {limit} bytes (raise max_sse_event_bytes)")]
    SseEventLimit {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The event stream ended in the middle of an event; the partial event was discarded.
    #[error("event stream ended in the middle of an event ({pending} bytes discarded)")]
    SseTruncated {
        /// How many bytes of the unfinished event were discarded.
        pending: usize,
    },
    /// An event stream was expected but the server answered with another content type,
    /// typically a JSON error body or a server that ignored `stream: true`.
    #[error(
        "expected text/event-stream but the server answered {status} with content type {}: {}",
        content_type.as_deref().unwrap_or("(none)"),
        preview(body)
    )]
    NotEventStream {
        /// The response status.
        status: StatusCode,
        /// The response content type, if any.
        content_type: Option<String>,
        /// The response body (possibly cut at a size limit), kept for the caller.
        body: Bytes,
    },
    /// The request could not be sent or the connection failed before response headers arrived.
    #[error("request failed before a response arrived: {}", chain(source.as_ref()))]
    Send {
        /// The underlying cause.
        source: BoxError,
        /// Whether the server cannot have processed the request (see [`Error::is_retry_safe`]).
        retry_safe: bool,
    },
    /// Reading the response body failed (connection reset or closed mid-body).
    #[error("reading the response body failed: {}", chain(source.as_ref()))]
    Body {
        /// The underlying cause.
        source: BoxError,
    },
    /// Producing the request body failed (for example a file read error during an upload).
    #[error("producing the request body failed: {}", chain(source.as_ref()))]
    RequestBody {
        /// The underlying cause.
        source: BoxError,
    },
    /// The request is malformed (unsupported scheme, missing host, bad header value, ...).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// The transport could not be configured (bad PEM, no root certificates, ...).
    #[error("invalid transport configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// An error from a user-supplied transport.
    #[error("transport error: {}", chain(source.as_ref()))]
    Other {
        /// The underlying cause.
        source: BoxError,
    },
}

impl Error {
    /// Wraps an error from a user-supplied [`Transport`](crate::Transport).
    pub fn other(source: impl Into<BoxError>) -> Self {
        Error::Other {
            source: source.into(),
        }
    }

    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        Error::InvalidRequest {
            reason: reason.into(),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Error::Config {
            reason: reason.into(),
        }
    }

    /// True for every timeout: connect, response headers, body idle and total deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::ConnectTimeout { .. }
                | Error::HeaderTimeout { .. }
                | Error::IdleTimeout { .. }
                | Error::Deadline { .. }
        )
    }

    /// True if connecting took longer than the connect timeout.
    pub fn is_connect_timeout(&self) -> bool {
        matches!(self, Error::ConnectTimeout { .. })
    }

    /// True if response headers did not arrive in time.
    pub fn is_header_timeout(&self) -> bool {
        matches!(self, Error::HeaderTimeout { .. })
    }

    /// True if the response body stalled longer than the idle timeout.
    pub fn is_idle_timeout(&self) -> bool {
        matches!(self, Error::IdleTimeout { .. })
    }

    /// True if the total deadline passed.
    pub fn is_deadline(&self) -> bool {
        matches!(self, Error::Deadline { .. })
    }

    /// True if no connection could be established (including TLS failures and connect timeouts).
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. } | Error::Tls { .. } | Error::ConnectTimeout { .. }
        )
    }

    /// True if the TLS handshake failed.
    pub fn is_tls(&self) -> bool {
        matches!(self, Error::Tls { .. })
    }

    /// True if a buffered body exceeded its size limit.
    pub fn is_body_limit(&self) -> bool {
        matches!(self, Error::BodyLimit { .. })
    }

    /// True if an SSE line or event exceeded its size limit.
    pub fn is_sse_limit(&self) -> bool {
        matches!(
            self,
            Error::SseLineLimit { .. } | Error::SseEventLimit { .. }
        )
    }

    /// True if an event stream ended in the middle of an event.
    pub fn is_sse_truncated(&self) -> bool {
        matches!(self, Error::SseTruncated { .. })
    }

    /// True if an event stream was expected but the server sent another content type.
    pub fn is_not_event_stream(&self) -> bool {
        matches!(self, Error::NotEventStream { .. })
    }

    /// True if reading the response body failed after the headers arrived.
    pub fn is_body(&self) -> bool {
        matches!(self, Error::Body { .. })
    }

    /// True if the request is malformed.
    pub fn is_invalid_request(&self) -> bool {
        matches!(self, Error::InvalidRequest { .. })
    }

    /// True if the server cannot have processed the request, so sending it again cannot
    /// duplicate work — even for a non-idempotent `POST`.
    ///
    /// That is the case when no connection was established, or when a pooled keep-alive
    /// connection turned out to be closed by the server as it was reused (the
    /// [`HyperTransport`](crate::HyperTransport) already retries that case once by itself
    /// when the request body can be replayed).
    pub fn is_retry_safe(&self) -> bool {
        match self {
            Error::Connect { .. } | Error::ConnectTimeout { .. } | Error::Tls { .. } => true,
            Error::Send { retry_safe, .. } => *retry_safe,
            _ => false,
        }
    }

    /// True if the failure is likely transient (network trouble, timeouts, resets), so a retry
    /// may succeed. Unlike [`is_retry_safe`](Error::is_retry_safe) this says nothing about
    /// whether the server already processed the request; that is the caller's policy.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect { .. }
            | Error::ConnectTimeout { .. }
            | Error::HeaderTimeout { .. }
            | Error::IdleTimeout { .. }
            | Error::Deadline { .. }
            | Error::Send { .. }
            | Error::Body { .. }
            | Error::SseTruncated { .. } => true,
            Error::Tls { .. }
            | Error::BodyLimit { .. }
            | Error::SseLineLimit { .. }
            | Error::SseEventLimit { .. }
            | Error::NotEventStream { .. }
            | Error::RequestBody { .. }
            | Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Other { .. } => false,
        }
    }

    /// The HTTP status, for errors that carry a response (only [`Error::NotEventStream`]).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::NotEventStream { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The start of a body for an error message; the whole body stays in the error.
fn preview(body: &[u8]) -> String {
    const MAX: usize = 512;
    if body.len() <= MAX {
        return String::from_utf8_lossy(body).into_owned();
    }
    format!(
        "{}... ({} bytes)",
        String::from_utf8_lossy(&body[..MAX]),
        body.len()
    )
}

/// Formats an error and its sources as `outer: inner: innermost`, skipping adjacent repeats
/// (hyper and hyper-util wrap errors with messages that add little on their own).
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> ChainDisplay<'a> {
    ChainDisplay(err)
}

struct ChainDisplay<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for ChainDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut current: Option<&(dyn StdError + 'static)> = Some(self.0);
        let mut previous = String::new();
        let mut first = true;
        while let Some(err) = current {
            let text = err.to_string();
            // hyper-util's "client error (Connect)" says nothing a human can act on.
            let useless = text.starts_with("client error (") && err.source().is_some();
            if !useless && text != previous && !previous.ends_with(&text) {
                if !first {
                    f.write_str(": ")?;
                }
                f.write_str(&text)?;
                first = false;
                previous = text;
            }
            current = err.source();
        }
        if first {
            f.write_str("unknown error")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_classify_timeouts() {
        let e = Error::IdleTimeout {
            after: Duration::from_secs(1),
        };
        assert!(e.is_timeout() && e.is_idle_timeout() && !e.is_connect_timeout());
        assert!(!e.is_retry_safe());
        assert!(e.is_transient());
    }

    #[test]
    fn display_flattens_the_source_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let e = Error::Connect {
            source: Box::new(io),
        };
        assert_eq!(
            e.to_string(),
            "could not connect to the server: connection refused"
        );
        assert!(e.is_retry_safe() && e.is_connect());
    }
}
