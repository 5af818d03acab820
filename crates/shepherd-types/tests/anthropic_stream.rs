//! Anthropic stream events converted into chat completion chunks.
#![cfg(feature = "anthropic")]

use serde_json::json;
use shepherd_types::anthropic::{ChunkConverter, MessagesResponse, REASONING_CONTENT, StreamEvent};
use shepherd_types::chat::{ChatChunk, ChatResponse, FinishReason, Role, StreamAccumulator};

fn events(values: Vec<serde_json::Value>) -> Vec<StreamEvent> {
    values
        .into_iter()
        .map(|v| serde_json::from_value(v).expect("valid event"))
        .collect()
}

fn convert(events: &[StreamEvent]) -> Vec<ChatChunk> {
    let mut converter = ChunkConverter::new().created(1_700_000_000);
    let mut out = Vec::new();
    for e in events {
        out.extend(converter.push(e).expect("no error event"));
    }
    assert!(converter.is_done(), "stream ended with message_stop");
    out
}

fn accumulate(chunks: &[ChatChunk]) -> ChatResponse {
    let mut acc = StreamAccumulator::new();
    acc.extend(chunks);
    acc.finish()
}

fn start(input_tokens: u32) -> serde_json::Value {
    json!({"type": "message_start", "message": {
        "id": "msg_stream", "type": "message", "role": "assistant", "content": [],
        "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": input_tokens, "cache_read_input_tokens": 40, "output_tokens": 1}}})
}

/// Text, then two tool calls whose input arrives as fragments, interleaved with pings.
fn tool_stream() -> Vec<StreamEvent> {
    events(vec![
        start(10),
        json!({"type": "ping"}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Ich sehe "}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "nach."}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block":
            {"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Ber"}}),
        json!({"type": "ping"}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "lin\"}"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "content_block_start", "index": 2, "content_block":
            {"type": "tool_use", "id": "toolu_B", "name": "get_time", "input": {}}}),
        json!({"type": "content_block_stop", "index": 2}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"output_tokens": 89}}),
        json!({"type": "message_stop"}),
    ])
}

#[test]
fn streamed_input_json_delta_becomes_argument_fragments() {
    let chunks = convert(&tool_stream());
    assert!(
        chunks
            .iter()
            .all(|c| c.id == "msg_stream" && c.created == 1_700_000_000)
    );
    assert!(chunks.iter().all(|c| c.model == "claude-sonnet-4-5"));

    let first = &chunks[0];
    assert_eq!(first.choices[0].delta.role, Some(Role::Assistant));

    let tool_deltas: Vec<_> = chunks
        .iter()
        .flat_map(|c| c.choices.iter())
        .flat_map(|c| c.delta.tool_calls.iter().flatten())
        .collect();
    // Opening deltas carry id and name, and are numbered by tool, not by block.
    assert_eq!(tool_deltas[0].index, 0);
    assert_eq!(tool_deltas[0].id.as_deref(), Some("toolu_A"));
    let fragments: Vec<&str> = tool_deltas
        .iter()
        .filter(|d| d.index == 0 && d.id.is_none())
        .filter_map(|d| d.function.as_ref()?.arguments.as_deref())
        .collect();
    assert_eq!(fragments, ["", "{\"city\": \"Ber", "lin\"}"]);
    let b: Vec<_> = tool_deltas.iter().filter(|d| d.index == 1).collect();
    assert_eq!(b[0].id.as_deref(), Some("toolu_B"));

    let finish: Vec<_> = chunks.iter().filter_map(ChatChunk::finish_reason).collect();
    assert_eq!(finish, [&FinishReason::ToolCalls]);
    let last = chunks.last().expect("chunks");
    assert!(last.is_usage_only());
}

#[test]
fn accumulated_stream_equals_the_converted_message() {
    let chat = accumulate(&convert(&tool_stream()));
    assert_eq!(chat.text(), "Ich sehe nach.");
    let calls = chat.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].function.name, "get_weather");
    assert_eq!(calls[0].function.arguments, "{\"city\": \"Berlin\"}");
    assert_eq!(calls[1].id, "toolu_B");
    assert_eq!(
        calls[1].function.arguments, "{}",
        "a tool without input gets valid JSON"
    );
    assert_eq!(chat.finish_reason(), Some(&FinishReason::ToolCalls));
    let usage = chat.usage.as_ref().expect("usage");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (50, 89));
    assert_eq!(usage.cached_tokens(), 40);

    // The same message, non-streamed, converts to the same response.
    let whole: MessagesResponse = serde_json::from_value(json!({
        "id": "msg_stream", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Ich sehe nach."},
            {"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {"city": "Berlin"}},
            {"type": "tool_use", "id": "toolu_B", "name": "get_time", "input": {}}
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 40, "output_tokens": 89}
    }))
    .expect("message");
    let mut direct = whole.into_chat_response();
    direct.created = 1_700_000_000;
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).expect("JSON arguments");
    for (a, b) in chat.tool_calls().iter().zip(direct.tool_calls()) {
        assert_eq!(a.id, b.id);
        assert_eq!(parse(&a.function.arguments), parse(&b.function.arguments));
    }
    assert_eq!(chat.text(), direct.text());
    assert_eq!(chat.usage, direct.usage);
    assert_eq!(chat.finish_reason(), direct.finish_reason());
}

#[test]
fn thinking_deltas_stream_as_reasoning_content() {
    let chunks = convert(&events(vec![
        start(3),
        json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm, "}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "42."}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQB"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "42"}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "citations_delta", "citation": {}}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 9}}),
        json!({"type": "message_stop"}),
    ]));
    let chat = accumulate(&chunks);
    assert_eq!(chat.text(), "42");
    assert_eq!(chat.choices[0].message.extra[REASONING_CONTENT], "Hmm, 42.");
    assert_eq!(chat.finish_reason(), Some(&FinishReason::Length));
}

#[test]
fn error_event_is_returned_as_an_error() {
    let mut converter = ChunkConverter::new();
    let evs = events(vec![
        start(3),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ]);
    assert_eq!(converter.push(&evs[0]).expect("start").len(), 1);
    let err = converter.push(&evs[1]).expect_err("error event");
    assert!(err.kind.is_overloaded());
    assert_eq!(err.to_string(), "overloaded_error: Overloaded");
}

#[test]
fn usage_chunk_can_be_switched_off_and_unknown_events_yield_nothing() {
    let mut converter = ChunkConverter::new().include_usage(false);
    let evs = events(vec![
        start(3),
        json!({"type": "brand_new_event", "data": 1}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 2, "input_tokens": 7}}),
    ]);
    converter.push(&evs[0]).expect("start");
    assert!(converter.push(&evs[1]).expect("unknown event").is_empty());
    let out = converter.push(&evs[2]).expect("delta");
    assert_eq!(out.len(), 1, "finish chunk only");
    assert_eq!(out[0].finish_reason(), Some(&FinishReason::Stop));
    // Newer servers repeat input counts in message_delta; they win.
    assert_eq!(converter.usage().prompt_tokens, 7 + 40);
}

#[test]
fn tool_input_sent_up_front_is_not_lost() {
    let chat = accumulate(&convert(&events(vec![
        start(1),
        json!({"type": "content_block_start", "index": 0, "content_block":
            {"type": "tool_use", "id": "toolu_X", "name": "f", "input": {"q": "x"}}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4}}),
        json!({"type": "message_stop"}),
    ])));
    assert_eq!(chat.tool_calls()[0].function.arguments, r#"{"q":"x"}"#);
}

#[test]
fn every_converted_chunk_survives_the_chat_wire() {
    for chunk in convert(&tool_stream()) {
        let text = serde_json::to_string(&chunk).expect("serialize");
        assert!(!text.contains("null"), "unset fields are omitted: {text}");
        let back: ChatChunk = serde_json::from_str(&text).expect("parses as a chunk");
        assert_eq!(back, chunk);
    }
}
