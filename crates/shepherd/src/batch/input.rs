//! Input lines: validation of one Batch API input line, and resolving its url against the base URL.

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::types::batch::BatchInputLine;

/// The endpoints a batch line may call, as Batch API urls.
pub const SUPPORTED_URLS: [&str; 2] = ["/v1/chat/completions", "/v1/embeddings"];

/// The kind of endpoint a line calls, which decides how its tokens are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Chat,
    Embeddings,
}

/// A valid input line, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// 1-based line number in the input.
    pub(crate) line: u64,
    pub(crate) custom_id: String,
    pub(crate) endpoint: Endpoint,
    /// The line's `url`, e.g. `/v1/chat/completions`.
    pub(crate) url: String,
    /// The body exactly as the input line had it.
    pub(crate) body: Bytes,
}

/// Why an input line cannot be sent. Each becomes an error line naming the input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidLine {
    pub(crate) line: u64,
    /// The custom_id, when the line had a usable one.
    pub(crate) custom_id: Option<String>,
    /// Machine-readable code (`invalid_json`, `missing_custom_id`, ...).
    pub(crate) code: &'static str,
    pub(crate) reason: String,
}

impl InvalidLine {
    fn new(
        line: u64,
        custom_id: Option<String>,
        code: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        InvalidLine {
            line,
            custom_id,
            code,
            reason: reason.into(),
        }
    }

    /// The message written to the error file: `line 7: <reason>`.
    pub(crate) fn message(&self) -> String {
        format!("line {}: {}", self.line, self.reason)
    }
}

/// The error codes an invalid input line is reported with.
pub(crate) mod codes {
    pub(crate) const INVALID_JSON: &str = "invalid_json";
    pub(crate) const MISSING_CUSTOM_ID: &str = "missing_custom_id";
    pub(crate) const DUPLICATE_CUSTOM_ID: &str = "duplicate_custom_id";
    pub(crate) const UNSUPPORTED_URL: &str = "unsupported_url";
    pub(crate) const INVALID_METHOD: &str = "invalid_method";
    pub(crate) const INVALID_BODY: &str = "invalid_body";
}

/// Checks one input line (without its trailing newline) and returns the job it describes.
///
/// Duplicate custom_ids are not detected here: that needs the lines before (see the reader).
pub(crate) fn parse_line(line: u64, text: &str) -> Result<Job, InvalidLine> {
    // The body stays raw: it is forwarded as the line had it, not re-serialized.
    let parsed: BatchInputLine<Box<RawValue>> = match serde_json::from_str(text) {
        Ok(parsed) => parsed,
        Err(e) => return Err(diagnose(line, text, e)),
    };
    let custom_id = parsed.custom_id;
    if custom_id.is_empty() {
        return Err(InvalidLine::new(
            line,
            None,
            codes::MISSING_CUSTOM_ID,
            "custom_id is empty",
        ));
    }
    if parsed.method != "POST" {
        return Err(InvalidLine::new(
            line,
            Some(custom_id),
            codes::INVALID_METHOD,
            format!(
                "method {:?} is not supported; the Batch API accepts only POST",
                parsed.method
            ),
        ));
    }
    let endpoint = match parsed.url.as_str() {
        "/v1/chat/completions" => Endpoint::Chat,
        "/v1/embeddings" => Endpoint::Embeddings,
        other => {
            return Err(InvalidLine::new(
                line,
                Some(custom_id),
                codes::UNSUPPORTED_URL,
                format!(
                    "url {other:?} is not supported; use one of {}",
                    SUPPORTED_URLS.join(", ")
                ),
            ));
        }
    };
    let body = parsed.body.get();
    if !body.starts_with('{') {
        return Err(InvalidLine::new(
            line,
            Some(custom_id),
            codes::INVALID_BODY,
            "body is not a JSON object",
        ));
    }
    Ok(Job {
        line,
        custom_id,
        endpoint,
        url: parsed.url,
        body: Bytes::copy_from_slice(body.as_bytes()),
    })
}

/// Turns a parse failure into the most useful reason: a line that is JSON but lacks a field
/// says which field; anything else is malformed JSON.
fn diagnose(line: u64, text: &str, error: serde_json::Error) -> InvalidLine {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return InvalidLine::new(
            line,
            None,
            codes::INVALID_JSON,
            format!("malformed JSON: {error}"),
        );
    };
    let Some(object) = value.as_object() else {
        return InvalidLine::new(
            line,
            None,
            codes::INVALID_JSON,
            "the line is not a JSON object",
        );
    };
    let custom_id = match object.get("custom_id") {
        Some(serde_json::Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(serde_json::Value::String(_)) | None => {
            return InvalidLine::new(line, None, codes::MISSING_CUSTOM_ID, "custom_id is missing");
        }
        Some(_) => {
            return InvalidLine::new(
                line,
                None,
                codes::MISSING_CUSTOM_ID,
                "custom_id is not a string",
            );
        }
    };
    let (code, reason) = match (object.get("url"), object.get("body"), object.get("method")) {
        (None, _, _) => (codes::UNSUPPORTED_URL, "url is missing".to_owned()),
        (Some(url), _, _) if !url.is_string() => {
            (codes::UNSUPPORTED_URL, "url is not a string".to_owned())
        }
        (_, None, _) => (codes::INVALID_BODY, "body is missing".to_owned()),
        (_, _, Some(method)) if !method.is_string() => {
            (codes::INVALID_METHOD, "method is not a string".to_owned())
        }
        _ => (
            codes::INVALID_JSON,
            format!("not a Batch API input line: {error}"),
        ),
    };
    InvalidLine::new(line, custom_id, code, reason)
}

/// The path under the client's base URL that a line's `url` calls.
///
/// Batch API urls include the API version (`/v1/chat/completions`), and base URLs
/// usually end with it (`https://host/v1`). As the Batch API means it, the version is
/// not doubled: with a base path ending in `/v1`, a leading `/v1` of the line's url is
/// dropped. With any other base (`https://host`, `https://host/openai`), the url is
/// appended as given.
///
/// # Examples
///
/// ```
/// use shepherd::batch::resolve_path;
///
/// assert_eq!(resolve_path("https://api.openai.com/v1", "/v1/chat/completions"), "/chat/completions");
/// assert_eq!(resolve_path("http://127.0.0.1:8080/v1/", "/v1/embeddings"), "/embeddings");
/// assert_eq!(resolve_path("https://gateway.example", "/v1/embeddings"), "/v1/embeddings");
/// ```
pub fn resolve_path<'a>(base_url: &str, url: &'a str) -> &'a str {
    let base = base_url.trim_end_matches('/');
    // Only the path of the base matters; a host named `v1` must not count.
    let path = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    match url.strip_prefix("/v1") {
        Some(rest) if path.ends_with("/v1") && rest.starts_with('/') => rest,
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_line_keeps_its_body_verbatim() {
        let job = parse_line(
            3,
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m",  "messages":[]}}"#,
        )
        .expect("valid");
        assert_eq!(job.line, 3);
        assert_eq!(job.custom_id, "a");
        assert_eq!(job.endpoint, Endpoint::Chat);
        assert_eq!(&job.body[..], br#"{"model":"m",  "messages":[]}"#);
    }

    #[test]
    fn every_kind_of_bad_line_has_its_code() {
        let cases = [
            (r#"{"custom_id":"a","url":"/v1/chat"#, codes::INVALID_JSON),
            (r#"[1,2]"#, codes::INVALID_JSON),
            (
                r#"{"url":"/v1/embeddings","body":{}}"#,
                codes::MISSING_CUSTOM_ID,
            ),
            (
                r#"{"custom_id":"","url":"/v1/embeddings","body":{}}"#,
                codes::MISSING_CUSTOM_ID,
            ),
            (
                r#"{"custom_id":7,"url":"/v1/embeddings","body":{}}"#,
                codes::MISSING_CUSTOM_ID,
            ),
            (
                r#"{"custom_id":"a","url":"/v1/images","body":{}}"#,
                codes::UNSUPPORTED_URL,
            ),
            (r#"{"custom_id":"a","body":{}}"#, codes::UNSUPPORTED_URL),
            (
                r#"{"custom_id":"a","url":"/v1/embeddings","body":"text"}"#,
                codes::INVALID_BODY,
            ),
            (
                r#"{"custom_id":"a","url":"/v1/embeddings"}"#,
                codes::INVALID_BODY,
            ),
            (
                r#"{"custom_id":"a","method":"GET","url":"/v1/embeddings","body":{}}"#,
                codes::INVALID_METHOD,
            ),
        ];
        for (text, code) in cases {
            let error = parse_line(9, text).expect_err(text);
            assert_eq!(error.code, code, "{text}: {}", error.reason);
            assert!(
                error.message().starts_with("line 9: "),
                "{}",
                error.message()
            );
        }
    }

    #[test]
    fn the_version_is_not_doubled() {
        assert_eq!(
            resolve_path("https://h/v1", "/v1/chat/completions"),
            "/chat/completions"
        );
        assert_eq!(
            resolve_path("https://h/v1/", "/v1/chat/completions"),
            "/chat/completions"
        );
        assert_eq!(
            resolve_path("https://h", "/v1/chat/completions"),
            "/v1/chat/completions"
        );
        assert_eq!(
            resolve_path("https://v1", "/v1/chat/completions"),
            "/v1/chat/completions"
        );
        assert_eq!(
            resolve_path("https://h/openai/v1", "/v1/embeddings"),
            "/embeddings"
        );
        assert_eq!(
            resolve_path("https://h/v1", "/v1x/embeddings"),
            "/v1x/embeddings"
        );
    }
}
