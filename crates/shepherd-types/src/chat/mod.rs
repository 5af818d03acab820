//! Chat completions: the request, the response, streaming chunks and their accumulator.
//!
//! Types follow the OpenAI specification (`CreateChatCompletionRequest`,
//! `CreateChatCompletionResponse`, `CreateChatCompletionStreamResponse`) and
//! tolerate deviating servers: unknown fields land in each object's `extra`
//! and round-trip, unknown enum values and tags parse as `Other`, and unset
//! optional fields are left out of the JSON rather than sent as `null`.
//!
//! # Examples
//!
//! ```
//! use shepherd_types::chat::{ChatRequest, ChatResponse, Message};
//!
//! let request = ChatRequest::new("gpt-4.1")
//!     .system("You are terse.")
//!     .user("Say hi.");
//! let body = serde_json::to_string(&request).unwrap();
//! assert!(body.starts_with(r#"{"model":"gpt-4.1","messages":[{"role":"system""#));
//!
//! let reply: ChatResponse = serde_json::from_str(r#"{"id":"x","object":"chat.completion",
//!     "created":0,"model":"gpt-4.1","choices":[{"index":0,"finish_reason":"stop",
//!     "message":{"role":"assistant","content":"Hi."}}]}"#).unwrap();
//! assert_eq!(reply.text(), "Hi.");
//!
//! // Continue the conversation with the reply.
//! let follow_up = request
//!     .message(Message::from(reply.choices[0].message.clone()))
//!     .user("Again.");
//! assert_eq!(follow_up.messages.len(), 4);
//! ```

mod accumulate;
mod lenient;
mod message;
mod request;
mod response;
mod stream;
mod tag;
mod tools;

pub use accumulate::StreamAccumulator;
pub use message::{
    AssistantMessage, AudioPart, Content, ContentMessage, ContentPart, FileInput, FilePart,
    ImageDetail, ImagePart, ImageUrl, InputAudio, InputAudioFormat, Message, RefusalPart, Role,
    TextPart, ToolMessage,
};
pub use request::{
    ChatRequest, JsonSchemaFormat, ReasoningEffort, ResponseFormat, Stop, StreamOptions,
};
pub use response::{
    ChatResponse, Choice, FinishReason, Logprobs, ResponseMessage, ServiceTier, TokenLogprob,
    TopLogprob,
};
pub use stream::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use tools::{
    FunctionCall, FunctionDef, FunctionName, NamedToolChoice, Tool, ToolCall, ToolChoice,
    ToolChoiceMode, ToolType,
};
