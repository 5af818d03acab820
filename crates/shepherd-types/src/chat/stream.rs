//! Streaming chunks (`object: "chat.completion.chunk"`), one per server-sent event.

use serde::de::MapAccess;
use serde::{Deserialize, Deserializer, Serialize};

use super::message::Role;
use super::response::{FinishReason, Logprobs, ServiceTier};
use super::tools::ToolType;
use crate::fields::{ReadFields, deserialize_fields, or_default};
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatChunk {
    /// The completion's id, the same in every chunk.
    pub id: String,
    /// Always `chat.completion.chunk` from spec-following servers.
    pub object: String,
    /// Unix time (seconds) the completion was created, the same in every chunk.
    pub created: u64,
    /// The model producing the completion.
    pub model: String,
    /// Deltas for some choices (empty in the usage-only final chunk).
    pub choices: Vec<ChunkChoice>,
    /// Token usage: in the final chunk when `include_usage` was requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The tier serving the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Backend configuration fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChunkChoice {
    /// Which choice this delta extends.
    pub index: u32,
    /// What was added.
    pub delta: Delta,
    /// Set on the choice's last chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities of this chunk's tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Logprobs>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What one chunk adds to a choice's message. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    /// The role, usually only in the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A piece of the content (a list of content parts is accepted and
    /// reduced to its text, as in [`ResponseMessage`](super::ResponseMessage)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// A piece of the refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Pieces of tool calls, each addressed by its `index`.
    #[serde(skip_serializing_if = "Option::is_none")]
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

// `Deserialize` for the chunk structs reads field by field (crate::fields: no `flatten`
// buffering). Every field may be missing; `id`, `created`, `model`, `choices`, `index`
// and `delta` may also be null (empty or zero); a missing or null `object` is
// `chat.completion.chunk`; `content` may be a list of parts (see `lenient::text`).

impl ReadFields for ChatChunk {
    const EXPECTING: &'static str = "a chat completion chunk object";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "id" => self.id = or_default(map)?,
            "object" => {
                if let Some(object) = map.next_value::<Option<String>>()? {
                    self.object = object;
                }
            }
            "created" => self.created = or_default(map)?,
            "model" => self.model = or_default(map)?,
            "choices" => self.choices = or_default(map)?,
            "usage" => self.usage = map.next_value()?,
            "service_tier" => self.service_tier = map.next_value()?,
            "system_fingerprint" => self.system_fingerprint = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for ChatChunk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl ReadFields for ChunkChoice {
    const EXPECTING: &'static str = "a chunk choice object";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "index" => self.index = or_default(map)?,
            "delta" => self.delta = or_default(map)?,
            "finish_reason" => self.finish_reason = map.next_value()?,
            "logprobs" => self.logprobs = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for ChunkChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl ReadFields for Delta {
    const EXPECTING: &'static str = "a delta object";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "role" => self.role = map.next_value()?,
            "content" => self.content = map.next_value::<super::lenient::Text>()?.0,
            "refusal" => self.refusal = map.next_value()?,
            "tool_calls" => self.tool_calls = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for Delta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}
