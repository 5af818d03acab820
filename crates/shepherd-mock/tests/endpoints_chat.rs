//! Chat completions over HTTP: JSON, determinism, streaming, tool calls, n > 1, errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use shepherd_mock::MockServer;

#[tokio::test]
async fn json_answer_names_its_question_and_counts_tokens() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let reply = post_json(
        &client,
        &server,
        "/v1/chat/completions",
        &chat_body("Recommend product 42 to me"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "application/json");
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4.1");
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("echo: Recommend product 42 to me #"),
        "{content}"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let usage = &body["usage"];
    // "You are terse.\nRecommend product 42 to me" is 41 characters: 11 tokens.
    assert_eq!(usage["prompt_tokens"], 11);
    assert_eq!(
        usage["completion_tokens"].as_u64().unwrap(),
        content.len().div_ceil(4) as u64
    );
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn same_question_same_answer_across_servers() {
    let a = MockServer::start().await.unwrap();
    let b = MockServer::start().await.unwrap();
    let client = client();
    let body = chat_body("What is the capital of France?");
    let first = post_json(&client, &a, "/v1/chat/completions", &body)
        .await
        .json();
    let second = post_json(&client, &b, "/v1/chat/completions", &body)
        .await
        .json();
    assert_eq!(first, second);
    let other = post_json(
        &client,
        &a,
        "/v1/chat/completions",
        &chat_body("What is the capital of Spain?"),
    )
    .await
    .json();
    assert_ne!(
        first["choices"][0]["message"]["content"],
        other["choices"][0]["message"]["content"]
    );
    assert_ne!(first["id"], other["id"]);
}

#[tokio::test]
async fn stream_carries_the_same_text_usage_and_done() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let plain = post_json(
        &client,
        &server,
        "/v1/chat/completions",
        &chat_body("Stream me a story"),
    )
    .await
    .json();
    let mut body = chat_body("Stream me a story");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let reply = post_json(&client, &server, "/v1/chat/completions", &body).await;
    assert_eq!(reply.header("content-type"), "text/event-stream");
    let events = sse(&reply.body);
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert!(chunks.len() > 4, "several chunks");
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(
        text,
        plain["choices"][0]["message"]["content"].as_str().unwrap()
    );
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"], plain["usage"]);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null())
    );
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn stream_without_include_usage_has_no_usage_field() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body("hello");
    body["stream"] = json!(true);
    let reply = post_json(&client(), &server, "/v1/chat/completions", &body).await;
    let events = sse(&reply.body);
    for (_, data) in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(data).unwrap();
        assert!(chunk.get("usage").is_none());
    }
}

fn tool_request(stream: bool) -> Value {
    json!({
        "model": "gpt-4.1",
        "stream": stream,
        "messages": [{"role": "user", "content": "Weather in Paris for 3 days?"}],
        "tools": [{"type": "function", "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {
                "city": {"type": "string"}, "days": {"type": "integer"}}}}}],
    })
}

#[tokio::test]
async fn tools_produce_a_call_streamed_in_fragments() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let plain = post_json(
        &client,
        &server,
        "/v1/chat/completions",
        &tool_request(false),
    )
    .await
    .json();
    let choice = &plain["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert!(choice["message"]["content"].is_null());
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args["city"], "Weather in Paris for 3 days?");
    assert!(args["days"].is_u64());

    let reply = post_json(
        &client,
        &server,
        "/v1/chat/completions",
        &tool_request(true),
    )
    .await;
    let events = sse(&reply.body);
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    let fragments: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .filter(|f| !f.is_empty())
        .collect();
    assert!(fragments.len() > 2, "arguments arrive in several fragments");
    assert_eq!(
        fragments.concat(),
        call["function"]["arguments"].as_str().unwrap()
    );
    assert_eq!(
        chunks[0]["choices"][0]["delta"]["tool_calls"][0]["id"],
        call["id"]
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );

    let mut after_tool = tool_request(false);
    after_tool["messages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "tool", "tool_call_id": "x", "content": "sunny"}));
    let answer = post_json(&client, &server, "/v1/chat/completions", &after_tool)
        .await
        .json();
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn n_choices_and_max_tokens() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let mut body = chat_body("Give me three options please");
    body["n"] = json!(3);
    let reply = post_json(&client, &server, "/v1/chat/completions", &body)
        .await
        .json();
    let choices = reply["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 3);
    let contents: std::collections::BTreeSet<&str> = choices
        .iter()
        .map(|c| c["message"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents.len(), 3, "choices differ");
    for (i, c) in choices.iter().enumerate() {
        assert_eq!(c["index"], i);
    }

    body["stream"] = json!(true);
    let events = sse(&post_json(&client, &server, "/v1/chat/completions", &body)
        .await
        .body);
    let finishes = events
        .iter()
        .filter(|(_, d)| d != "[DONE]")
        .map(|(_, d)| serde_json::from_str::<Value>(d).unwrap())
        .filter(|c| !c["choices"][0]["finish_reason"].is_null())
        .count();
    assert_eq!(finishes, 3);

    let mut short = chat_body("Please write a very long essay about the sea");
    short["max_tokens"] = json!(3);
    let reply = post_json(&client, &server, "/v1/chat/completions", &short)
        .await
        .json();
    assert_eq!(reply["choices"][0]["finish_reason"], "length");
    assert_eq!(reply["usage"]["completion_tokens"], 3);
}

#[tokio::test]
async fn bad_requests_get_openai_errors() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let reply = post_json(
        &client,
        &server,
        "/v1/chat/completions",
        &json!({"model": "gpt-4.1"}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "messages");
    let reply = send(
        &client,
        request(
            &server,
            http::Method::POST,
            "/v1/chat/completions",
            None,
            "application/json",
            "{not json",
        ),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
    let reply = post_json(&client, &server, "/v1/nothing", &json!({})).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json()["error"]["message"],
        "Invalid URL (POST /v1/nothing)"
    );
}
