//! Folding a stream of chunks into the complete response a non-streaming call returns.

use serde_json::Value;

use super::response::{ChatResponse, Choice, Logprobs, completion_object};
use super::stream::{ChatChunk, ChunkChoice, ToolCallDelta};
use super::tools::ToolCall;
use crate::Extra;

/// Folds [`ChatChunk`]s into the [`ChatResponse`] the same request would have
/// returned without streaming.
///
/// - Choices are kept apart by `index` (`n > 1`), and come out sorted by it.
/// - Content and refusal pieces are concatenated; logprobs are appended.
/// - Tool calls are assembled by their `index`: the first piece brings `id`,
///   `type` and name, later pieces append to `arguments`, and pieces of
///   parallel calls may interleave. A piece with a new `id` at an index that
///   already has a different one starts a new call (some servers reuse index 0).
/// - `usage` comes from the chunk that carries it, normally the usage-only
///   final chunk (`choices: []`); `finish_reason` from each choice's last chunk.
/// - Fields this crate does not model are kept: in deltas, strings are
///   concatenated (e.g. `reasoning_content`) and objects merged; elsewhere the
///   last value wins. The per-chunk `obfuscation` padding is dropped.
/// - An empty content (`""`, as sent in a first role-only chunk) becomes
///   `None` when the message has tool calls or a refusal, as a
///   non-streaming response would have `null` there.
///
/// # Examples
///
/// ```
/// use shepherd_types::chat::{ChatChunk, StreamAccumulator};
///
/// let events = [
///     r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
///     r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
///     r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
///     r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
/// ];
/// let mut acc = StreamAccumulator::new();
/// for e in events {
///     acc.push(&serde_json::from_str::<ChatChunk>(e).unwrap());
/// }
/// let response = acc.finish();
/// assert_eq!(response.object, "chat.completion");
/// assert_eq!(response.text(), "Hello");
/// assert_eq!(response.usage.unwrap().total_tokens, 5);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StreamAccumulator {
    /// Top-level fields; `choices` stays empty until [`finish`](Self::finish).
    response: ChatResponse,
    /// Choices in order of first appearance.
    choices: Vec<ChoiceState>,
    chunks: usize,
}

#[derive(Debug, Clone)]
struct ChoiceState {
    choice: Choice,
    /// Tool calls with their wire index, in order of first appearance.
    tool_calls: Vec<(u32, ToolCall)>,
}

impl StreamAccumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        StreamAccumulator::default()
    }

    /// How many chunks were pushed.
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// The usage reported so far (normally by the final chunk).
    pub fn usage(&self) -> Option<&crate::Usage> {
        self.response.usage.as_ref()
    }

    /// The response as far as the stream has come, without consuming the
    /// accumulator (a clone of the state, then [`finish`](Self::finish)).
    pub fn snapshot(&self) -> ChatResponse {
        self.clone().finish()
    }

    /// Folds one chunk in.
    pub fn push(&mut self, chunk: &ChatChunk) {
        self.chunks += 1;
        let r = &mut self.response;
        if r.id.is_empty() {
            r.id.clone_from(&chunk.id);
        }
        if r.model.is_empty() {
            r.model.clone_from(&chunk.model);
        }
        if r.created == 0 {
            r.created = chunk.created;
        }
        if chunk.system_fingerprint.is_some() {
            r.system_fingerprint.clone_from(&chunk.system_fingerprint);
        }
        if chunk.service_tier.is_some() {
            r.service_tier.clone_from(&chunk.service_tier);
        }
        if chunk.usage.is_some() {
            r.usage.clone_from(&chunk.usage);
        }
        for (key, value) in &chunk.extra {
            if key != "obfuscation" {
                r.extra.insert(key.clone(), value.clone());
            }
        }
        for choice in &chunk.choices {
            self.choice_mut(choice.index).apply(choice);
        }
    }

    /// The complete response: choices sorted by index, tool calls in index order.
    pub fn finish(self) -> ChatResponse {
        let mut response = self.response;
        response.object = completion_object();
        let mut states = self.choices;
        states.sort_by_key(|s| s.choice.index);
        response.choices = states.into_iter().map(ChoiceState::finish).collect();
        response
    }

    fn choice_mut(&mut self, index: u32) -> &mut ChoiceState {
        let pos = match self.choices.iter().position(|s| s.choice.index == index) {
            Some(pos) => pos,
            None => {
                self.choices.push(ChoiceState {
                    choice: Choice {
                        index,
                        ..Choice::default()
                    },
                    tool_calls: Vec::new(),
                });
                self.choices.len() - 1
            }
        };
        &mut self.choices[pos]
    }
}

impl<'a> Extend<&'a ChatChunk> for StreamAccumulator {
    fn extend<I: IntoIterator<Item = &'a ChatChunk>>(&mut self, chunks: I) {
        for chunk in chunks {
            self.push(chunk);
        }
    }
}

impl ChoiceState {
    fn apply(&mut self, c: &ChunkChoice) {
        let delta = &c.delta;
        let message = &mut self.choice.message;
        if let Some(role) = &delta.role {
            message.role = role.clone();
        }
        if let Some(piece) = &delta.content {
            message
                .content
                .get_or_insert_with(String::new)
                .push_str(piece);
        }
        if let Some(piece) = &delta.refusal {
            message
                .refusal
                .get_or_insert_with(String::new)
                .push_str(piece);
        }
        merge_fields(&mut message.extra, &delta.extra);
        for piece in delta.tool_calls.iter().flatten() {
            self.apply_tool_call(piece);
        }
        if c.finish_reason.is_some() {
            self.choice.finish_reason.clone_from(&c.finish_reason);
        }
        if let Some(lp) = &c.logprobs {
            append_logprobs(
                self.choice.logprobs.get_or_insert_with(Logprobs::default),
                lp,
            );
        }
        for (key, value) in &c.extra {
            self.choice.extra.insert(key.clone(), value.clone());
        }
    }

    fn apply_tool_call(&mut self, piece: &ToolCallDelta) {
        let new_id = piece.id.as_deref().filter(|id| !id.is_empty());
        let existing = self
            .tool_calls
            .iter()
            .rposition(|(index, _)| *index == piece.index)
            .filter(|&pos| {
                let id = &self.tool_calls[pos].1.id;
                new_id.is_none_or(|new| id.is_empty() || id == new)
            });
        let pos = existing.unwrap_or_else(|| {
            self.tool_calls.push((piece.index, ToolCall::default()));
            self.tool_calls.len() - 1
        });
        let call = &mut self.tool_calls[pos].1;
        if let Some(id) = new_id
            && call.id.is_empty()
        {
            id.clone_into(&mut call.id);
        }
        if let Some(kind) = &piece.kind {
            call.kind = kind.clone();
        }
        if let Some(f) = &piece.function {
            // Some servers repeat the name in every piece; it is set once.
            if let Some(name) = f.name.as_deref()
                && call.function.name.is_empty()
            {
                name.clone_into(&mut call.function.name);
            }
            if let Some(fragment) = &f.arguments {
                call.function.arguments.push_str(fragment);
            }
            merge_fields(&mut call.function.extra, &f.extra);
        }
        merge_fields(&mut call.extra, &piece.extra);
    }

    fn finish(self) -> Choice {
        let mut choice = self.choice;
        let mut calls = self.tool_calls;
        calls.sort_by_key(|(index, _)| *index);
        if !calls.is_empty() {
            choice.message.tool_calls = Some(calls.into_iter().map(|(_, call)| call).collect());
        }
        let message = &mut choice.message;
        let has_other_output = message.tool_calls.is_some() || message.refusal.is_some();
        if has_other_output && message.content.as_deref() == Some("") {
            message.content = None;
        }
        choice
    }
}

fn append_logprobs(into: &mut Logprobs, piece: &Logprobs) {
    if let Some(tokens) = &piece.content {
        into.content
            .get_or_insert_with(Vec::new)
            .extend_from_slice(tokens);
    }
    if let Some(tokens) = &piece.refusal {
        into.refusal
            .get_or_insert_with(Vec::new)
            .extend_from_slice(tokens);
    }
    for (key, value) in &piece.extra {
        into.extra.insert(key.clone(), value.clone());
    }
}

/// Merges streamed unknown fields: strings concatenate, objects merge, a
/// `null` never erases a value, anything else replaces.
fn merge_fields(into: &mut Extra, piece: &Extra) {
    for (key, value) in piece {
        match into.get_mut(key) {
            Some(existing) => merge_value(existing, value),
            None => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

fn merge_value(into: &mut Value, piece: &Value) {
    match (into, piece) {
        (_, Value::Null) => {}
        (Value::String(a), Value::String(b)) => a.push_str(b),
        (Value::Object(a), Value::Object(b)) => merge_fields(a, b),
        (into, piece) => *into = piece.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Extra {
        match v {
            Value::Object(m) => m,
            _ => Extra::new(),
        }
    }

    #[test]
    fn merge_concatenates_strings_merges_objects_and_ignores_null() {
        let mut into = map(
            json!({"reasoning": "a", "function_call": {"name": "f", "arguments": "{"}, "n": 1}),
        );
        merge_fields(
            &mut into,
            &map(
                json!({"reasoning": "b", "function_call": {"arguments": "}"}, "n": 2, "new": null}),
            ),
        );
        merge_fields(&mut into, &map(json!({"reasoning": null})));
        assert_eq!(
            Value::Object(into),
            json!({"reasoning": "ab", "function_call": {"name": "f", "arguments": "{}"}, "n": 2, "new": null})
        );
    }
}
