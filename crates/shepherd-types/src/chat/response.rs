//! The non-streaming chat completion response.

use serde::de::MapAccess;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::message::{AssistantMessage, Content, Message, Role};
use super::tools::ToolCall;
use crate::fields::{ReadFields, deserialize_fields, or_default};
use crate::string_enum::{StringEnum, string_enum_serde};
use crate::{Extra, Usage};

/// Why the model stopped generating a choice.
///
/// Unknown values, and the empty string some servers send, parse as
/// [`FinishReason::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FinishReason {
    /// `stop`: a natural end or a stop sequence.
    Stop,
    /// `length`: `max_tokens`/`max_completion_tokens` or the context window was reached.
    Length,
    /// `tool_calls`: the model called tools.
    ToolCalls,
    /// `content_filter`: content was withheld by a filter.
    ContentFilter,
    /// `function_call`: the model called a (deprecated) function.
    FunctionCall,
    /// A value this crate does not know (including `""`).
    Other(String),
}

impl StringEnum for FinishReason {
    fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::FunctionCall => "function_call",
            FinishReason::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            "function_call" => FinishReason::FunctionCall,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(FinishReason);

impl FinishReason {
    /// The wire spelling, e.g. `"tool_calls"`.
    pub fn as_str(&self) -> &str {
        StringEnum::as_str(self)
    }
}

/// The processing tier a request asks for, or the one that served it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServiceTier {
    /// `auto`: the project's default.
    Auto,
    /// `default`: standard pricing and performance.
    Default,
    /// `flex`: cheaper, slower, may be unavailable.
    Flex,
    /// `scale`: scale-tier capacity.
    Scale,
    /// `priority`: faster, more expensive.
    Priority,
    /// `fast`.
    Fast,
    /// A value this crate does not know (e.g. `on_demand`).
    Other(String),
}

impl StringEnum for ServiceTier {
    fn as_str(&self) -> &str {
        match self {
            ServiceTier::Auto => "auto",
            ServiceTier::Default => "default",
            ServiceTier::Flex => "flex",
            ServiceTier::Scale => "scale",
            ServiceTier::Priority => "priority",
            ServiceTier::Fast => "fast",
            ServiceTier::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "auto" => ServiceTier::Auto,
            "default" => ServiceTier::Default,
            "flex" => ServiceTier::Flex,
            "scale" => ServiceTier::Scale,
            "priority" => ServiceTier::Priority,
            "fast" => ServiceTier::Fast,
            other => ServiceTier::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ServiceTier);

/// A chat completion (`object: "chat.completion"`).
///
/// Only `choices` is required when parsing: servers that leave out `id`,
/// `created` or `model`, or send them as `null`, still parse (as empty or zero).
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::{ChatResponse, FinishReason};
///
/// let r: ChatResponse = serde_json::from_str(r#"{
///     "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4.1",
///     "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
///                  "message": {"role": "assistant", "content": "Hi!", "refusal": null}}],
///     "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
/// }"#).unwrap();
/// assert_eq!(r.text(), "Hi!");
/// assert_eq!(r.finish_reason(), Some(&FinishReason::Stop));
/// assert_eq!(r.usage.map(|u| u.total_tokens), Some(7));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatResponse {
    /// Unique id of the completion.
    pub id: String,
    /// Always `chat.completion` from spec-following servers.
    pub object: String,
    /// Unix time (seconds) the completion was created.
    pub created: u64,
    /// The model that produced the completion (often a dated snapshot).
    pub model: String,
    /// One choice per requested completion (`n`).
    pub choices: Vec<Choice>,
    /// Token usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The tier that served the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Backend configuration fingerprint (deprecated by OpenAI, still sent by many servers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

pub(crate) fn completion_object() -> String {
    "chat.completion".to_owned()
}

impl Default for ChatResponse {
    /// An empty `chat.completion`: no choices, no usage.
    fn default() -> Self {
        ChatResponse {
            id: String::new(),
            object: completion_object(),
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

impl ChatResponse {
    /// The first choice's text, or `""` when it has none (e.g. only tool calls).
    pub fn text(&self) -> &str {
        self.message()
            .and_then(|m| m.content.as_deref())
            .unwrap_or("")
    }

    /// The first choice's message.
    pub fn message(&self) -> Option<&ResponseMessage> {
        self.choices.first().map(|c| &c.message)
    }

    /// The first choice's tool calls (empty when none).
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.message()
            .and_then(|m| m.tool_calls.as_deref())
            .unwrap_or(&[])
    }

    /// The first choice's finish reason.
    pub fn finish_reason(&self) -> Option<&FinishReason> {
        self.choices.first().and_then(|c| c.finish_reason.as_ref())
    }
}

/// One completion choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Choice {
    /// Position in `choices` (0 to n-1).
    pub index: u32,
    /// The generated message.
    pub message: ResponseMessage,
    /// Why generation stopped (`None` when a server sends `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// Token log probabilities, when requested with `logprobs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Logprobs>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The message of a [`Choice`]: what the assistant said, refused or called.
///
/// `annotations` (URL citations) and `audio` are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseMessage {
    /// Always `assistant` from spec-following servers.
    pub role: Role,
    /// The text; `None` when the model only called tools or refused.
    ///
    /// A server sending a list of content parts here is accepted: the text
    /// parts are concatenated, other parts dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The refusal message, when the model refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Tool calls the model made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Fields this crate does not know (`annotations`, `audio`, ...), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for ResponseMessage {
    fn default() -> Self {
        ResponseMessage {
            role: Role::Assistant,
            content: None,
            refusal: None,
            tool_calls: None,
            extra: Extra::new(),
        }
    }
}

impl From<ResponseMessage> for Message {
    /// The reply as an `assistant` message, to continue the conversation.
    ///
    /// Response-only fields (`annotations`, the audio's data) are dropped; an
    /// audio reply is referred to by its id, as the API expects.
    fn from(m: ResponseMessage) -> Self {
        let mut extra = Extra::new();
        if let Some(id) = m.extra.get("audio").and_then(|a| a.get("id")) {
            let mut audio = Extra::new();
            audio.insert("id".to_owned(), id.clone());
            extra.insert("audio".to_owned(), Value::Object(audio));
        }
        Message::Assistant(AssistantMessage {
            content: m.content.map(Content::Text),
            refusal: m.refusal,
            name: None,
            tool_calls: m.tool_calls,
            extra,
        })
    }
}

// `Deserialize` for the three structs every chat completion holds reads field by field
// (crate::fields: no `flatten` buffering). The rules, as the structs' docs state them:
// `choices` and `message` are required; `id`, `created`, `model` and `index` may be
// missing or null (empty or zero); a missing or null `object` or `role` takes the
// spec's value; `content` may be a list of parts (see `lenient::text`).

impl ReadFields for ChatResponse {
    const EXPECTING: &'static str = "a chat completion object";
    const REQUIRED: &'static [&'static str] = &["choices"];

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
            "choices" => self.choices = map.next_value()?,
            "usage" => self.usage = map.next_value()?,
            "service_tier" => self.service_tier = map.next_value()?,
            "system_fingerprint" => self.system_fingerprint = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for ChatResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl ReadFields for Choice {
    const EXPECTING: &'static str = "a choice object";
    const REQUIRED: &'static [&'static str] = &["message"];

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
            "message" => self.message = map.next_value()?,
            "finish_reason" => self.finish_reason = map.next_value()?,
            "logprobs" => self.logprobs = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for Choice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

impl ReadFields for ResponseMessage {
    const EXPECTING: &'static str = "a message object";

    fn extra(&mut self) -> &mut Extra {
        &mut self.extra
    }

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match name {
            "role" => {
                if let Some(role) = map.next_value::<Option<Role>>()? {
                    self.role = role;
                }
            }
            "content" => self.content = map.next_value::<super::lenient::Text>()?.0,
            "refusal" => self.refusal = map.next_value()?,
            "tool_calls" => self.tool_calls = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Deserialize<'de> for ResponseMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fields(deserializer)
    }
}

/// Log probabilities of a choice's tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Logprobs {
    /// One entry per content token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<TokenLogprob>>,
    /// One entry per refusal token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Vec<TokenLogprob>>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The log probability of one generated token, with the most likely alternatives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenLogprob {
    /// The token.
    pub token: String,
    /// Its log probability.
    pub logprob: f64,
    /// Its UTF-8 bytes (tokens may split characters); `None` when the server omits them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<u8>>,
    /// The most likely tokens at this position (`top_logprobs` of the request).
    #[serde(default)]
    pub top_logprobs: Vec<TopLogprob>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An alternative token at one position.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopLogprob {
    /// The token.
    pub token: String,
    /// Its log probability.
    pub logprob: f64,
    /// Its UTF-8 bytes; `None` when the server omits them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<u8>>,
    /// Fields this crate does not know, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}
