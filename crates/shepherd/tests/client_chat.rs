//! The client against shepherd-mock over loopback: chat, streaming, retries, errors mid-stream.
#![allow(clippy::unwrap_used)]

use futures_util::StreamExt;
use shepherd::Client;
use shepherd::transport::ApiKey;
use shepherd::types::chat::{ChatRequest, FunctionDef, Tool};
use shepherd_mock::{Fault, FaultKind, MockServer};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new("sk-test-client-0000").unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn chat_answer_belongs_to_its_question() {
    let server = MockServer::builder()
        .rpm(1000)
        .tpm(1_000_000)
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let reply = client
        .chat(ChatRequest::new("gpt-4.1").user("Empfehle Produkt 42"))
        .await
        .unwrap();
    assert!(
        reply.text().starts_with("echo: Empfehle Produkt 42 #"),
        "{}",
        reply.text()
    );
    let meta = reply.meta();
    assert_eq!(meta.attempts, 1);
    assert_eq!(meta.status, 200);
    assert!(meta.request_id.is_some());
    assert!(meta.cost_usd.unwrap() > 0.0, "gpt-4.1 is priced");
    assert!(
        !meta.rate_limits.is_empty(),
        "the mock sends x-ratelimit-* headers"
    );
    assert!(client.costs().snapshot().spent_usd > 0.0);
}

#[tokio::test]
async fn a_503_is_retried_and_answered_once() {
    let server = MockServer::builder()
        .fault(Fault::on_request(
            FaultKind::ServerError {
                status: 503,
                html: true,
            },
            1,
        ))
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let reply = client
        .chat(ChatRequest::new("gpt-4.1").user("retry me"))
        .await
        .unwrap();
    assert_eq!(reply.meta().attempts, 2);
    let stats = server.stats();
    assert_eq!(stats.by_status.get(&503), Some(&1));
    assert!(stats.answered_more_than_once().is_empty());
    assert_eq!(client.retry_metrics().retried, 1);
}

#[tokio::test]
async fn a_400_is_not_retried_and_keeps_the_server_message() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    // No messages at all: the mock rejects it as an invalid request.
    let err = client.chat(ChatRequest::new("gpt-4.1")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
    assert!(!err.is_retryable());
    assert!(!err.api_error().unwrap().message.is_empty());
    assert_eq!(server.stats().requests, 1);
}

fn weather_tool() -> Tool {
    Tool::function(
        FunctionDef::new("get_weather").parameters(serde_json::json!({
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"]
        })),
    )
}

#[tokio::test]
async fn stream_delivers_chunks_and_accumulates_the_same_response() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let request = ChatRequest::new("gpt-4.1")
        .user("Wie wird das Wetter in Berlin?")
        .tool(weather_tool());
    let full = client.chat(request.clone()).await.unwrap().into_inner();

    let mut stream = client.chat_stream(request).await.unwrap();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
        chunks += 1;
    }
    assert!(chunks > 2, "arguments arrive in fragments");
    let streamed = stream.response();
    assert_eq!(streamed.tool_calls(), full.tool_calls());
    assert_eq!(streamed.tool_calls().len(), 1);
    let usage = stream.usage().expect("include_usage is set by the client");
    assert_eq!(
        usage.total_tokens,
        full.usage.as_ref().unwrap().total_tokens
    );
    assert!(
        stream.meta().unwrap().cost_usd.is_some(),
        "cost settled at the end"
    );
}

#[tokio::test]
async fn an_error_event_mid_stream_is_an_error_item() {
    let server = MockServer::builder()
        .fault(Fault::on_request(FaultKind::SseErrorEvent, 1))
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let request = ChatRequest::new("gpt-4.1")
        .user("a question long enough that its answer streams in several chunks, please");
    let mut stream = client.chat_stream(request).await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    let last = items.pop().unwrap();
    let err = last.unwrap_err();
    assert!(matches!(err, shepherd::Error::StreamEvent(_)), "{err}");
    assert!(
        items.iter().all(Result::is_ok),
        "chunks before the error are delivered"
    );
    assert!(!items.is_empty());
}

#[tokio::test]
async fn a_failure_before_the_first_chunk_is_retried() {
    let server = MockServer::builder()
        .fault(Fault::on_request(FaultKind::ResetBeforeHeaders, 1))
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let stream = client
        .chat_stream(ChatRequest::new("gpt-4.1").user("hi"))
        .await
        .unwrap();
    assert_eq!(stream.meta().unwrap().attempts, 2);
    let response = stream.collect_response().await.unwrap();
    assert!(response.text().starts_with("echo: hi"));
}

#[tokio::test]
async fn json_answered_to_a_stream_request_is_a_clear_error() {
    let server = MockServer::builder()
        .fault(Fault::on_request(FaultKind::JsonForStream, 1))
        .start()
        .await
        .unwrap();
    let client = client(&server).with_max_retries(0);
    let err = client
        .chat_stream(ChatRequest::new("gpt-4.1").user("hi"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("event-stream") || err.to_string().contains("application/json"),
        "{err}"
    );
}
