//! Embeddings, audio, models and Anthropic messages over HTTP.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::*;
use http::Method;
use serde_json::{Value, json};
use shepherd_mock::MockServer;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[tokio::test]
async fn embeddings_are_deterministic_unit_vectors() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let body = json!({"model": "text-embedding-3-small", "input": ["hello world", "goodbye", "hello world"]});
    let reply = post_json(&client, &server, "/v1/embeddings", &body)
        .await
        .json();
    let data = reply["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    let a = floats(&data[0]["embedding"]);
    assert_eq!(a.len(), 1536);
    let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    assert_eq!(a, floats(&data[2]["embedding"]), "same text, same vector");
    assert_ne!(a, floats(&data[1]["embedding"]));
    assert_eq!(data[1]["index"], 1);
    // "hello world" 3 + "goodbye" 2 + "hello world" 3 tokens.
    assert_eq!(reply["usage"]["prompt_tokens"], 8);

    let large = post_json(
        &client,
        &server,
        "/v1/embeddings",
        &json!({"model": "text-embedding-3-large", "input": "x"}),
    )
    .await
    .json();
    assert_eq!(
        large["data"][0]["embedding"].as_array().unwrap().len(),
        3072
    );
}

#[tokio::test]
async fn embeddings_base64_and_dimensions() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let plain = post_json(
        &client,
        &server,
        "/v1/embeddings",
        &json!({"model": "text-embedding-3-small", "input": "abc", "dimensions": 256}),
    )
    .await
    .json();
    let float = floats(&plain["data"][0]["embedding"]);
    assert_eq!(float.len(), 256);
    let encoded = post_json(&client, &server, "/v1/embeddings", &json!({"model": "text-embedding-3-small", "input": "abc", "dimensions": 256, "encoding_format": "base64"})).await.json();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(decoded, float);
    let bad = post_json(
        &client,
        &server,
        "/v1/embeddings",
        &json!({"model": "text-embedding-3-small", "input": "abc", "dimensions": 0}),
    )
    .await;
    assert_eq!(bad.status, 400);
}

fn wav(seconds: f64) -> Vec<u8> {
    let data_len = (seconds * 16_000.0) as u32 * 2;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [16_000u32, 32_000] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [2u16, 16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(out.len() + data_len as usize, 7);
    out
}

async fn transcribe(client: &HttpClient, server: &MockServer, audio: &[u8], format: &str) -> Reply {
    let body = multipart(
        "b0undary",
        &[
            ("model", None, b"whisper-1"),
            ("response_format", None, format.as_bytes()),
            ("file", Some("clip.wav"), audio),
        ],
    );
    send(
        client,
        request(
            server,
            Method::POST,
            "/v1/audio/transcriptions",
            None,
            "multipart/form-data; boundary=b0undary",
            body,
        ),
    )
    .await
}

#[tokio::test]
async fn transcriptions_follow_the_uploaded_bytes() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let clip = wav(4.0);
    let json_reply = transcribe(&client, &server, &clip, "json").await.json();
    let text = json_reply["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("transcript of {} bytes #", clip.len())),
        "{text}"
    );
    assert_eq!(json_reply["usage"]["seconds"], 4);
    assert_eq!(
        transcribe(&client, &server, &clip, "json").await.json(),
        json_reply,
        "deterministic"
    );
    let other = transcribe(&client, &server, &wav(2.0), "json").await.json();
    assert_ne!(other["text"], json_reply["text"]);

    let plain = transcribe(&client, &server, &clip, "text").await;
    assert_eq!(plain.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(plain.text().trim_end(), text);

    let verbose = transcribe(&client, &server, &clip, "verbose_json")
        .await
        .json();
    assert_eq!(verbose["duration"], 4.0);
    assert_eq!(verbose["text"], text);
    let segments = verbose["segments"].as_array().unwrap();
    assert!(!segments.is_empty());
    assert_eq!(segments.last().unwrap()["end"], 4.0);

    let no_file = send(
        &client,
        request(
            &server,
            Method::POST,
            "/v1/audio/transcriptions",
            None,
            "multipart/form-data; boundary=b0undary",
            multipart("b0undary", &[("model", None, b"whisper-1")]),
        ),
    )
    .await;
    assert_eq!(no_file.status, 400);
}

#[tokio::test]
async fn speech_is_a_wav_whose_length_follows_the_input() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let speak = |input: &str| json!({"model": "tts-1", "voice": "alloy", "input": input, "response_format": "wav"});
    let short = post_json(
        &client,
        &server,
        "/v1/audio/speech",
        &speak("Hello there, fifteen"),
    )
    .await;
    let long = post_json(
        &client,
        &server,
        "/v1/audio/speech",
        &speak(&"Hello there, fifteen".repeat(3)),
    )
    .await;
    assert_eq!(short.header("content-type"), "audio/wav");
    assert_eq!(&short.body[..4], b"RIFF");
    assert_eq!(&short.body[8..16], b"WAVEfmt ");
    let data_len = |b: &[u8]| u32::from_le_bytes(b[40..44].try_into().unwrap()) as usize;
    assert_eq!(data_len(&short.body), short.body.len() - 44);
    let rate = u32::from_le_bytes(short.body[28..32].try_into().unwrap()) as f64;
    let seconds = data_len(&short.body) as f64 / rate;
    assert!((seconds - 20.0 / 15.0).abs() < 0.01, "{seconds}");
    assert!((data_len(&long.body) as f64 / data_len(&short.body) as f64 - 3.0).abs() < 0.01);
    let missing = post_json(
        &client,
        &server,
        "/v1/audio/speech",
        &json!({"model": "tts-1", "input": "x"}),
    )
    .await;
    assert_eq!(missing.status, 400);
}

#[tokio::test]
async fn models_list_and_retrieve() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let list = get(&client, &server, "/v1/models").await.json();
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"gpt-4.1"));
    assert_eq!(
        get(&client, &server, "/v1/models/gpt-4.1").await.json()["object"],
        "model"
    );
    let missing = get(&client, &server, "/v1/models/gpt-9").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "model_not_found");
}

#[tokio::test]
async fn anthropic_messages_json_and_event_sequence() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let mut body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Name a colour"}]}],
    });
    let reply = post_json(&client, &server, "/v1/messages", &body)
        .await
        .json();
    assert_eq!(reply["type"], "message");
    assert_eq!(reply["role"], "assistant");
    let text = reply["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("echo: Name a colour #"));
    assert_eq!(reply["stop_reason"], "end_turn");
    assert_eq!(reply["usage"]["input_tokens"], 6);

    body["stream"] = json!(true);
    let stream = post_json(&client, &server, "/v1/messages", &body).await;
    let events = sse(&stream.body);
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_deref().unwrap()).collect();
    assert_eq!(names[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(
        names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert!(
        names[3..names.len() - 3]
            .iter()
            .all(|n| *n == "content_block_delta")
    );
    let streamed: String = events
        .iter()
        .filter(|(e, _)| e.as_deref() == Some("content_block_delta"))
        .map(|(_, d)| {
            serde_json::from_str::<Value>(d).unwrap()["delta"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(streamed, text);
    let delta: Value = serde_json::from_str(&events[events.len() - 2].1).unwrap();
    assert_eq!(
        delta["usage"]["output_tokens"],
        reply["usage"]["output_tokens"]
    );

    let bad = post_json(
        &client,
        &server,
        "/v1/messages",
        &json!({"model": "claude-sonnet-4-5", "messages": []}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["type"], "error");
}

#[tokio::test]
async fn anthropic_tool_use() {
    let server = MockServer::start().await.unwrap();
    let body = json!({
        "model": "claude-sonnet-4-5", "max_tokens": 100,
        "messages": [{"role": "user", "content": "Weather in Rome?"}],
        "tools": [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    });
    let reply = post_json(&client(), &server, "/v1/messages", &body)
        .await
        .json();
    assert_eq!(reply["stop_reason"], "tool_use");
    assert_eq!(reply["content"][0]["type"], "tool_use");
    assert_eq!(reply["content"][0]["input"]["city"], "Weather in Rome?");
}
