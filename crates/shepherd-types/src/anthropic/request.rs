//! The Messages API request body (`POST /v1/messages`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::content::ContentBlock;
use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// A Messages API request.
///
/// Unlike OpenAI's chat completions, `max_tokens` is required and the system
/// prompt is a top-level field rather than a message.
///
/// # Examples
///
/// ```
/// use shepherd_types::anthropic::{InputMessage, MessagesRequest};
///
/// let req = MessagesRequest::new("claude-sonnet-4-5", 1024)
///     .system("Answer in German.")
///     .message(InputMessage::user("Recommend product 42"));
/// let body = serde_json::to_value(&req).unwrap();
/// assert_eq!(body["max_tokens"], 1024);
/// assert_eq!(body["messages"][0]["content"], "Recommend product 42");
/// assert!(body.get("temperature").is_none(), "unset options are omitted, not null");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    /// Model id, e.g. `claude-sonnet-4-5`.
    pub model: String,
    /// The conversation, alternating `user` and `assistant` turns.
    pub messages: Vec<InputMessage>,
    /// Upper bound on generated tokens (required by the API).
    pub max_tokens: u32,
    /// System prompt: a string or text blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    /// Sequences that stop generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Stream the answer as server-sent events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Sampling temperature, 0.0 to 1.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Sample only from the top K options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model must use the tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Extended thinking configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<ThinkingConfig>,
    /// Request metadata (`user_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Fields not modelled here (`service_tier`, `container`, ...), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MessagesRequest {
    /// A request for `model` with no messages yet and every option unset.
    pub fn new(model: impl Into<String>, max_tokens: u32) -> Self {
        MessagesRequest {
            model: model.into(),
            messages: Vec::new(),
            max_tokens,
            system: None,
            stop_sequences: None,
            stream: None,
            temperature: None,
            top_p: None,
            top_k: None,
            tools: None,
            tool_choice: None,
            thinking: None,
            metadata: None,
            extra: Extra::new(),
        }
    }

    /// Sets the system prompt.
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.system = Some(SystemPrompt::Text(text.into()));
        self
    }

    /// Appends a message.
    pub fn message(mut self, message: InputMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// Sets `stream`.
    pub fn stream(mut self, stream: bool) -> Self {
        self.stream = Some(stream);
        self
    }
}

/// The `system` field: a string or a list of text blocks (blocks allow `cache_control`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    /// A plain string.
    Text(String),
    /// Content blocks; the API accepts only `text` blocks here.
    Blocks(Vec<ContentBlock>),
}

impl SystemPrompt {
    /// The prompt's text, blocks joined by a blank line.
    pub fn to_text(&self) -> String {
        match self {
            SystemPrompt::Text(t) => t.clone(),
            SystemPrompt::Blocks(blocks) => {
                let parts: Vec<&str> = blocks.iter().filter_map(ContentBlock::as_text).collect();
                parts.join("\n\n")
            }
        }
    }
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMessage {
    /// `user` or `assistant`.
    pub role: Role,
    /// A string or content blocks.
    pub content: MessageContent,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl InputMessage {
    /// A user turn with text content.
    pub fn user(text: impl Into<String>) -> Self {
        InputMessage {
            role: Role::User,
            content: MessageContent::Text(text.into()),
            extra: Extra::new(),
        }
    }

    /// An assistant turn with text content (a prefill when it is the last turn).
    pub fn assistant(text: impl Into<String>) -> Self {
        InputMessage {
            role: Role::Assistant,
            content: MessageContent::Text(text.into()),
            extra: Extra::new(),
        }
    }

    /// A turn with content blocks.
    pub fn blocks(role: Role, blocks: Vec<ContentBlock>) -> Self {
        InputMessage {
            role,
            content: MessageContent::Blocks(blocks),
            extra: Extra::new(),
        }
    }
}

/// A message's `content`: a string (shorthand for one text block) or blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// A plain string.
    Text(String),
    /// Content blocks.
    Blocks(Vec<ContentBlock>),
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// `user`
    User,
    /// `assistant`
    Assistant,
    /// A role this crate does not know.
    Other(String),
}

impl StringEnum for Role {
    fn as_str(&self) -> &str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => Role::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(Role);

/// A tool the model may call, described by a JSON Schema for its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// The tool's name.
    pub name: String,
    /// What the tool does, for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the input object. Absent for the provider's own server
    /// tools (which carry a `type` in `extra` instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
    /// Fields not modelled here (`type`, `cache_control`, ...), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

/// How the model must use the tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolChoice {
    /// `auto`, `any`, `tool` or `none`.
    #[serde(rename = "type")]
    pub kind: ToolChoiceKind,
    /// The tool to call, when `kind` is `tool`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `true` to allow at most one tool call per turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_parallel_tool_use: Option<bool>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ToolChoice {
    /// A choice of the given kind, without a tool name.
    pub fn new(kind: ToolChoiceKind) -> Self {
        ToolChoice {
            kind,
            name: None,
            disable_parallel_tool_use: None,
            extra: Extra::new(),
        }
    }

    /// Forces a call to the tool named `name`.
    pub fn tool(name: impl Into<String>) -> Self {
        ToolChoice {
            name: Some(name.into()),
            ..ToolChoice::new(ToolChoiceKind::Tool)
        }
    }
}

/// The `type` of a [`ToolChoice`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToolChoiceKind {
    /// `auto`: the model decides.
    Auto,
    /// `any`: the model must call some tool.
    Any,
    /// `tool`: the model must call the named tool.
    Tool,
    /// `none`: the model must not call tools.
    None,
    /// A choice this crate does not know.
    Other(String),
}

impl StringEnum for ToolChoiceKind {
    fn as_str(&self) -> &str {
        match self {
            ToolChoiceKind::Auto => "auto",
            ToolChoiceKind::Any => "any",
            ToolChoiceKind::Tool => "tool",
            ToolChoiceKind::None => "none",
            ToolChoiceKind::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "auto" => ToolChoiceKind::Auto,
            "any" => ToolChoiceKind::Any,
            "tool" => ToolChoiceKind::Tool,
            "none" => ToolChoiceKind::None,
            other => ToolChoiceKind::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(ToolChoiceKind);

/// Extended thinking: `{"type": "enabled", "budget_tokens": N}` or `{"type": "disabled"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThinkingConfig {
    /// `enabled` or `disabled` (kept as a string: the API may add modes).
    #[serde(rename = "type")]
    pub kind: String,
    /// Tokens the model may spend thinking (counts towards `max_tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ThinkingConfig {
    /// Thinking enabled with a token budget.
    pub fn enabled(budget_tokens: u32) -> Self {
        ThinkingConfig {
            kind: "enabled".to_owned(),
            budget_tokens: Some(budget_tokens),
            extra: Extra::new(),
        }
    }
}

/// Request metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// An opaque id of the end user, for abuse detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Fields not modelled here, kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_round_trips_with_unknown_fields() {
        let v = json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]}
            ],
            "tools": [{"name": "get_weather", "input_schema": {"type": "object"}},
                      {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "service_tier": "auto"
        });
        let r: MessagesRequest = serde_json::from_value(v.clone()).expect("parse");
        assert!(
            matches!(&r.system, Some(SystemPrompt::Blocks(b)) if matches!(b[0], ContentBlock::Text(_)))
        );
        assert_eq!(
            r.tool_choice.as_ref().map(|c| &c.kind),
            Some(&ToolChoiceKind::Any)
        );
        assert_eq!(
            r.system.as_ref().map(SystemPrompt::to_text).as_deref(),
            Some("Be brief.")
        );
        assert_eq!(serde_json::to_value(&r).expect("ser"), v);
    }

    #[test]
    fn unknown_role_is_kept() {
        let m: InputMessage =
            serde_json::from_value(json!({"role": "critic", "content": "no"})).expect("parse");
        assert_eq!(m.role, Role::Other("critic".into()));
    }
}
