//! The batch runner over a memory transport: url resolution, fallback models, a request larger than the tpm, budgets.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::{Value, json};
use shepherd::Client;
use shepherd::transport::{MemoryTransport, ResponseBody};

fn reply(status: u16, body: &str) -> http::Response<ResponseBody> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(ResponseBody::from(body.to_owned()))
        .unwrap()
}

fn completion(model: &str) -> String {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": format!("answer from {model}")}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
    .to_string()
}

fn line(id: &str, model: &str, max_tokens: u32) -> String {
    json!({
        "custom_id": id, "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": model, "max_tokens": max_tokens, "messages": [{"role": "user", "content": "Hallo"}]},
    })
    .to_string()
}

fn lines_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn urls_resolve_without_a_doubled_version_and_fallback_rewrites_the_model() {
    let transport = MemoryTransport::from_fn(|request| {
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        match body["model"].as_str().unwrap() {
            "gpt-4.1" => reply(
                400,
                r#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
            ),
            other => reply(200, &completion(other)),
        }
    });
    let client = Client::builder()
        .base_url("http://memory/v1")
        .build_with(transport.clone())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, errors) = (
        dir.path().join("in.jsonl"),
        dir.path().join("out.jsonl"),
        dir.path().join("err.jsonl"),
    );
    std::fs::write(
        &input,
        format!(
            "{}\n{}\n",
            line("a", "gpt-4.1", 10),
            line("b", "gpt-4.1-mini", 10)
        ),
    )
    .unwrap();
    let summary = client
        .batch_runner()
        .fallback_models(["gpt-4.1-mini"])
        .run_files(&input, &output, &errors)
        .await
        .unwrap();
    assert_eq!(
        (summary.succeeded, summary.failed, summary.fell_back),
        (2, 0, 1),
        "{summary}"
    );
    for request in transport.requests() {
        assert_eq!(request.uri.path(), "/v1/chat/completions");
    }
    let out = lines_of(&output);
    let a = out.iter().find(|v| v["custom_id"] == "a").unwrap();
    assert_eq!(a["response"]["body"]["model"], "gpt-4.1-mini");
    // The fallback changed only the model.
    let sent: Vec<Value> = transport
        .requests()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert!(
        sent.iter()
            .any(|b| b["model"] == "gpt-4.1-mini" && b["max_tokens"] == 10)
    );
    assert!(
        summary.cost_by_model.contains_key("gpt-4.1-mini"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_request_larger_than_the_tpm_fails_at_once_and_the_run_goes_on() {
    let transport = MemoryTransport::from_fn(|_| reply(200, &completion("gpt-4.1-mini")));
    let client = Client::builder()
        .base_url("http://memory/v1")
        .tpm(1_000)
        .build_with(transport.clone())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, errors) = (
        dir.path().join("in.jsonl"),
        dir.path().join("out.jsonl"),
        dir.path().join("err.jsonl"),
    );
    std::fs::write(
        &input,
        format!(
            "{}\n{}\n",
            line("huge", "gpt-4.1-mini", 50_000),
            line("small", "gpt-4.1-mini", 20)
        ),
    )
    .unwrap();
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        client.batch_runner().run_files(&input, &output, &errors),
    )
    .await
    .expect("the run does not stall")
    .unwrap();
    assert_eq!((summary.succeeded, summary.failed), (1, 1), "{summary}");
    let failed = lines_of(&errors);
    assert_eq!(failed[0]["custom_id"], "huge");
    assert_eq!(
        failed[0]["error"]["code"], "request_exceeds_tpm",
        "{}",
        failed[0]
    );
    assert_eq!(
        transport.requests().len(),
        1,
        "the oversized request was never sent"
    );
}

#[tokio::test]
async fn an_exhausted_budget_fails_lines_without_sending_them() {
    let transport = MemoryTransport::from_fn(|_| reply(200, &completion("gpt-4.1")));
    let client = Client::builder()
        .base_url("http://memory/v1")
        .budget_usd(0.000_001)
        .build_with(transport.clone())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, errors) = (
        dir.path().join("in.jsonl"),
        dir.path().join("out.jsonl"),
        dir.path().join("err.jsonl"),
    );
    std::fs::write(&input, format!("{}\n", line("pricey", "gpt-4.1", 4_000))).unwrap();
    let summary = client
        .batch_runner()
        .run_files(&input, &output, &errors)
        .await
        .unwrap();
    assert_eq!(summary.failed, 1);
    assert_eq!(lines_of(&errors)[0]["error"]["code"], "budget_exceeded");
    assert!(transport.requests().is_empty());
}
