//! The API's error body: `{"error": {"message", "type", "param", "code"}}`.
//!
//! Servers that claim OpenAI compatibility send many variations of it: a bare
//! string in `error`, a numeric `code`, a body without the envelope, or HTML
//! from a proxy. [`ApiError::from_body`] reads all of them so that an error a
//! server sent is never lost behind a parse failure.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Extra;

/// The error envelope the API returns with every non-2xx status.
///
/// # Examples
///
/// ```
/// use shepherd_types::error::ErrorEnvelope;
///
/// let body = r#"{"error": {"message": "Rate limit reached", "type": "requests",
///                 "param": null, "code": "rate_limit_exceeded"}}"#;
/// let env: ErrorEnvelope = serde_json::from_str(body).unwrap();
/// assert_eq!(env.error.code_str(), Some("rate_limit_exceeded"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ApiError,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An error reported by the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Human-readable description.
    #[serde(default)]
    pub message: String,
    /// Error class, e.g. `invalid_request_error`, `insufficient_quota`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The request parameter at fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Machine-readable code; a string in the spec, a number from some servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An error `code`: a string per the spec, or an integer from deviating servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorCode {
    /// The spec's form, e.g. `rate_limit_exceeded`.
    Text(String),
    /// A numeric code (often the HTTP status repeated).
    Number(i64),
}

impl ApiError {
    /// The code when it is a string.
    pub fn code_str(&self) -> Option<&str> {
        match &self.code {
            Some(ErrorCode::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// True for an exhausted account quota (a 429 that retrying cannot fix).
    pub fn is_insufficient_quota(&self) -> bool {
        self.code_str() == Some("insufficient_quota")
            || self.kind.as_deref() == Some("insufficient_quota")
    }

    /// True for a rate-limit refusal (a 429 that waiting fixes).
    pub fn is_rate_limit(&self) -> bool {
        self.code_str() == Some("rate_limit_exceeded")
            || matches!(
                self.kind.as_deref(),
                Some("rate_limit_error" | "requests" | "tokens")
            )
    }

    /// Reads an error from any body a server might send with an error status.
    ///
    /// Accepts the spec's envelope, `{"error": "text"}`, a bare error object
    /// with `message`, and Anthropic's `{"type": "error", "error": {...}}`.
    /// Anything else (HTML from a proxy, an empty body) becomes an error whose
    /// message is the body's first 512 bytes, lossily decoded, so nothing the
    /// server said is dropped. Returns `None` only for an empty body.
    ///
    /// # Examples
    ///
    /// ```
    /// use shepherd_types::error::ApiError;
    ///
    /// let e = ApiError::from_body(b"<html>502 Bad Gateway</html>").unwrap();
    /// assert!(e.message.contains("502 Bad Gateway"));
    /// let e = ApiError::from_body(br#"{"error": "model overloaded"}"#).unwrap();
    /// assert_eq!(e.message, "model overloaded");
    /// ```
    pub fn from_body(body: &[u8]) -> Option<ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(body) {
            match map.remove("error") {
                Some(serde_json::Value::Object(inner)) => {
                    if let Ok(e) = serde_json::from_value(serde_json::Value::Object(inner)) {
                        return Some(e);
                    }
                }
                Some(serde_json::Value::String(message)) => {
                    return Some(ApiError {
                        message,
                        ..ApiError::default()
                    });
                }
                Some(other) => {
                    map.insert("error".to_owned(), other);
                }
                None => {}
            }
            if map.get("message").is_some_and(serde_json::Value::is_string)
                && let Ok(e) = serde_json::from_value(serde_json::Value::Object(map))
            {
                return Some(e);
            }
        }
        const MAX: usize = 512;
        let cut = &body[..body.len().min(MAX)];
        let mut message = String::from_utf8_lossy(cut).trim().to_owned();
        if body.len() > MAX {
            message.push_str("...");
        }
        Some(ApiError {
            message,
            ..ApiError::default()
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.message.is_empty() {
            "(no message)"
        } else {
            &self.message
        })?;
        match (&self.kind, &self.code) {
            (Some(kind), Some(ErrorCode::Text(code))) => write!(f, " ({kind}, {code})"),
            (Some(kind), Some(ErrorCode::Number(code))) => write!(f, " ({kind}, {code})"),
            (Some(kind), None) => write!(f, " ({kind})"),
            (None, Some(ErrorCode::Text(code))) => write!(f, " ({code})"),
            (None, Some(ErrorCode::Number(code))) => write!(f, " ({code})"),
            (None, None) => Ok(()),
        }?;
        if let Some(param) = &self.param {
            write!(f, " [param: {param}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn quota_vs_rate_limit() {
        let q = ApiError::from_body(
            br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        )
        .unwrap();
        assert!(q.is_insufficient_quota());
        assert!(!q.is_rate_limit());
        let r = ApiError::from_body(
            br#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
        )
        .unwrap();
        assert!(r.is_rate_limit());
        assert!(!r.is_insufficient_quota());
    }

    #[test]
    fn deviating_bodies() {
        let numeric = ApiError::from_body(br#"{"error":{"message":"x","code":429}}"#).unwrap();
        assert_eq!(numeric.code, Some(ErrorCode::Number(429)));
        let bare = ApiError::from_body(br#"{"message":"bad key","type":"auth"}"#).unwrap();
        assert_eq!(bare.message, "bad key");
        let anthropic = ApiError::from_body(
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .unwrap();
        assert_eq!(anthropic.kind.as_deref(), Some("overloaded_error"));
        assert_eq!(ApiError::from_body(b"  \n"), None);
        let long = vec![b'x'; 2000];
        assert!(ApiError::from_body(&long).unwrap().message.ends_with("..."));
    }

    #[test]
    fn display_is_actionable() {
        let e = ApiError {
            message: "Invalid value".into(),
            kind: Some("invalid_request_error".into()),
            param: Some("temperature".into()),
            code: None,
            extra: Extra::new(),
        };
        assert_eq!(
            e.to_string(),
            "Invalid value (invalid_request_error) [param: temperature]"
        );
    }
}
