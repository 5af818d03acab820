//! The Messages API error body (`{"type": "error", "error": {"type", "message"}}`), also sent as a stream event.

use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// The body of a failed Messages API call.
///
/// # Examples
///
/// ```
/// use shepherd_types::anthropic::ErrorResponse;
///
/// let e: ErrorResponse = serde_json::from_str(
///     r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
/// ).unwrap();
/// assert!(e.error.kind.is_overloaded());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// Always `error`.
    #[serde(rename = "type", default = "error_type")]
    pub kind: String,
    /// What went wrong.
    pub error: ApiError,
    /// Fields not modelled here (`request_id`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn error_type() -> String {
    "error".to_owned()
}

/// The `error` object: a machine-readable kind and a human-readable message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// The error's kind (`overloaded_error`, `rate_limit_error`, ...).
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    /// Human-readable description.
    #[serde(default)]
    pub message: String,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The kinds of Messages API errors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `invalid_request_error` (400).
    InvalidRequest,
    /// `authentication_error` (401).
    Authentication,
    /// `permission_error` (403).
    Permission,
    /// `not_found_error` (404).
    NotFound,
    /// `request_too_large` (413).
    RequestTooLarge,
    /// `rate_limit_error` (429).
    RateLimit,
    /// `api_error` (500).
    Api,
    /// `overloaded_error` (529).
    Overloaded,
    /// A kind this crate does not know.
    Other(String),
}

impl ErrorKind {
    /// `true` for `overloaded_error`.
    pub fn is_overloaded(&self) -> bool {
        matches!(self, ErrorKind::Overloaded)
    }

    /// `true` for `rate_limit_error`.
    pub fn is_rate_limit(&self) -> bool {
        matches!(self, ErrorKind::RateLimit)
    }
}

impl StringEnum for ErrorKind {
    fn as_str(&self) -> &str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request_error",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Permission => "permission_error",
            ErrorKind::NotFound => "not_found_error",
            ErrorKind::RequestTooLarge => "request_too_large",
            ErrorKind::RateLimit => "rate_limit_error",
            ErrorKind::Api => "api_error",
            ErrorKind::Overloaded => "overloaded_error",
            ErrorKind::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "invalid_request_error" => ErrorKind::InvalidRequest,
            "authentication_error" => ErrorKind::Authentication,
            "permission_error" => ErrorKind::Permission,
            "not_found_error" => ErrorKind::NotFound,
            "request_too_large" => ErrorKind::RequestTooLarge,
            "rate_limit_error" => ErrorKind::RateLimit,
            "api_error" => ErrorKind::Api,
            "overloaded_error" => ErrorKind::Overloaded,
            other => ErrorKind::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ErrorKind);
