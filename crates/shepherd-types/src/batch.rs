//! The Batch API: input and output lines of its JSONL files, and the Batch object.
//!
//! The line types are generic over the body so a caller chooses how much to
//! parse: `serde_json::Value` (the default) to inspect any body,
//! `Box<serde_json::value::RawValue>` to forward bodies untouched, or a typed
//! request such as `ChatRequest`.

use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// One line of a Batch API input file.
///
/// # Examples
///
/// ```
/// use shepherd_types::batch::BatchInputLine;
///
/// let line: BatchInputLine = serde_json::from_str(
///     r#"{"custom_id": "req-1", "method": "POST", "url": "/v1/chat/completions",
///         "body": {"model": "gpt-4.1", "messages": []}}"#,
/// ).unwrap();
/// assert_eq!(line.custom_id, "req-1");
/// assert_eq!(line.body["model"], "gpt-4.1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchInputLine<B = serde_json::Value> {
    /// Caller's id for this request, unique within the file; echoed in the output.
    pub custom_id: String,
    /// HTTP method; the Batch API accepts only `POST`.
    #[serde(default = "post")]
    pub method: String,
    /// Endpoint path, e.g. `/v1/chat/completions`.
    pub url: String,
    /// The request body for that endpoint.
    pub body: B,
}

fn post() -> String {
    "POST".to_owned()
}

/// One line of a Batch API output or error file.
///
/// Unlike the rest of this crate, `response` and `error` are always
/// serialized, as `null` when absent: that is how the Batch API writes its
/// output files, and scripts that read them index both keys.
///
/// # Examples
///
/// ```
/// use shepherd_types::batch::{BatchOutputLine, BatchLineError};
///
/// let failed: BatchOutputLine = BatchOutputLine::failure(
///     "batch_req_1", "req-7", BatchLineError::new("invalid_json", "line 7: expected `}`"));
/// let json = serde_json::to_string(&failed).unwrap();
/// assert!(json.contains(r#""response":null"#));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchOutputLine<B = serde_json::Value> {
    /// Id of this output line (`batch_req_...`).
    pub id: String,
    /// The `custom_id` of the input line this answers.
    pub custom_id: String,
    /// The HTTP response, when a request was made and answered.
    #[serde(default)]
    pub response: Option<BatchResponse<B>>,
    /// Why the line failed, when it did not get a response.
    #[serde(default)]
    pub error: Option<BatchLineError>,
}

impl<B> BatchOutputLine<B> {
    /// A line carrying a response.
    pub fn success(
        id: impl Into<String>,
        custom_id: impl Into<String>,
        response: BatchResponse<B>,
    ) -> Self {
        BatchOutputLine {
            id: id.into(),
            custom_id: custom_id.into(),
            response: Some(response),
            error: None,
        }
    }

    /// A line carrying an error and no response.
    pub fn failure(
        id: impl Into<String>,
        custom_id: impl Into<String>,
        error: BatchLineError,
    ) -> Self {
        BatchOutputLine {
            id: id.into(),
            custom_id: custom_id.into(),
            response: None,
            error: Some(error),
        }
    }
}

/// The response part of a [`BatchOutputLine`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse<B = serde_json::Value> {
    /// HTTP status code.
    pub status_code: u16,
    /// The server's request id (`x-request-id`), empty when unknown.
    #[serde(default)]
    pub request_id: String,
    /// The response body.
    pub body: B,
}

/// The error part of a [`BatchOutputLine`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchLineError {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
}

impl BatchLineError {
    /// An error with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        BatchLineError {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Where a batch is in its lifecycle.
///
/// `validating → in_progress → finalizing → completed` on success;
/// `failed`, `expired`, `cancelling → cancelled` otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BatchStatus {
    /// The input file is being validated.
    Validating,
    /// Validation failed.
    Failed,
    /// Requests are being run.
    InProgress,
    /// Output files are being written.
    Finalizing,
    /// Done; output files are ready.
    Completed,
    /// Not finished within the completion window.
    Expired,
    /// Cancel requested; in-flight requests are finishing.
    Cancelling,
    /// Cancelled.
    Cancelled,
    /// A value this crate does not know.
    Other(String),
}

impl BatchStatus {
    /// True when the batch will not change any more.
    ///
    /// An unknown status is not terminal: a poller keeps polling rather than
    /// stopping early on a status it does not understand.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            BatchStatus::Failed
                | BatchStatus::Completed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
        )
    }
}

impl StringEnum for BatchStatus {
    fn as_str(&self) -> &str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::Failed => "failed",
            BatchStatus::InProgress => "in_progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Expired => "expired",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
            BatchStatus::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "validating" => BatchStatus::Validating,
            "failed" => BatchStatus::Failed,
            "in_progress" => BatchStatus::InProgress,
            "finalizing" => BatchStatus::Finalizing,
            "completed" => BatchStatus::Completed,
            "expired" => BatchStatus::Expired,
            "cancelling" => BatchStatus::Cancelling,
            "cancelled" => BatchStatus::Cancelled,
            other => BatchStatus::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(BatchStatus);

/// A batch job (`Batch` in the spec).
///
/// # Examples
///
/// ```
/// use shepherd_types::batch::{Batch, BatchStatus};
///
/// let b: Batch = serde_json::from_str(
///     r#"{"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions",
///         "input_file_id":"file-1","completion_window":"24h","status":"in_progress",
///         "created_at":1711471533,"request_counts":{"total":100,"completed":40,"failed":1}}"#,
/// ).unwrap();
/// assert_eq!(b.status, BatchStatus::InProgress);
/// assert!(!b.status.is_terminal());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Batch id.
    pub id: String,
    /// Always `batch`.
    #[serde(default = "batch")]
    pub object: String,
    /// The endpoint every request goes to.
    #[serde(default)]
    pub endpoint: String,
    /// The model used, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BatchErrors>,
    /// The input file.
    #[serde(default)]
    pub input_file_id: String,
    /// Completion window, e.g. `24h`.
    #[serde(default)]
    pub completion_window: String,
    /// Lifecycle status.
    pub status: BatchStatus,
    /// File with the successful responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file_id: Option<String>,
    /// File with the failed requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_file_id: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalizing_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelling_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<i64>,
    /// Progress counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_counts: Option<BatchRequestCounts>,
    /// Token usage (newer servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<BatchUsage>,
    /// Up to 16 caller-defined key-value pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn batch() -> String {
    "batch".to_owned()
}

/// Progress counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRequestCounts {
    /// Requests in the batch.
    #[serde(default)]
    pub total: u64,
    /// Requests answered successfully.
    #[serde(default)]
    pub completed: u64,
    /// Requests that failed.
    #[serde(default)]
    pub failed: u64,
}

/// Validation errors of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchErrors {
    /// Always `list`.
    #[serde(default)]
    pub object: String,
    /// The errors.
    #[serde(default)]
    pub data: Vec<BatchError>,
}

/// One validation error of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchError {
    /// Error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The parameter at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// 1-based line of the input file, when the error is about one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// Token usage of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchUsage {
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input plus output tokens.
    #[serde(default)]
    pub total_tokens: u64,
    /// Fields this crate does not know (token details), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `POST /v1/batches` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateBatchRequest {
    /// An uploaded file with purpose `batch`.
    pub input_file_id: String,
    /// Endpoint for every line, e.g. `/v1/chat/completions`.
    pub endpoint: String,
    /// Only `24h` is accepted today.
    pub completion_window: String,
    /// Caller-defined key-value pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Fields this crate does not know, sent as given.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CreateBatchRequest {
    /// A request for a batch over `input_file_id` against `endpoint`, with the `24h` window.
    pub fn new(input_file_id: impl Into<String>, endpoint: impl Into<String>) -> Self {
        CreateBatchRequest {
            input_file_id: input_file_id.into(),
            endpoint: endpoint.into(),
            completion_window: "24h".to_owned(),
            metadata: None,
            extra: Extra::new(),
        }
    }
}

/// `GET /v1/batches` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchList {
    /// Always `list`.
    #[serde(default)]
    pub object: String,
    /// The batches.
    pub data: Vec<Batch>,
    /// Id of the first batch in `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_id: Option<String>,
    /// Id of the last batch in `data` (the cursor for the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<String>,
    /// True when more batches follow.
    #[serde(default)]
    pub has_more: bool,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn output_line_shape_matches_the_batch_api() {
        let ok = BatchOutputLine::success(
            "batch_req_1",
            "a",
            BatchResponse {
                status_code: 200,
                request_id: "req_1".into(),
                body: serde_json::json!({"x": 1}),
            },
        );
        let v = serde_json::to_value(&ok).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": "batch_req_1", "custom_id": "a",
                "response": {"status_code": 200, "request_id": "req_1", "body": {"x": 1}},
                "error": null})
        );
        let back: BatchOutputLine = serde_json::from_value(v).unwrap();
        assert_eq!(back, ok);
    }

    #[test]
    fn raw_bodies_forward_untouched() {
        let line: BatchInputLine<Box<serde_json::value::RawValue>> = serde_json::from_str(
            r#"{"custom_id":"c","method":"POST","url":"/v1/embeddings","body":{"input": "a",  "model":"m"}}"#,
        )
        .unwrap();
        assert_eq!(line.body.get(), r#"{"input": "a",  "model":"m"}"#);
    }

    #[test]
    fn statuses() {
        for (s, terminal) in [
            ("validating", false),
            ("in_progress", false),
            ("finalizing", false),
            ("completed", true),
            ("failed", true),
            ("expired", true),
            ("cancelling", false),
            ("cancelled", true),
            ("paused", false),
        ] {
            let status: BatchStatus = serde_json::from_value(serde_json::json!(s)).unwrap();
            assert_eq!(status.is_terminal(), terminal, "{s}");
            assert_eq!(serde_json::to_value(&status).unwrap(), serde_json::json!(s));
        }
    }
}
