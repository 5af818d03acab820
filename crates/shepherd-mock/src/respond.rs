//! What a handler answers: a whole body or a list of SSE events, or an API error.

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};

/// The error style of the API being imitated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    OpenAi,
    Anthropic,
}

impl Dialect {
    pub(crate) fn for_path(path: &str) -> Self {
        if path.starts_with("/v1/messages") {
            Dialect::Anthropic
        } else {
            Dialect::OpenAi
        }
    }
}

/// One server-sent event, ready to write, and the output tokens it carries (for pacing).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub bytes: Bytes,
    pub tokens: u64,
}

impl Event {
    /// `data: <json>` followed by a blank line.
    pub(crate) fn data(value: &Value, tokens: u64) -> Self {
        Event {
            bytes: Bytes::from(format!("data: {value}\n\n")),
            tokens,
        }
    }

    /// `event: <name>` and `data: <json>`.
    pub(crate) fn named(name: &str, value: &Value, tokens: u64) -> Self {
        Event {
            bytes: Bytes::from(format!("event: {name}\ndata: {value}\n\n")),
            tokens,
        }
    }

    /// OpenAI's end-of-stream sentinel.
    pub(crate) fn done() -> Self {
        Event {
            bytes: Bytes::from_static(b"data: [DONE]\n\n"),
            tokens: 0,
        }
    }
}

/// A successful answer before latency and faults are applied.
#[derive(Debug)]
pub(crate) enum Answer {
    Whole {
        status: StatusCode,
        content_type: &'static str,
        body: Bytes,
        /// Output tokens, for the generation delay.
        tokens: u64,
    },
    Stream {
        events: Vec<Event>,
        /// How many trailing events are bookkeeping (finish, usage, `[DONE]`) that a
        /// truncated stream loses together with the rest of its second half.
        tail: usize,
    },
}

impl Answer {
    pub(crate) fn json(value: &Value, tokens: u64) -> Self {
        Answer::Whole {
            status: StatusCode::OK,
            content_type: "application/json",
            body: Bytes::from(value.to_string()),
            tokens,
        }
    }

    /// A 200 JSON answer serialized from a typed `shepherd-types` value.
    pub(crate) fn typed<T: serde::Serialize>(value: &T, tokens: u64) -> Self {
        Answer::Whole {
            status: StatusCode::OK,
            content_type: "application/json",
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
            tokens,
        }
    }

    pub(crate) fn bytes(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Answer::Whole {
            status: StatusCode::OK,
            content_type,
            body: body.into(),
            tokens: 0,
        }
    }
}

/// An error answer in the API's own shape.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// OpenAI `type`, e.g. `invalid_request_error`.
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind,
            code: None,
            param: None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub(crate) fn missing(param: &str) -> Self {
        let mut e = ApiError::invalid(format!("Missing required parameter: '{param}'."));
        e.param = Some(param.to_owned());
        e.code = Some("missing_required_parameter");
        e
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "invalid_request_error", message)
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The JSON body in the given dialect.
    pub(crate) fn body(&self, dialect: Dialect) -> Value {
        match dialect {
            Dialect::OpenAi => json!({
                "error": {
                    "message": self.message,
                    "type": self.kind,
                    "param": self.param,
                    "code": self.code,
                }
            }),
            Dialect::Anthropic => json!({
                "type": "error",
                "error": { "type": anthropic_type(self), "message": self.message },
            }),
        }
    }
}

fn anthropic_type(e: &ApiError) -> &'static str {
    match e.status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 | 503 => "overloaded_error",
        _ => "api_error",
    }
}

/// The event a stream carries when it fails midway.
pub(crate) fn stream_error_event(dialect: Dialect) -> Event {
    let error = ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
    );
    match dialect {
        Dialect::OpenAi => Event::named("error", &error.body(dialect), 0),
        Dialect::Anthropic => {
            let mut overloaded = error;
            overloaded.status = StatusCode::SERVICE_UNAVAILABLE;
            overloaded.message = "Overloaded".into();
            Event::named("error", &overloaded.body(dialect), 0)
        }
    }
}
