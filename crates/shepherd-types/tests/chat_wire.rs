//! Chat wire format: unknown fields and enum values round-trip, unset fields stay out.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shepherd_types::chat::{
    ChatChunk, ChatRequest, ChatResponse, Content, ContentPart, FinishReason, FunctionDef,
    ImageDetail, Message, ReasoningEffort, ResponseFormat, Role, ServiceTier, Stop, Tool, ToolCall,
    ToolChoice, ToolChoiceMode, ToolType,
};

/// Parses `value` as `T` and checks that it serializes back to the same JSON.
fn round_trip<T: Serialize + DeserializeOwned>(value: Value) -> T {
    let parsed: T = serde_json::from_value(value.clone()).expect("parses");
    let back = serde_json::to_value(&parsed).expect("serializes");
    assert_eq!(back, value, "round trip changed the JSON");
    parsed
}

fn contains_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(contains_null),
        Value::Object(o) => o.values().any(contains_null),
        _ => false,
    }
}

#[test]
fn unknown_enum_values_parse_as_other_and_round_trip() {
    let response: ChatResponse = round_trip(json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "service_tier": "on_demand",
        "choices": [
            {"index": 0, "finish_reason": "", "message": {"role": "assistant", "content": "a"}},
            {"index": 1, "finish_reason": "eos_token", "message": {"role": "critic", "content": "b"}},
            {"index": 2, "finish_reason": "content_filter", "message": {"role": "assistant", "content": "c"}}
        ]
    }));
    assert_eq!(
        response.service_tier,
        Some(ServiceTier::Other("on_demand".into()))
    );
    assert_eq!(
        response.choices[0].finish_reason,
        Some(FinishReason::Other(String::new()))
    );
    assert_eq!(
        response.choices[1].finish_reason,
        Some(FinishReason::Other("eos_token".into()))
    );
    assert_eq!(
        response.choices[1].message.role,
        Role::Other("critic".into())
    );
    assert_eq!(
        response.choices[2].finish_reason,
        Some(FinishReason::ContentFilter)
    );
}

#[test]
fn known_service_tiers_parse() {
    for (wire, tier) in [
        ("auto", ServiceTier::Auto),
        ("default", ServiceTier::Default),
        ("flex", ServiceTier::Flex),
        ("scale", ServiceTier::Scale),
        ("priority", ServiceTier::Priority),
    ] {
        let parsed: ServiceTier = serde_json::from_value(json!(wire)).expect("parses");
        assert_eq!(parsed, tier);
        assert_eq!(parsed.to_string(), wire);
    }
}

#[test]
fn unknown_fields_round_trip_at_every_level() {
    let response: ChatResponse = round_trip(json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "x_groq": {"id": "req_1"},
        "choices": [{
            "index": 0, "finish_reason": "tool_calls", "stop_reason": 128009,
            "message": {
                "role": "assistant", "content": null, "reasoning_content": "hmm",
                "annotations": [{"type": "url_citation", "url_citation": {"url": "https://a", "title": "A", "start_index": 0, "end_index": 1}}],
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}", "thought": "x"}, "trace": 1}]
            },
            "logprobs": {"content": [{"token": "a", "logprob": -1.5, "bytes": [97], "top_logprobs": [], "entropy": 0.1}], "refusal": null}
        }],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "queue_time": 0.5,
                  "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}}
    }).as_object().map(|o| {
        // `content: null` and `refusal: null` are left out on the way back; drop them here.
        let mut v = Value::Object(o.clone());
        strip_nulls(&mut v);
        v
    }).expect("object"));
    assert_eq!(response.extra["x_groq"]["id"], "req_1");
    assert_eq!(response.choices[0].extra["stop_reason"], 128009);
    assert_eq!(response.tool_calls()[0].extra["trace"], 1);
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, v| !v.is_null());
            o.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[test]
fn unknown_role_and_content_part_round_trip_whole() {
    let request: ChatRequest = round_trip(json!({
        "model": "m",
        "messages": [
            {"role": "critic", "content": "too long", "score": 3},
            {"role": "user", "content": [
                {"type": "text", "text": "look"},
                {"type": "video_url", "video_url": {"url": "https://v"}},
                {"type": "image_url", "image_url": {"url": "https://i", "detail": "ultra"}}
            ]},
            {"role": "function", "name": "f", "content": "{}"}
        ],
        "top_k": 40
    }));
    match &request.messages[0] {
        Message::Other(m) => assert_eq!(m["score"], 3),
        other => panic!("expected Other, got {other:?}"),
    }
    assert_eq!(request.messages[0].role(), "critic");
    assert_eq!(request.messages[2].role(), "function");
    let Some(Content::Parts(parts)) = request.messages[1].content() else {
        panic!("expected parts");
    };
    assert_eq!(parts[1].kind(), "video_url");
    assert!(matches!(&parts[1], ContentPart::Other(m) if m["video_url"]["url"] == "https://v"));
    match &parts[2] {
        ContentPart::ImageUrl(p) => {
            assert_eq!(p.image_url.detail, Some(ImageDetail::Other("ultra".into())))
        }
        other => panic!("expected image, got {other:?}"),
    }
    assert_eq!(request.extra["top_k"], 40);
}

#[test]
fn every_role_and_part_round_trips() {
    let request: ChatRequest = round_trip(json!({
        "model": "gpt-4o-audio-preview",
        "messages": [
            {"role": "system", "content": "sys", "name": "s"},
            {"role": "developer", "content": [{"type": "text", "text": "dev"}]},
            {"role": "user", "content": [
                {"type": "text", "text": "hi", "prompt_cache_breakpoint": {"mode": "explicit"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"file_id": "file-1"}},
                {"type": "file", "file": {"filename": "a.pdf", "file_data": "JVBERi0="}}
            ]},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
            {"role": "assistant", "audio": {"id": "audio_1"}},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"}
        ]
    }));
    let roles: Vec<&str> = request.messages.iter().map(Message::role).collect();
    assert_eq!(
        roles,
        [
            "system",
            "developer",
            "user",
            "assistant",
            "assistant",
            "assistant",
            "tool"
        ]
    );
}

#[test]
fn request_builder_omits_unset_fields_and_never_sends_null() {
    let minimal = serde_json::to_value(ChatRequest::new("m").user("hi")).expect("serializes");
    assert_eq!(
        minimal,
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    );

    let full = ChatRequest::new("gpt-4.1")
        .system("s")
        .developer("d")
        .user(vec![
            ContentPart::text("t"),
            ContentPart::image_url("https://i"),
        ])
        .assistant("a")
        .tool_result("call_1", "r")
        .temperature(0.5)
        .top_p(0.9)
        .n(2)
        .stream(true)
        .include_usage(true)
        .stop(["END", "STOP"])
        .max_tokens(100)
        .max_completion_tokens(200)
        .presence_penalty(0.5)
        .frequency_penalty(-0.5)
        .logit_bias(50256, -100)
        .top_logprobs(3)
        .seed(7)
        .response_format(ResponseFormat::JsonObject)
        .tool(Tool::function(
            FunctionDef::new("f").description("does f").strict(true),
        ))
        .tool_choice(ToolChoice::function("f"))
        .parallel_tool_calls(false)
        .reasoning_effort(ReasoningEffort::Low)
        .service_tier(ServiceTier::Flex)
        .store(false)
        .metadata("job", "42")
        .user_id("user-1")
        .param("top_k", 40);
    assert!(full.is_stream());
    let body = serde_json::to_value(&full).expect("serializes");
    assert!(!contains_null(&body), "no nulls: {body}");
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        body["messages"][4],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "r"})
    );
    assert_eq!(body["stop"], json!(["END", "STOP"]));
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["logit_bias"], json!({"50256": -100}));
    assert_eq!(body["logprobs"], true);
    assert_eq!(body["top_logprobs"], 3);
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    assert_eq!(
        body["tool_choice"],
        json!({"type": "function", "function": {"name": "f"}})
    );
    assert_eq!(
        body["tools"][0],
        json!({"type": "function", "function": {"name": "f", "description": "does f", "strict": true}})
    );
    assert_eq!(body["reasoning_effort"], "low");
    assert_eq!(body["service_tier"], "flex");
    assert_eq!(body["metadata"], json!({"job": "42"}));
    assert_eq!(body["user"], "user-1");
    assert_eq!(body["top_k"], 40);
    // And the body parses back into an equal request.
    let back: ChatRequest = serde_json::from_value(body).expect("parses back");
    assert_eq!(back, full);

    // Turning streaming off drops the stream options servers would reject.
    let off = full.stream(false);
    assert!(off.stream_options.is_none());
}

#[test]
fn tool_choice_forms() {
    assert_eq!(
        serde_json::to_value(ToolChoice::auto()).expect("ser"),
        json!("auto")
    );
    assert_eq!(
        serde_json::to_value(ToolChoice::none()).expect("ser"),
        json!("none")
    );
    assert_eq!(
        serde_json::to_value(ToolChoice::required()).expect("ser"),
        json!("required")
    );
    let t: ToolChoice = round_trip(json!("any"));
    assert_eq!(t, ToolChoice::Mode(ToolChoiceMode::Other("any".into())));
    let t: ToolChoice = round_trip(
        json!({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}),
    );
    assert!(matches!(t, ToolChoice::Other(_)));
    let t: ToolChoice = round_trip(json!({"type": "function", "function": {"name": "f"}}));
    assert_eq!(t, ToolChoice::function("f"));
    assert!(serde_json::from_value::<ToolChoice>(json!(3)).is_err());
}

#[test]
fn response_format_forms() {
    assert_eq!(
        round_trip::<ResponseFormat>(json!({"type": "text"})),
        ResponseFormat::Text
    );
    assert_eq!(
        round_trip::<ResponseFormat>(json!({"type": "json_object"})),
        ResponseFormat::JsonObject
    );
    let schema = round_trip::<ResponseFormat>(json!({"type": "json_schema", "json_schema": {
        "name": "a", "description": "d", "schema": {"type": "object"}, "strict": true}}));
    assert!(
        matches!(schema, ResponseFormat::JsonSchema(ref s) if s.name == "a" && s.strict == Some(true))
    );
    // Extra fields or unknown types are kept whole.
    assert!(matches!(
        round_trip::<ResponseFormat>(json!({"type": "text", "x": 1})),
        ResponseFormat::Other(_)
    ));
    assert!(matches!(
        round_trip::<ResponseFormat>(json!({"type": "grammar", "grammar": "g"})),
        ResponseFormat::Other(_)
    ));
    assert!(matches!(
        round_trip::<ResponseFormat>(json!({"type": "json_schema", "json_schema": {"schema": {}}})),
        ResponseFormat::Other(_)
    ));
}

#[test]
fn stop_forms() {
    assert_eq!(round_trip::<Stop>(json!("\n")), Stop::One("\n".into()));
    assert_eq!(
        round_trip::<Stop>(json!(["a", "b"])),
        Stop::Many(vec!["a".into(), "b".into()])
    );
}

#[test]
fn custom_tool_calls_round_trip_without_a_function() {
    let call: ToolCall = round_trip(
        json!({"id": "c", "type": "custom", "custom": {"name": "grep", "input": "foo"}}),
    );
    assert_eq!(call.kind, ToolType::Custom);
    assert!(call.function.is_empty());
    let tool: Tool = round_trip(json!({"type": "custom", "custom": {"name": "grep"}}));
    assert_eq!(tool.kind, ToolType::Custom);
}

#[test]
fn reply_continues_the_conversation() {
    let reply: ChatResponse = serde_json::from_value(json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "refusal": null, "annotations": [],
            "audio": {"id": "audio_1", "data": "AAAA", "expires_at": 1, "transcript": "t"},
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
        }}]
    }))
    .expect("parses");
    let message = Message::from(reply.choices[0].message.clone());
    assert_eq!(
        serde_json::to_value(&message).expect("serializes"),
        json!({"role": "assistant", "audio": {"id": "audio_1"},
               "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]})
    );
}

#[test]
fn chunk_round_trips_and_tolerates_missing_fields() {
    let chunk: ChatChunk = round_trip(json!({
        "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
        ]}}],
        "obfuscation": "xyz"
    }));
    assert_eq!(chunk.text(), "");
    // A bare chunk from a minimal server: no id, no object, no delta.
    let bare: ChatChunk =
        serde_json::from_value(json!({"choices": [{"finish_reason": "stop"}]})).expect("parses");
    assert_eq!(bare.finish_reason(), Some(&FinishReason::Stop));
    assert_eq!(bare.object, "chat.completion.chunk");
}

#[test]
fn invalid_payloads_are_errors_not_panics() {
    assert!(serde_json::from_str::<ChatResponse>(r#"{"choices": 5}"#).is_err());
    assert!(
        serde_json::from_str::<ChatRequest>(
            r#"{"model": "m", "messages": [{"content": "no role"}]}"#
        )
        .is_err()
    );
    assert!(
        serde_json::from_str::<ChatRequest>(r#"{"model": "m", "messages": [{"role": "user"}]}"#)
            .is_err()
    );
    assert!(
        serde_json::from_str::<ChatRequest>(
            r#"{"model": "m", "messages": [{"role": "user", "content": [{"text": "no type"}]}]}"#
        )
        .is_err()
    );
    assert!(serde_json::from_str::<ChatChunk>("not json").is_err());
}

#[test]
fn content_as_parts_and_unencoded_arguments_are_accepted() {
    // Mistral-style content parts in a response and a delta.
    let r: ChatResponse = serde_json::from_value(json!({
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
            {"type": "text", "text": "Hello"},
            {"type": "text", "text": " there"}
        ]}}]
    }))
    .expect("parts content parses");
    assert_eq!(r.text(), "Hello there");
    let c: ChatChunk = serde_json::from_value(
        json!({"choices": [{"index": 0, "delta": {"content": [{"type": "text", "text": "Hi"}]}}]}),
    )
    .expect("parts delta parses");
    assert_eq!(c.text(), "Hi");

    // Arguments sent as a JSON object instead of a string.
    let call: ToolCall = serde_json::from_value(
        json!({"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}),
    )
    .expect("object arguments parse");
    assert_eq!(call.function.arguments, r#"{"a":1}"#);
    let c: ChatChunk =
        serde_json::from_value(json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": {"b": [2]}}}
        ]}}]}))
        .expect("object argument fragment parses");
    let args = c.choices[0]
        .delta
        .tool_calls
        .as_ref()
        .and_then(|t| t[0].function.as_ref())
        .and_then(|f| f.arguments.as_deref());
    assert_eq!(args, Some(r#"{"b":[2]}"#));

    // Content of the wrong type is still an error.
    assert!(
        serde_json::from_value::<ChatResponse>(json!({"choices": [{"message": {"content": 5}}]}))
            .is_err()
    );
}

#[test]
fn defaults_carry_the_object_names() {
    assert_eq!(ChatResponse::default().object, "chat.completion");
    assert_eq!(ChatChunk::default().object, "chat.completion.chunk");
}

#[test]
fn null_where_a_value_belongs_reads_as_absent() {
    let chunk: ChatChunk = serde_json::from_value(json!({
        "id": null, "object": "chat.completion.chunk", "created": null, "model": null,
        "choices": [{"index": null, "delta": null, "finish_reason": "stop", "logprobs": null}],
        "usage": null, "service_tier": null, "system_fingerprint": null
    }))
    .expect("nulls parse");
    assert_eq!(chunk.id, "");
    assert_eq!(chunk.choices[0].index, 0);
    assert_eq!(chunk.finish_reason(), Some(&FinishReason::Stop));
    let response: ChatResponse = serde_json::from_value(json!({
        "id": null, "created": null, "model": null,
        "choices": [{"index": null, "finish_reason": null, "message": {"role": "assistant", "content": "x",
            "tool_calls": [{"id": null, "type": "function", "function": {"name": null, "arguments": null}}]}}]
    }))
    .expect("nulls parse");
    assert_eq!(response.text(), "x");
    assert_eq!(response.tool_calls()[0].function.arguments, "");
}
