//! The crate's error type.

use std::io;

/// Everything that can go wrong when configuring or starting a [`MockServer`](crate::MockServer).
///
/// Request-level problems never surface here: the mock answers them over HTTP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding the listening socket failed.
    #[error("cannot bind the mock server to {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: std::net::SocketAddr,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A configuration file or string could not be read.
    #[error("invalid mock configuration: {0}")]
    Config(String),
    /// A value given as a flag-style string (fault, outage, duration, distribution) is malformed.
    #[error("cannot parse {what} from {input:?}: {reason}")]
    Parse {
        /// What was being parsed, e.g. `"fault"`.
        what: &'static str,
        /// The offending input.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl Error {
    /// True if the listening socket could not be bound.
    pub fn is_bind(&self) -> bool {
        matches!(self, Error::Bind { .. })
    }

    /// True if a configuration document was rejected.
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config(_))
    }

    /// True if a flag-style value was malformed.
    pub fn is_parse(&self) -> bool {
        matches!(self, Error::Parse { .. })
    }

    pub(crate) fn parse(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        Error::Parse {
            what,
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}
