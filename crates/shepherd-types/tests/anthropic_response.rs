//! Anthropic Messages responses converted into chat completion responses.
#![cfg(feature = "anthropic")]

use serde_json::json;
use shepherd_types::anthropic::{MessagesResponse, REASONING_CONTENT, StopReason};
use shepherd_types::chat::{ChatResponse, FinishReason, ToolType};
use shepherd_types::pricing::{CACHE_WRITE_TOKENS, PriceTable};

fn message(
    content: serde_json::Value,
    stop_reason: &str,
    usage: serde_json::Value,
) -> MessagesResponse {
    serde_json::from_value(json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage
    }))
    .expect("valid message")
}

#[test]
fn text_answer() {
    let m = message(
        json!([{"type": "text", "text": "Produkt 42 "}, {"type": "text", "text": "passt gut."}]),
        "end_turn",
        json!({"input_tokens": 21, "output_tokens": 7}),
    );
    let chat = ChatResponse::from(m);
    assert_eq!(chat.id, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_eq!(chat.object, "chat.completion");
    assert_eq!(chat.model, "claude-sonnet-4-5-20250929");
    assert_eq!(chat.choices.len(), 1);
    assert_eq!(chat.text(), "Produkt 42 passt gut.");
    assert_eq!(chat.finish_reason(), Some(&FinishReason::Stop));
    assert!(chat.tool_calls().is_empty());
    let usage = chat.usage.as_ref().expect("usage");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (21, 7, 28)
    );
    assert!(
        usage.prompt_tokens_details.is_none(),
        "no cache fields, no details"
    );
    // The converted response serializes as a valid chat completion.
    let v = serde_json::to_value(&chat).expect("serialize");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert!(v["choices"][0]["message"].get("tool_calls").is_none());
}

#[test]
fn tool_use_becomes_tool_calls_with_json_string_arguments() {
    let m = message(
        json!([
            {"type": "text", "text": "Ich sehe nach."},
            {"type": "tool_use", "id": "toolu_01A", "name": "get_weather",
             "input": {"city": "Berlin", "unit": "celsius"}},
            {"type": "tool_use", "id": "toolu_01B", "name": "get_time", "input": {}}
        ]),
        "tool_use",
        json!({"input_tokens": 300, "output_tokens": 60}),
    );
    let chat = m.into_chat_response();
    assert_eq!(chat.finish_reason(), Some(&FinishReason::ToolCalls));
    assert_eq!(chat.text(), "Ich sehe nach.");
    let calls = chat.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "toolu_01A");
    assert_eq!(calls[0].kind, ToolType::Function);
    assert_eq!(calls[0].function.name, "get_weather");
    let args: serde_json::Value = calls[0]
        .function
        .parse_arguments()
        .expect("arguments are JSON");
    assert_eq!(args, json!({"city": "Berlin", "unit": "celsius"}));
    assert_eq!(calls[1].function.arguments, "{}");
}

#[test]
fn only_tool_calls_means_null_content() {
    let m = message(
        json!([{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}]),
        "tool_use",
        json!({"input_tokens": 1, "output_tokens": 1}),
    );
    let chat = m.into_chat_response();
    assert_eq!(chat.choices[0].message.content, None);
}

#[test]
fn cache_tokens_add_to_prompt_tokens_and_price_correctly() {
    let m = message(
        json!([{"type": "text", "text": "ok"}]),
        "end_turn",
        json!({"input_tokens": 100, "cache_creation_input_tokens": 1000,
               "cache_read_input_tokens": 10000, "output_tokens": 50,
               "service_tier": "standard"}),
    );
    let usage = m.into_chat_response().usage.expect("usage");
    assert_eq!(usage.prompt_tokens, 11_100);
    assert_eq!(usage.cached_tokens(), 10_000);
    assert_eq!(usage.total_tokens, 11_150);
    let details = usage.prompt_tokens_details.as_ref().expect("details");
    assert_eq!(details.extra[CACHE_WRITE_TOKENS], 1000);
    assert_eq!(
        usage.extra["service_tier"], "standard",
        "unknown usage fields are kept"
    );

    let cost = PriceTable::shipped()
        .cost(&usage, "claude-sonnet-4-5-20250929")
        .expect("sonnet 4.5 is priced");
    // $3 input, $3.75 cache write, $0.30 cache read, $15 output per 1M.
    let expected = (100.0 * 3.0 + 1000.0 * 3.75 + 10_000.0 * 0.3 + 50.0 * 15.0) / 1e6;
    assert!((cost.total_usd() - expected).abs() < 1e-12, "{cost:?}");
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    let cases = [
        ("end_turn", FinishReason::Stop),
        ("stop_sequence", FinishReason::Stop),
        ("max_tokens", FinishReason::Length),
        ("model_context_window_exceeded", FinishReason::Length),
        ("tool_use", FinishReason::ToolCalls),
        ("refusal", FinishReason::ContentFilter),
        ("pause_turn", FinishReason::Other("pause_turn".into())),
        (
            "brand_new_reason",
            FinishReason::Other("brand_new_reason".into()),
        ),
    ];
    for (wire, expected) in cases {
        let reason: StopReason = serde_json::from_value(json!(wire)).expect("any string parses");
        assert_eq!(reason.to_finish_reason(), expected, "{wire}");
    }
}

#[test]
fn thinking_goes_to_reasoning_content_and_unknown_blocks_are_skipped() {
    let m = message(
        json!([
            {"type": "thinking", "thinking": "Der Nutzer will ", "signature": "EqQB"},
            {"type": "thinking", "thinking": "eine Empfehlung.", "signature": "EqQC"},
            {"type": "redacted_thinking", "data": "xyz"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
            {"type": "text", "text": "Nimm Produkt 42."}
        ]),
        "end_turn",
        json!({"input_tokens": 5, "output_tokens": 5}),
    );
    let chat = m.into_chat_response();
    assert_eq!(chat.text(), "Nimm Produkt 42.");
    assert_eq!(
        chat.choices[0].message.extra[REASONING_CONTENT],
        "Der Nutzer will eine Empfehlung."
    );
    assert!(
        chat.tool_calls().is_empty(),
        "server tools are not client tool calls"
    );
}

#[test]
fn message_round_trips_unknown_blocks_and_fields() {
    let v = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "a", "citations": [{"type": "char_location", "cited_text": "x"}]},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1, "server_tool_use": {"web_search_requests": 1}},
        "container": {"id": "c1"}
    });
    let m: MessagesResponse = serde_json::from_value(v.clone()).expect("parse");
    assert_eq!(serde_json::to_value(&m).expect("serialize"), v);
}

#[test]
fn converted_response_survives_the_chat_wire() {
    let m = message(
        json!([
            {"type": "thinking", "thinking": "kurz", "signature": "s"},
            {"type": "text", "text": "ok"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": [1, 2]}}
        ]),
        "tool_use",
        json!({"input_tokens": 3, "cache_creation_input_tokens": 4, "output_tokens": 5}),
    );
    let chat = m.into_chat_response();
    let text = serde_json::to_string(&chat).expect("serialize");
    assert!(!text.contains("null"), "unset fields are omitted: {text}");
    let back: ChatResponse = serde_json::from_str(&text).expect("parses as a chat completion");
    assert_eq!(back, chat);
}
