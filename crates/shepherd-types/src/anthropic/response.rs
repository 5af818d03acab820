//! The Messages API response body, its stop reasons and token usage.

use serde::{Deserialize, Serialize};

use super::content::ContentBlock;
use super::request::Role;
use crate::Extra;
use crate::string_enum::{StringEnum, string_enum_serde};

/// A complete Messages API response (`{"type": "message", ...}`), also the
/// `message` of a stream's `message_start` event (then with empty content).
///
/// # Examples
///
/// ```
/// use shepherd_types::anthropic::{MessagesResponse, StopReason};
///
/// let msg: MessagesResponse = serde_json::from_str(r#"{
///     "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
///     "content": [{"type": "text", "text": "Hallo!"}],
///     "stop_reason": "end_turn", "stop_sequence": null,
///     "usage": {"input_tokens": 12, "output_tokens": 3}
/// }"#).unwrap();
/// assert_eq!(msg.text(), "Hallo!");
/// assert_eq!(msg.stop_reason, Some(StopReason::EndTurn));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesResponse {
    /// Message id (`msg_...`).
    pub id: String,
    /// Always `message`.
    #[serde(rename = "type", default = "message_type")]
    pub kind: String,
    /// Always `assistant`.
    #[serde(default = "assistant_role")]
    pub role: Role,
    /// The generated content blocks.
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    /// The model that answered.
    pub model: String,
    /// Why generation stopped (`None` in `message_start`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// The stop sequence that matched, when `stop_reason` is `stop_sequence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequence: Option<String>,
    /// Token counts.
    #[serde(default)]
    pub usage: MessageUsage,
    /// Fields not modelled here (`container`, ...), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

fn message_type() -> String {
    "message".to_owned()
}

fn assistant_role() -> Role {
    Role::Assistant
}

impl MessagesResponse {
    /// The text blocks' text, concatenated (thinking and tool use excluded).
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(ContentBlock::as_text)
            .collect()
    }
}

/// Why the model stopped generating.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// `end_turn`: the model finished its turn.
    EndTurn,
    /// `max_tokens`: the `max_tokens` limit was reached.
    MaxTokens,
    /// `stop_sequence`: one of the `stop_sequences` was generated.
    StopSequence,
    /// `tool_use`: the model called tools and waits for their results.
    ToolUse,
    /// `pause_turn`: a long server-tool turn was paused; send it back to continue.
    PauseTurn,
    /// `refusal`: the model declined for safety reasons.
    Refusal,
    /// `model_context_window_exceeded`: the answer filled the context window.
    ModelContextWindowExceeded,
    /// A reason this crate does not know.
    Other(String),
}

impl StringEnum for StopReason {
    fn as_str(&self) -> &str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopSequence => "stop_sequence",
            StopReason::ToolUse => "tool_use",
            StopReason::PauseTurn => "pause_turn",
            StopReason::Refusal => "refusal",
            StopReason::ModelContextWindowExceeded => "model_context_window_exceeded",
            StopReason::Other(s) => s,
        }
    }
    fn from_wire(s: &str) -> Self {
        match s {
            "end_turn" => StopReason::EndTurn,
            "max_tokens" => StopReason::MaxTokens,
            "stop_sequence" => StopReason::StopSequence,
            "tool_use" => StopReason::ToolUse,
            "pause_turn" => StopReason::PauseTurn,
            "refusal" => StopReason::Refusal,
            "model_context_window_exceeded" => StopReason::ModelContextWindowExceeded,
            other => StopReason::Other(other.to_owned()),
        }
    }
}
string_enum_serde!(StopReason);

/// Token counts of a Messages response.
///
/// Anthropic counts cache writes and cache reads *separately* from
/// `input_tokens`; the conversion to [`crate::Usage`] adds them up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageUsage {
    /// Input tokens neither written to nor read from the prompt cache.
    #[serde(default)]
    pub input_tokens: u32,
    /// Generated tokens.
    #[serde(default)]
    pub output_tokens: u32,
    /// Input tokens written to the prompt cache (billed above the input rate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u32>,
    /// Input tokens read from the prompt cache (billed below the input rate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u32>,
    /// Fields not modelled here (`cache_creation`, `server_tool_use`, `service_tier`), kept for round-tripping.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MessageUsage {
    /// All prompt tokens: uncached input plus cache writes plus cache reads.
    pub fn total_input_tokens(&self) -> u32 {
        self.input_tokens
            .saturating_add(self.cache_creation_input_tokens.unwrap_or(0))
            .saturating_add(self.cache_read_input_tokens.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_stop_reason_and_usage_fields_are_kept() {
        let v = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [], "stop_reason": "compaction",
            "usage": {"input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 10,
                      "cache_creation_input_tokens": 2, "service_tier": "standard"}
        });
        let m: MessagesResponse = serde_json::from_value(v.clone()).expect("parse");
        assert_eq!(m.stop_reason, Some(StopReason::Other("compaction".into())));
        assert_eq!(m.usage.total_input_tokens(), 17);
        assert_eq!(serde_json::to_value(&m).expect("ser"), v);
    }
}
