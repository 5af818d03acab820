//! Conversion of a Messages response, its stop reason and usage into the chat completion shapes.

use serde_json::Value;

use super::content::ContentBlock;
use super::response::{MessageUsage, MessagesResponse, StopReason};
use crate::Extra;
use crate::chat::{ChatResponse, Choice, FinishReason, ResponseMessage, ToolCall};
use crate::pricing::CACHE_WRITE_TOKENS;
use crate::usage::{PromptTokensDetails, Usage};

/// The key under which thinking text is carried in a chat message's (or
/// delta's) `extra`: `reasoning_content`, the field DeepSeek and several
/// OpenAI-compatible servers use for the same thing.
pub const REASONING_CONTENT: &str = "reasoning_content";

impl StopReason {
    /// The chat completion `finish_reason` with the same meaning.
    ///
    /// | Anthropic | chat completion |
    /// |---|---|
    /// | `end_turn`, `stop_sequence` | `stop` |
    /// | `max_tokens`, `model_context_window_exceeded` | `length` |
    /// | `tool_use` | `tool_calls` |
    /// | `refusal` | `content_filter` |
    /// | anything else (`pause_turn`, ...) | the same string, as [`FinishReason::Other`] |
    pub fn to_finish_reason(&self) -> FinishReason {
        match self {
            StopReason::EndTurn | StopReason::StopSequence => FinishReason::Stop,
            StopReason::MaxTokens | StopReason::ModelContextWindowExceeded => FinishReason::Length,
            StopReason::ToolUse => FinishReason::ToolCalls,
            StopReason::Refusal => FinishReason::ContentFilter,
            StopReason::PauseTurn => FinishReason::Other("pause_turn".to_owned()),
            StopReason::Other(s) => FinishReason::Other(s.clone()),
        }
    }
}

impl From<&MessageUsage> for Usage {
    /// `prompt_tokens` is uncached input plus cache writes plus cache reads;
    /// cache reads become `prompt_tokens_details.cached_tokens`, cache writes
    /// the [`CACHE_WRITE_TOKENS`] detail so pricing can bill them at their own rate.
    fn from(u: &MessageUsage) -> Self {
        let mut usage = Usage::new(u.total_input_tokens(), u.output_tokens);
        if u.cache_read_input_tokens.is_some() || u.cache_creation_input_tokens.is_some() {
            let mut details = PromptTokensDetails {
                cached_tokens: Some(u.cache_read_input_tokens.unwrap_or(0)),
                ..PromptTokensDetails::default()
            };
            if let Some(written) = u.cache_creation_input_tokens {
                details
                    .extra
                    .insert(CACHE_WRITE_TOKENS.to_owned(), Value::from(written));
            }
            usage.prompt_tokens_details = Some(details);
        }
        usage.extra.clone_from(&u.extra);
        usage
    }
}

impl From<MessageUsage> for Usage {
    fn from(u: MessageUsage) -> Self {
        Usage::from(&u)
    }
}

impl MessagesResponse {
    /// The same answer as a chat completion response with one choice.
    ///
    /// - text blocks are concatenated into `content` (`None` when the
    ///   message holds only tool calls, as OpenAI sends it);
    /// - each `tool_use` block becomes a function tool call whose
    ///   `arguments` is the JSON text of its `input`;
    /// - thinking blocks are concatenated into the message's
    ///   [`REASONING_CONTENT`] field;
    /// - `stop_reason` becomes `finish_reason` ([`StopReason::to_finish_reason`]);
    /// - usage as `From<&MessageUsage> for Usage` converts it (cache reads
    ///   and writes included in `prompt_tokens`).
    ///
    /// `created` is 0: Anthropic does not send a timestamp, and this crate
    /// does not read the clock; set it if you need it. Other block types
    /// (server tool results, redacted thinking) have no chat equivalent and
    /// are left out.
    ///
    /// # Examples
    ///
    /// ```
    /// use shepherd_types::anthropic::MessagesResponse;
    /// use shepherd_types::chat::FinishReason;
    ///
    /// let msg: MessagesResponse = serde_json::from_str(r#"{
    ///     "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    ///     "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather",
    ///                  "input": {"city": "Berlin"}}],
    ///     "stop_reason": "tool_use",
    ///     "usage": {"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 20}
    /// }"#).unwrap();
    /// let chat = msg.into_chat_response();
    /// assert_eq!(chat.finish_reason(), Some(&FinishReason::ToolCalls));
    /// assert_eq!(chat.tool_calls()[0].function.arguments, r#"{"city":"Berlin"}"#);
    /// let usage = chat.usage.unwrap();
    /// assert_eq!((usage.prompt_tokens, usage.cached_tokens()), (100, 90));
    /// ```
    pub fn into_chat_response(self) -> ChatResponse {
        let mut text: Option<String> = None;
        let mut thinking: Option<String> = None;
        let mut tool_calls = Vec::new();
        for block in self.content {
            match block {
                ContentBlock::Text(t) => text.get_or_insert_with(String::new).push_str(&t.text),
                ContentBlock::Thinking(t) => {
                    thinking
                        .get_or_insert_with(String::new)
                        .push_str(&t.thinking);
                }
                ContentBlock::ToolUse(u) => {
                    tool_calls.push(ToolCall::function(u.id, u.name, u.input.to_string()));
                }
                _ => {}
            }
        }
        if text.is_none() && tool_calls.is_empty() {
            text = Some(String::new());
        }
        let mut extra = Extra::new();
        if let Some(thinking) = thinking {
            extra.insert(REASONING_CONTENT.to_owned(), Value::String(thinking));
        }
        let message = ResponseMessage {
            content: text,
            tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
            extra,
            ..ResponseMessage::default()
        };
        ChatResponse {
            id: self.id,
            object: "chat.completion".to_owned(),
            created: 0,
            model: self.model,
            choices: vec![Choice {
                index: 0,
                message,
                finish_reason: self.stop_reason.as_ref().map(StopReason::to_finish_reason),
                logprobs: None,
                extra: Extra::new(),
            }],
            usage: Some(Usage::from(&self.usage)),
            service_tier: None,
            system_fingerprint: None,
            extra: self.extra,
        }
    }
}

impl From<MessagesResponse> for ChatResponse {
    /// See [`MessagesResponse::into_chat_response`].
    fn from(m: MessagesResponse) -> Self {
        m.into_chat_response()
    }
}
