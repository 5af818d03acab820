//! Chat completion requests converted into Anthropic Messages requests.
#![cfg(feature = "anthropic")]

use serde_json::json;
use shepherd_types::anthropic::{DEFAULT_MAX_TOKENS, MessagesRequest};
use shepherd_types::chat::{
    AssistantMessage, ChatRequest, ContentPart, FunctionDef, Message, ResponseFormat, Tool,
    ToolCall, ToolChoice,
};

fn body(req: &ChatRequest) -> serde_json::Value {
    let converted = MessagesRequest::from_chat(req).expect("convertible");
    serde_json::to_value(&converted).expect("serialize")
}

fn weather_tool() -> Tool {
    Tool::function(
        FunctionDef::new("get_weather")
            .description("Current weather")
            .parameters(json!({"type": "object", "properties": {"city": {"type": "string"}}})),
    )
}

#[test]
fn plain_conversation() {
    let req = ChatRequest::new("claude-sonnet-4-5")
        .system("Du bist ein Verkaufsberater.")
        .developer("Antworte kurz.")
        .user("Empfehle Produkt 42")
        .temperature(0.2)
        .stop("END")
        .user_id("user-7");
    assert_eq!(
        body(&req),
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": DEFAULT_MAX_TOKENS,
            "system": [{"type": "text", "text": "Du bist ein Verkaufsberater."},
                       {"type": "text", "text": "Antworte kurz."}],
            "messages": [{"role": "user", "content": "Empfehle Produkt 42"}],
            "temperature": 0.2,
            "stop_sequences": ["END"],
            "metadata": {"user_id": "user-7"}
        })
    );
}

#[test]
fn max_completion_tokens_wins_over_max_tokens() {
    let req = ChatRequest::new("m")
        .user("x")
        .max_tokens(100)
        .max_completion_tokens(200);
    assert_eq!(body(&req)["max_tokens"], 200);
    let req = ChatRequest::new("m").user("x").max_tokens(100);
    assert_eq!(body(&req)["max_tokens"], 100);
}

#[test]
fn tool_round_trip_conversation() {
    let req = ChatRequest::new("claude-sonnet-4-5")
        .user("Wetter in Berlin und die Uhrzeit?")
        .message(Message::Assistant(AssistantMessage {
            content: Some("".into()),
            tool_calls: Some(vec![
                ToolCall::function("call_1", "get_weather", r#"{"city":"Berlin"}"#),
                ToolCall::function("call_2", "get_time", ""),
            ]),
            ..AssistantMessage::default()
        }))
        .tool_result("call_1", "12 °C")
        .tool_result("call_2", "14:00")
        .user("Danke!")
        .tool(weather_tool())
        .tool_choice(ToolChoice::required())
        .parallel_tool_calls(false)
        .stream(true);
    let b = body(&req);
    assert_eq!(
        b["messages"],
        json!([
            {"role": "user", "content": "Wetter in Berlin und die Uhrzeit?"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Berlin"}},
                {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "12 °C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "14:00"},
                {"type": "text", "text": "Danke!"}
            ]}
        ])
    );
    assert_eq!(
        b["tools"],
        json!([{"name": "get_weather", "description": "Current weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}])
    );
    assert_eq!(
        b["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(b["stream"], true);
}

#[test]
fn tool_choice_modes() {
    let choice = |c: ToolChoice| {
        body(
            &ChatRequest::new("m")
                .user("x")
                .tool(weather_tool())
                .tool_choice(c),
        )["tool_choice"]
            .clone()
    };
    assert_eq!(choice(ToolChoice::auto()), json!({"type": "auto"}));
    assert_eq!(choice(ToolChoice::none()), json!({"type": "none"}));
    assert_eq!(
        choice(ToolChoice::function("get_weather")),
        json!({"type": "tool", "name": "get_weather"})
    );
}

#[test]
fn function_without_parameters_gets_an_empty_object_schema() {
    let b = body(
        &ChatRequest::new("m")
            .user("x")
            .tool(Tool::function(FunctionDef::new("ping"))),
    );
    assert_eq!(
        b["tools"][0]["input_schema"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn images_become_image_blocks() {
    let req = ChatRequest::new("m").user(vec![
        ContentPart::text("Was ist das?"),
        ContentPart::image_url("https://example.com/cat.png"),
        ContentPart::image_url("data:image/png;base64,iVBORw0KGgo="),
    ]);
    assert_eq!(
        body(&req)["messages"][0]["content"],
        json!([
            {"type": "text", "text": "Was ist das?"},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
        ])
    );
}

#[test]
fn extra_fields_pass_through_into_typed_slots() {
    let req = ChatRequest::new("m")
        .user("x")
        .param("top_k", 5)
        .param(
            "thinking",
            json!({"type": "enabled", "budget_tokens": 2048}),
        )
        .param("service_tier", "standard_only");
    let converted = MessagesRequest::from_chat(&req).expect("convertible");
    assert_eq!(converted.top_k, Some(5));
    assert_eq!(
        converted.thinking.as_ref().and_then(|t| t.budget_tokens),
        Some(2048)
    );
    assert_eq!(converted.extra["service_tier"], "standard_only");
}

#[test]
fn what_anthropic_cannot_express_is_an_error() {
    let err = |req: ChatRequest| {
        MessagesRequest::from_chat(&req)
            .expect_err("not convertible")
            .to_string()
    };
    assert!(err(ChatRequest::new("m").user("x").n(2)).contains("n > 1"));
    assert!(err(ChatRequest::new("m").user("x").logprobs(true)).contains("logprobs"));
    assert!(
        err(ChatRequest::new("m")
            .user("x")
            .response_format(ResponseFormat::JsonObject))
        .contains("response_format")
    );
    assert!(
        err(ChatRequest::new("m").user(vec![ContentPart::input_audio("AAAA", "wav")]))
            .contains("input_audio")
    );
    assert!(err(ChatRequest::new("m").user(vec![ContentPart::file_id("file-1")])).contains("file"));
    let bad_args = ChatRequest::new("m").message(Message::Assistant(AssistantMessage {
        tool_calls: Some(vec![ToolCall::function("c", "f", "{not json")]),
        ..AssistantMessage::default()
    }));
    assert!(err(bad_args).contains("not JSON"));
    let odd_role: Message = serde_json::from_value(json!({"role": "critic", "content": "meh"}))
        .expect("any role parses");
    assert!(err(ChatRequest::new("m").message(odd_role)).contains("critic"));
    // n = 1 is fine.
    assert!(MessagesRequest::from_chat(&ChatRequest::new("m").user("x").n(1)).is_ok());
}

#[test]
fn try_from_is_the_same_conversion() {
    let req = ChatRequest::new("m").user("x");
    let a = MessagesRequest::try_from(&req).expect("convertible");
    assert_eq!(Some(a), MessagesRequest::from_chat(&req).ok());
}
