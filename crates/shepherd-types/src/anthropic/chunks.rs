//! A state machine that turns Messages stream events into chat completion chunks.

use serde_json::Value;

use super::content::ContentBlock;
use super::error::ApiError;
use super::response::MessageUsage;
use super::stream::{BlockDelta, StreamEvent};
use super::to_chat::REASONING_CONTENT;
use crate::Extra;
use crate::chat::{
    ChatChunk, ChunkChoice, Delta, FinishReason, FunctionCallDelta, Role, ToolCallDelta, ToolType,
};
use crate::usage::Usage;

/// Converts a streamed Messages response, one [`StreamEvent`] at a time,
/// into the [`ChatChunk`]s an OpenAI-compatible server would have sent.
///
/// Folding the chunks with [`crate::chat::StreamAccumulator`] gives the same
/// response as [`super::MessagesResponse::into_chat_response`] on the
/// complete message (except `created`, which both leave at 0 unless set).
///
/// | event | chunks |
/// |---|---|
/// | `message_start` | one with `role: "assistant"` and empty content |
/// | `content_block_start`, `tool_use` | one opening a tool call: `id`, `name`, empty `arguments` |
/// | `text_delta` | one with the text as `content` |
/// | `input_json_delta` | one with the fragment as the tool call's `arguments` |
/// | `thinking_delta` | one with the text in `reasoning_content` |
/// | `content_block_stop`, tool without input fragments | `arguments: "{}"` |
/// | `message_delta` | one with `finish_reason`, then a usage-only one (`choices: []`) |
/// | `error` | `Err` with the error |
/// | `ping`, `message_stop`, `signature_delta`, unknown | none |
///
/// Tool calls are numbered 0, 1, ... in the order their blocks start,
/// independent of the block index (text blocks take indexes too).
///
/// # Examples
///
/// ```
/// use shepherd_types::anthropic::{ChunkConverter, StreamEvent};
/// use shepherd_types::chat::StreamAccumulator;
///
/// let events = [
///     r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
///         "content":[],"model":"claude-sonnet-4-5","usage":{"input_tokens":12,"output_tokens":1}}}"#,
///     r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
///     r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hal"}}"#,
///     r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo!"}}"#,
///     r#"{"type":"content_block_stop","index":0}"#,
///     r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#,
///     r#"{"type":"message_stop"}"#,
/// ];
/// let mut converter = ChunkConverter::new();
/// let mut acc = StreamAccumulator::new();
/// for e in events {
///     let event: StreamEvent = serde_json::from_str(e).unwrap();
///     for chunk in converter.push(&event).unwrap() {
///         acc.push(&chunk);
///     }
/// }
/// let reply = acc.finish();
/// assert_eq!(reply.text(), "Hallo!");
/// assert_eq!(reply.usage.unwrap().total_tokens, 15);
/// ```
#[derive(Debug, Clone)]
pub struct ChunkConverter {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    usage: MessageUsage,
    tools: Vec<ToolState>,
    done: bool,
}

#[derive(Debug, Clone)]
struct ToolState {
    block: u32,
    call: u32,
    sent_arguments: bool,
}

impl Default for ChunkConverter {
    fn default() -> Self {
        ChunkConverter::new()
    }
}

impl ChunkConverter {
    /// A converter for one stream, with `created` 0 and usage chunks on.
    pub fn new() -> Self {
        ChunkConverter {
            id: String::new(),
            model: String::new(),
            created: 0,
            include_usage: true,
            usage: MessageUsage::default(),
            tools: Vec::new(),
            done: false,
        }
    }

    /// Sets the `created` timestamp (Unix seconds) of every chunk. Default 0.
    pub fn created(mut self, created: u64) -> Self {
        self.created = created;
        self
    }

    /// Whether `message_delta` is followed by a usage-only chunk, like
    /// OpenAI's `stream_options.include_usage`. Default `true`.
    pub fn include_usage(mut self, include_usage: bool) -> Self {
        self.include_usage = include_usage;
        self
    }

    /// `true` once `message_stop` has been pushed.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The usage so far, as chat completion usage.
    pub fn usage(&self) -> Usage {
        Usage::from(&self.usage)
    }

    /// Feeds one event; returns the chunks it produces (often one, possibly none).
    ///
    /// # Errors
    ///
    /// An `error` event is returned as its [`ApiError`]: the stream failed
    /// after it started (e.g. `overloaded_error`).
    pub fn push(&mut self, event: &StreamEvent) -> Result<Vec<ChatChunk>, ApiError> {
        let mut out = Vec::new();
        match event {
            StreamEvent::MessageStart { message, .. } => {
                self.id.clone_from(&message.id);
                self.model.clone_from(&message.model);
                self.usage = message.usage.clone();
                out.push(self.chunk(Delta {
                    role: Some(Role::Assistant),
                    content: Some(String::new()),
                    ..Delta::default()
                }));
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
                ..
            } => match content_block {
                ContentBlock::Text(t) if !t.text.is_empty() => out.push(self.text(t.text.clone())),
                ContentBlock::Thinking(t) if !t.thinking.is_empty() => {
                    out.push(self.reasoning(&t.thinking));
                }
                ContentBlock::ToolUse(u) => {
                    let call = u32::try_from(self.tools.len()).unwrap_or(u32::MAX);
                    // Some proxies send the whole input up front instead of
                    // as fragments; an empty object is the normal placeholder.
                    let upfront = match &u.input {
                        Value::Object(map) if map.is_empty() => None,
                        Value::Null => None,
                        input => Some(input.to_string()),
                    };
                    self.tools.push(ToolState {
                        block: *index,
                        call,
                        sent_arguments: upfront.is_some(),
                    });
                    out.push(self.tool_chunk(ToolCallDelta {
                        index: call,
                        id: Some(u.id.clone()),
                        kind: Some(ToolType::Function),
                        function: Some(FunctionCallDelta {
                            name: Some(u.name.clone()),
                            arguments: Some(upfront.unwrap_or_default()),
                            extra: Extra::new(),
                        }),
                        extra: Extra::new(),
                    }));
                }
                _ => {}
            },
            StreamEvent::ContentBlockDelta { index, delta, .. } => match delta {
                BlockDelta::Text(d) => out.push(self.text(d.text.clone())),
                BlockDelta::Thinking(d) => out.push(self.reasoning(&d.thinking)),
                BlockDelta::InputJson(d) => {
                    if let Some(tool) = self.tools.iter_mut().find(|t| t.block == *index) {
                        if !d.partial_json.is_empty() {
                            tool.sent_arguments = true;
                        }
                        let call = tool.call;
                        out.push(self.arguments(call, d.partial_json.clone()));
                    }
                }
                _ => {}
            },
            StreamEvent::ContentBlockStop { index, .. } => {
                if let Some(tool) = self.tools.iter_mut().find(|t| t.block == *index)
                    && !tool.sent_arguments
                {
                    // A tool without parameters streams no fragments; chat
                    // clients expect `arguments` to be valid JSON.
                    tool.sent_arguments = true;
                    let call = tool.call;
                    out.push(self.arguments(call, "{}".to_owned()));
                }
            }
            StreamEvent::MessageDelta { delta, usage, .. } => {
                if let Some(u) = usage {
                    self.usage.output_tokens = u.output_tokens;
                    if let Some(n) = u.input_tokens {
                        self.usage.input_tokens = n;
                    }
                    if let Some(n) = u.cache_creation_input_tokens {
                        self.usage.cache_creation_input_tokens = Some(n);
                    }
                    if let Some(n) = u.cache_read_input_tokens {
                        self.usage.cache_read_input_tokens = Some(n);
                    }
                }
                if let Some(reason) = &delta.stop_reason {
                    out.push(self.finish(reason.to_finish_reason()));
                }
                if self.include_usage {
                    let mut chunk = self.empty_chunk();
                    chunk.usage = Some(self.usage());
                    out.push(chunk);
                }
            }
            StreamEvent::MessageStop { .. } => self.done = true,
            StreamEvent::Error { error, .. } => return Err(error.clone()),
            StreamEvent::Ping { .. } | StreamEvent::Other(_) => {}
        }
        Ok(out)
    }

    fn empty_chunk(&self) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            ..ChatChunk::default()
        }
    }

    fn chunk(&self, delta: Delta) -> ChatChunk {
        self.choice_chunk(ChunkChoice {
            delta,
            ..ChunkChoice::default()
        })
    }

    fn choice_chunk(&self, choice: ChunkChoice) -> ChatChunk {
        let mut chunk = self.empty_chunk();
        chunk.choices.push(choice);
        chunk
    }

    fn text(&self, text: String) -> ChatChunk {
        self.chunk(Delta {
            content: Some(text),
            ..Delta::default()
        })
    }

    fn reasoning(&self, text: &str) -> ChatChunk {
        let mut delta = Delta::default();
        delta
            .extra
            .insert(REASONING_CONTENT.to_owned(), Value::String(text.to_owned()));
        self.chunk(delta)
    }

    fn tool_chunk(&self, call: ToolCallDelta) -> ChatChunk {
        self.chunk(Delta {
            tool_calls: Some(vec![call]),
            ..Delta::default()
        })
    }

    fn arguments(&self, call: u32, fragment: String) -> ChatChunk {
        self.tool_chunk(ToolCallDelta {
            index: call,
            function: Some(FunctionCallDelta {
                arguments: Some(fragment),
                ..FunctionCallDelta::default()
            }),
            ..ToolCallDelta::default()
        })
    }

    fn finish(&self, reason: FinishReason) -> ChatChunk {
        self.choice_chunk(ChunkChoice {
            finish_reason: Some(reason),
            ..ChunkChoice::default()
        })
    }
}
