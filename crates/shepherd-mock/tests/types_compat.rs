//! Every answer the mock gives parses into the `shepherd-types` wire types, and the
//! streaming answers accumulate to the non-streaming ones.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::Method;
use serde_json::{Value, json};
use shepherd_mock::MockServer;
use shepherd_types::anthropic::{ErrorResponse, MessagesResponse, StreamEvent};
use shepherd_types::audio::Transcription;
use shepherd_types::batch::{Batch, BatchList, BatchOutputLine};
use shepherd_types::chat::{ChatChunk, ChatResponse, StreamAccumulator};
use shepherd_types::embeddings::EmbeddingResponse;
use shepherd_types::error::ErrorEnvelope;
use shepherd_types::files::FileObject;
use shepherd_types::models::ModelList;

fn typed<T: serde::de::DeserializeOwned>(reply: &Reply) -> T {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| {
        panic!(
            "{} does not parse: {e}: {}",
            std::any::type_name::<T>(),
            reply.text()
        )
    })
}

fn accumulate(body: &[u8]) -> ChatResponse {
    let mut acc = StreamAccumulator::new();
    for (_, data) in sse(body) {
        if data != "[DONE]" {
            let chunk: ChatChunk = serde_json::from_str(&data).unwrap();
            acc.push(&chunk);
        }
    }
    acc.finish()
}

#[tokio::test]
async fn chat_answers_and_streams_are_typed_alike() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let mut body = chat_body("Typed answers please");
    let plain: ChatResponse =
        typed(&post_json(&client, &server, "/v1/chat/completions", &body).await);
    assert!(plain.text().starts_with("echo: Typed answers please #"));
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let streamed = accumulate(
        &post_json(&client, &server, "/v1/chat/completions", &body)
            .await
            .body,
    );
    assert_eq!(streamed.text(), plain.text());
    assert_eq!(streamed.finish_reason(), plain.finish_reason());
    assert_eq!(streamed.usage, plain.usage);

    let tools = json!({
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": "Weather?"}],
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    });
    let plain: ChatResponse =
        typed(&post_json(&client, &server, "/v1/chat/completions", &tools).await);
    let mut streaming = tools.clone();
    streaming["stream"] = json!(true);
    let streamed = accumulate(
        &post_json(&client, &server, "/v1/chat/completions", &streaming)
            .await
            .body,
    );
    assert_eq!(plain.tool_calls().len(), 1);
    assert_eq!(streamed.tool_calls(), plain.tool_calls());
}

#[tokio::test]
async fn other_openai_answers_are_typed() {
    let server = MockServer::builder().rpm(600).start().await.unwrap();
    let client = client();
    let float: EmbeddingResponse = typed(
        &post_json(
            &client,
            &server,
            "/v1/embeddings",
            &json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8}),
        )
        .await,
    );
    let b64: EmbeddingResponse = typed(&post_json(&client, &server, "/v1/embeddings", &json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8, "encoding_format": "base64"})).await);
    assert_eq!(float.into_vectors(), b64.into_vectors());

    let models: ModelList = typed(&get(&client, &server, "/v1/models").await);
    assert!(!models.data.is_empty());

    for format in ["json", "verbose_json"] {
        let body = multipart(
            "bb",
            &[
                ("model", None, b"whisper-1"),
                ("response_format", None, format.as_bytes()),
                ("file", Some("a.mp3"), &[1u8; 32_000]),
            ],
        );
        let reply = send(
            &client,
            request(
                &server,
                Method::POST,
                "/v1/audio/transcriptions",
                None,
                "multipart/form-data; boundary=bb",
                body,
            ),
        )
        .await;
        let t: Transcription = typed(&reply);
        assert!(t.text.starts_with("transcript of 32000 bytes"));
    }

    let errors = [
        post_json(&client, &server, "/v1/chat/completions", &json!({})).await,
        post_json(&client, &server, "/v1/none", &json!({})).await,
    ];
    for reply in &errors {
        let _: ErrorEnvelope = typed(reply);
    }
}

#[tokio::test(start_paused = true)]
async fn files_and_batches_are_typed() {
    let server = MockServer::builder()
        .batch_step(std::time::Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = client();
    let input = [
        json!({"custom_id": "ok", "method": "POST", "url": "/v1/chat/completions", "body": chat_body("hi")}).to_string(),
        json!({"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4.1"}}).to_string(),
    ]
    .join("\n");
    let body = multipart(
        "bb",
        &[
            ("purpose", None, b"batch"),
            ("file", Some("in.jsonl"), input.as_bytes()),
        ],
    );
    let file: FileObject = typed(
        &send(
            &client,
            request(
                &server,
                Method::POST,
                "/v1/files",
                None,
                "multipart/form-data; boundary=bb",
                body,
            ),
        )
        .await,
    );
    let create = json!({"input_file_id": file.id, "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let batch: Batch = typed(&post_json(&client, &server, "/v1/batches", &create).await);
    tokio::time::advance(std::time::Duration::from_secs(3)).await;
    let done: Batch = typed(&get(&client, &server, &format!("/v1/batches/{}", batch.id)).await);
    let list: BatchList = typed(&get(&client, &server, "/v1/batches").await);
    assert_eq!(list.data.len(), 1);
    let output = get(
        &client,
        &server,
        &format!("/v1/files/{}/content", done.output_file_id.clone().unwrap()),
    )
    .await
    .text();
    let errors = get(
        &client,
        &server,
        &format!("/v1/files/{}/content", done.error_file_id.clone().unwrap()),
    )
    .await
    .text();
    for line in output.lines().chain(errors.lines()) {
        let parsed: BatchOutputLine =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(!parsed.custom_id.is_empty());
    }
}

#[tokio::test]
async fn anthropic_answers_are_typed() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let mut body = json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}]});
    let _: MessagesResponse = typed(&post_json(&client, &server, "/v1/messages", &body).await);
    body["stream"] = json!(true);
    let stream = post_json(&client, &server, "/v1/messages", &body).await;
    for (_, data) in sse(&stream.body) {
        let _: StreamEvent = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{e}: {data}"));
    }
    let error = post_json(&client, &server, "/v1/messages", &json!({"model": "x"})).await;
    let _: ErrorResponse = typed(&error);
    let _: Value = error.json();
}
