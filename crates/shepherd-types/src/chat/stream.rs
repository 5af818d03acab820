//! Streaming chunks (`object: "chat.completion.chunk"`), one per server-sent event.

use serde::{Deserialize, Serialize};

use super::message::Role;
use super::response::{FinishReason, Logprobs, ServiceTier};
use super::tools::ToolType;
use crate::{Extra, Usage};

/// One chunk of a streamed chat completion.
///
/// With `stream_options.include_usage`, the last chunk before `[DONE]` has
/// `choices: []` and carries [`usage`](Self::usage). Fold chunks into a
/// complete response with [`StreamAccumulator`](super::StreamAccumulator).
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::ChatChunk;
///
/// let chunk: ChatChunk = serde_json::from_str(r#"{"id":"c1","object":"chat.completion.chunk",
///     "created":1,"model":"gpt-4.1",
///     "choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#).unwrap();
/// assert_eq!(chunk.text(), "Hel");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    /// The completion's id, the same in every chunk.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub id: String,
    /// Always `chat.completion.chunk` from spec-following servers.
    #[serde(default = "chunk_object")]
    pub object: String,
    /// Unix time (seconds) the completion was created, the same in every chunk.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub created: u64,
    /// The model producing the completion.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub model: String,
    /// Deltas for some choices (empty in the usage-only final chunk).
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub choices: Vec<ChunkChoice>,
    /// Token usage: in the final chunk when `include_usage` was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The tier serving the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Backend configuration fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// Fields this crate does not know (`obfuscation`, ...), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn chunk_object() -> String {
    "chat.completion.chunk".to_owned()
}

impl Default for ChatChunk {
    /// An empty `chat.completion.chunk`: no choices, no usage.
    fn default() -> Self {
        ChatChunk {
            id: String::new(),
            object: chunk_object(),
            created: 0,
            model: String::new(),
            choices: Vec::new(),
            usage: None,
            service_tier: None,
            system_fingerprint: None,
            extra: Extra::new(),
        }
    }
}

impl ChatChunk {
    /// The first choice's content delta, or `""`.
    ///
    /// With `n > 1`, chunks carry different choices; use
    /// [`choices`](Self::choices) and their `index` instead.
    pub fn text(&self) -> &str {
        self.choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
            .unwrap_or("")
    }

    /// True for the usage-only chunk that ends an `include_usage` stream.
    pub fn is_usage_only(&self) -> bool {
        self.choices.is_empty() && self.usage.is_some()
    }

    /// The first choice's finish reason, set on a choice's last chunk.
    pub fn finish_reason(&self) -> Option<&FinishReason> {
        self.choices.first().and_then(|c| c.finish_reason.as_ref())
    }
}

/// The delta of one choice in a [`ChatChunk`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Which choice this delta extends.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub index: u32,
    /// What was added.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub delta: Delta,
    /// Set on the choice's last chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities of this chunk's tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Logprobs>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What one chunk adds to a choice's message. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// The role, usually only in the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A piece of the content (a list of content parts is accepted and
    /// reduced to its text, as in [`ResponseMessage`](super::ResponseMessage)).
    #[serde(
        default,
        deserialize_with = "super::lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub content: Option<String>,
    /// A piece of the refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Pieces of tool calls, each addressed by its `index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// Fields this crate does not know (`reasoning_content` of some servers,
    /// `function_call`, ...), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A piece of one tool call: `id`, `type` and name arrive first, then the
/// arguments in fragments, all with the same `index`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Position of the call in the message's `tool_calls`.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub index: u32,
    /// The call's id, in its first piece.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tool kind, in its first piece.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ToolType>,
    /// The function name and an arguments fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A piece of a tool call's function.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    /// The function name, in its first piece.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A fragment of the JSON arguments; concatenate them in order.
    #[serde(
        default,
        deserialize_with = "super::lenient::opt_arguments",
        skip_serializing_if = "Option::is_none"
    )]
    pub arguments: Option<String>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}
