//! Request bodies we serialize validate against the spec's request schemas.
//!
//! The schemas, with every component they reference, come from
//! `tests/data/request_schemas.json` (extracted from the spec by
//! `tests/data/extract.py`; `spec_examples.rs` checks it is current).

use serde::Serialize;
use serde_json::{Value, json};
use shepherd_types::chat::{
    ChatRequest, ContentPart, FunctionDef, Message, ReasoningEffort, ResponseFormat, ServiceTier,
    Tool, ToolCall, ToolChoice,
};
use shepherd_types::{audio, batch, embeddings};

const SCHEMAS: &str = include_str!("data/request_schemas.json");
const EXAMPLES: &str = include_str!("data/spec_examples.json");

/// A validator for the component `name`, with `$ref`s resolved in the extract.
fn validator(name: &str) -> jsonschema::Validator {
    let file: Value = serde_json::from_str(SCHEMAS).expect("request_schemas.json is JSON");
    assert!(
        file["components"]["schemas"].get(name).is_some(),
        "{name} is not in the extract"
    );
    let root = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": file["components"],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {name} compiles: {e}"))
}

fn errors(v: &jsonschema::Validator, body: &Value) -> Vec<String> {
    v.iter_errors(body)
        .map(|e| format!("at {}: {e}", e.instance_path))
        .collect()
}

fn assert_valid(v: &jsonschema::Validator, what: &str, request: &impl Serialize) {
    let body = serde_json::to_value(request).expect("request serializes");
    let errs = errors(v, &body);
    assert!(
        errs.is_empty(),
        "{what} is invalid:\n{}\nbody: {body:#}",
        errs.join("\n")
    );
}

fn chat_requests() -> Vec<(&'static str, ChatRequest)> {
    let weather = FunctionDef::new("get_weather")
        .description("Current weather for a city")
        .parameters(json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": false
        }))
        .strict(true);
    vec![
        ("minimal", ChatRequest::new("gpt-4.1").user("Hello!")),
        (
            "every role",
            ChatRequest::new("gpt-4.1")
                .system("s")
                .developer("d")
                .user("u")
                .message(Message::Assistant(shepherd_types::chat::AssistantMessage {
                    tool_calls: Some(vec![ToolCall::function("call_1", "get_weather", r#"{"city":"Paris"}"#)]),
                    ..Default::default()
                }))
                .tool_result("call_1", "sunny")
                .assistant("It is sunny."),
        ),
        (
            "content parts",
            ChatRequest::new("gpt-4o").user(vec![
                ContentPart::text("What is in these?"),
                ContentPart::image_url("https://example.com/a.png"),
                ContentPart::input_audio("UklGRgAAAABXQVZF", "wav"),
                ContentPart::file_id("file-abc123"),
            ]),
        ),
        (
            "every sampling parameter",
            ChatRequest::new("gpt-4.1")
                .user("u")
                .temperature(0.7)
                .top_p(0.9)
                .n(2)
                .stop(["\n\n", "END"])
                .max_tokens(100)
                .max_completion_tokens(200)
                .presence_penalty(0.5)
                .frequency_penalty(-0.5)
                .logit_bias(50256, -100)
                .top_logprobs(5)
                .seed(42)
                .service_tier(ServiceTier::Flex)
                .reasoning_effort(ReasoningEffort::Low)
                .store(false)
                .metadata("job", "nightly")
                .user_id("user-1234"),
        ),
        ("single stop", ChatRequest::new("gpt-4.1").user("u").stop("END")),
        (
            "streaming with usage",
            ChatRequest::new("gpt-4.1").user("u").stream(true).include_usage(true),
        ),
        (
            "tools, auto",
            ChatRequest::new("gpt-4.1")
                .user("Weather in Paris?")
                .tool(Tool::function(weather.clone()))
                .tool_choice(ToolChoice::auto())
                .parallel_tool_calls(true),
        ),
        (
            "tools, forced function",
            ChatRequest::new("gpt-4.1")
                .user("Weather in Paris?")
                .tool(Tool::function(weather))
                .tool_choice(ToolChoice::function("get_weather")),
        ),
        (
            "tool_choice none and required",
            ChatRequest::new("gpt-4.1")
                .user("u")
                .tool(Tool::function(FunctionDef::new("noop")))
                .tool_choice(ToolChoice::required()),
        ),
        ("json_object", ChatRequest::new("gpt-4.1").user("u").response_format(ResponseFormat::JsonObject)),
        ("text format", ChatRequest::new("gpt-4.1").user("u").response_format(ResponseFormat::Text)),
        (
            "json_schema",
            ChatRequest::new("gpt-4.1").user("u").response_format(ResponseFormat::json_schema(
                "city",
                json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
            )),
        ),
    ]
}

#[test]
fn chat_requests_validate() {
    let v = validator("CreateChatCompletionRequest");
    for (what, request) in chat_requests() {
        assert_valid(&v, what, &request);
    }
}

#[test]
fn chat_validator_rejects_invalid_bodies() {
    // Guards against a validator that accepts everything.
    let v = validator("CreateChatCompletionRequest");
    for (what, body) in [
        ("no messages", json!({"model": "m"})),
        ("empty messages", json!({"model": "m", "messages": []})),
        (
            "temperature as a string",
            json!({"model": "m", "messages": [{"role": "user", "content": "u"}], "temperature": "hot"}),
        ),
        (
            "unknown role",
            json!({"model": "m", "messages": [{"role": "critic", "content": "u"}]}),
        ),
        (
            "n out of range",
            json!({"model": "m", "messages": [{"role": "user", "content": "u"}], "n": 0}),
        ),
        (
            "null message content",
            json!({"model": "m", "messages": [{"role": "user", "content": null}]}),
        ),
    ] {
        assert!(!errors(&v, &body).is_empty(), "{what} was accepted");
    }
}

#[test]
fn spec_request_examples_still_validate_after_our_round_trip() {
    let v = validator("CreateChatCompletionRequest");
    let file: Value = serde_json::from_str(EXAMPLES).expect("spec_examples.json is JSON");
    let mut n = 0;
    for e in file["examples"].as_array().expect("examples") {
        if e["schemas"] != json!(["CreateChatCompletionRequest"]) {
            continue;
        }
        for payload in e["payloads"].as_array().expect("payloads") {
            let request: ChatRequest =
                serde_json::from_str(payload.as_str().expect("text")).expect("spec request parses");
            assert_valid(&v, e["source"].as_str().unwrap_or("?"), &request);
            n += 1;
        }
    }
    assert!(n >= 5, "only {n} chat request examples");
}

#[test]
fn embedding_requests_validate() {
    let v = validator("CreateEmbeddingRequest");
    assert_valid(
        &v,
        "one string",
        &embeddings::EmbeddingRequest::new("text-embedding-3-small", "hello"),
    );
    assert_valid(
        &v,
        "many strings, dimensions, base64",
        &embeddings::EmbeddingRequest::new(
            "text-embedding-3-large",
            vec!["a".to_owned(), "b".to_owned()],
        )
        .dimensions(256)
        .encoding_format(embeddings::EncodingFormat::Base64),
    );
    assert_valid(
        &v,
        "token arrays",
        &embeddings::EmbeddingRequest::new(
            "text-embedding-3-small",
            embeddings::EmbeddingInput::TokenBatches(vec![vec![1, 2, 3], vec![4]]),
        ),
    );
}

#[test]
fn speech_requests_validate() {
    let v = validator("CreateSpeechRequest");
    assert_valid(
        &v,
        "default",
        &audio::SpeechRequest::new("tts-1", "Hello there.", "alloy"),
    );
    assert_valid(
        &v,
        "wav",
        &audio::SpeechRequest::new("gpt-4o-mini-tts", "Hello there.", "coral")
            .format(audio::SpeechFormat::Wav),
    );
}

#[test]
fn batch_requests_validate() {
    let v = validator("CreateBatchRequest");
    assert_valid(
        &v,
        "create batch",
        &batch::CreateBatchRequest::new("file-abc123", "/v1/chat/completions"),
    );
}
