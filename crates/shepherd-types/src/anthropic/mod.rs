//! Anthropic Messages API types, and their conversions into the chat completion shapes.
//!
//! The wire types mirror `POST /v1/messages` exactly: [`MessagesRequest`],
//! [`MessagesResponse`] with its [`ContentBlock`]s, and the [`StreamEvent`]s
//! of a streamed response. Like the rest of the crate they keep unknown
//! fields, block types, event types and enum values instead of failing.
//!
//! The conversions let a caller speak one shape to both providers:
//! [`MessagesRequest::from_chat`] turns a [`crate::chat::ChatRequest`] into a
//! Messages request, [`MessagesResponse::into_chat_response`] turns the answer
//! into a [`crate::chat::ChatResponse`], and a [`ChunkConverter`] turns stream
//! events into [`crate::chat::ChatChunk`]s.
//!
//! This module is behind the `anthropic` cargo feature (on by default).

/// The path of the Messages endpoint, relative to the API origin.
pub const MESSAGES_PATH: &str = "/v1/messages";

/// The `anthropic-version` request header value these types follow.
pub const API_VERSION: &str = "2023-06-01";

mod chunks;
mod content;
mod error;
mod from_chat;
mod request;
mod response;
mod stream;
mod to_chat;

pub use chunks::ChunkConverter;
pub use content::{
    ContentBlock, ImageBlock, ImageSource, ImageSourceKind, RedactedThinkingBlock, TextBlock,
    ThinkingBlock, ToolResultBlock, ToolResultContent, ToolUseBlock,
};
pub use error::{ApiError, ErrorKind, ErrorResponse};
pub use from_chat::{ConversionError, DEFAULT_MAX_TOKENS};
pub use request::{
    InputMessage, MessageContent, MessagesRequest, Metadata, Role, SystemPrompt, ThinkingConfig,
    Tool, ToolChoice, ToolChoiceKind,
};
pub use response::{MessageUsage, MessagesResponse, StopReason};
pub use stream::{
    BlockDelta, DeltaUsage, InputJsonDelta, MessageDeltaBody, SignatureDelta, StreamEvent,
    TextDelta, ThinkingDelta,
};
pub use to_chat::REASONING_CONTENT;
