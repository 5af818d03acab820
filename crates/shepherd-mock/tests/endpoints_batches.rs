//! Files and batches: upload, retrieve, content, batch lifecycle over (paused) time.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use http::Method;
use serde_json::{Value, json};
use shepherd_mock::MockServer;

async fn upload(
    client: &HttpClient,
    server: &MockServer,
    name: &str,
    purpose: &str,
    content: &[u8],
) -> Reply {
    let body = multipart(
        "XBOUNDX",
        &[
            ("purpose", None, purpose.as_bytes()),
            ("file", Some(name), content),
        ],
    );
    send(
        client,
        request(
            server,
            Method::POST,
            "/v1/files",
            None,
            "multipart/form-data; boundary=XBOUNDX",
            body,
        ),
    )
    .await
}

#[tokio::test]
async fn files_upload_retrieve_content_delete() {
    let server = MockServer::start().await.unwrap();
    let client = client();
    let file = upload(&client, &server, "notes.txt", "assistants", b"hello file")
        .await
        .json();
    let id = file["id"].as_str().unwrap();
    assert!(id.starts_with("file-"));
    assert_eq!(file["bytes"], 10);
    assert_eq!(file["filename"], "notes.txt");
    assert_eq!(
        get(&client, &server, &format!("/v1/files/{id}"))
            .await
            .json(),
        file
    );
    assert_eq!(
        &get(&client, &server, &format!("/v1/files/{id}/content"))
            .await
            .body[..],
        b"hello file"
    );
    assert_eq!(
        get(&client, &server, "/v1/files").await.json()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let deleted = send(
        &client,
        request(
            &server,
            Method::DELETE,
            &format!("/v1/files/{id}"),
            None,
            "application/json",
            "",
        ),
    )
    .await;
    assert_eq!(deleted.json()["deleted"], true);
    assert_eq!(
        get(&client, &server, &format!("/v1/files/{id}"))
            .await
            .status,
        404
    );
    let bad = upload(&client, &server, "in.jsonl", "batch", b"not json\n").await;
    assert_eq!(bad.status, 400);
}

fn line(custom_id: &str, url: &str, body: Value) -> String {
    json!({"custom_id": custom_id, "method": "POST", "url": url, "body": body}).to_string()
}

#[tokio::test(start_paused = true)]
async fn batch_advances_and_produces_output_and_error_files() {
    let server = MockServer::builder()
        .batch_step(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let client = client();
    let input = [
        line("r1", "/v1/chat/completions", chat_body("first question")),
        line("r2", "/v1/chat/completions", json!({"model": "gpt-4.1"})),
        line("r3", "/v1/chat/completions", chat_body("third question")),
        line(
            "r4",
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "x"}),
        ),
    ]
    .join("\n");
    let file = upload(&client, &server, "in.jsonl", "batch", input.as_bytes())
        .await
        .json();
    let create = json!({"input_file_id": file["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": {"job": "t"}});
    let batch = post_json(&client, &server, "/v1/batches", &create)
        .await
        .json();
    assert_eq!(batch["status"], "validating");
    assert_eq!(batch["request_counts"]["total"], 4);
    assert_eq!(batch["metadata"]["job"], "t");
    let id = batch["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/batches/{id}");

    let mut seen = Vec::new();
    for _ in 0..4 {
        let b = get(&client, &server, &path).await.json();
        seen.push(b["status"].as_str().unwrap().to_owned());
        tokio::time::advance(Duration::from_secs(10)).await;
    }
    assert_eq!(
        seen,
        ["validating", "in_progress", "finalizing", "completed"]
    );
    let done = get(&client, &server, &path).await.json();
    assert_eq!(
        done["request_counts"],
        json!({"total": 4, "completed": 2, "failed": 2})
    );

    let output = get(
        &client,
        &server,
        &format!(
            "/v1/files/{}/content",
            done["output_file_id"].as_str().unwrap()
        ),
    )
    .await
    .text();
    let lines: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["custom_id"], "r1");
    assert_eq!(lines[0]["response"]["status_code"], 200);
    let content = lines[0]["response"]["body"]["choices"][0]["message"]["content"]
        .as_str()
        .unwrap();
    assert!(content.starts_with("echo: first question #"));
    // The batch answer equals the online answer to the same body.
    let online = post_json(
        &client,
        &server,
        "/v1/chat/completions",
        &chat_body("first question"),
    )
    .await
    .json();
    assert_eq!(lines[0]["response"]["body"], online);

    let errors = get(
        &client,
        &server,
        &format!(
            "/v1/files/{}/content",
            done["error_file_id"].as_str().unwrap()
        ),
    )
    .await
    .text();
    let errors: Vec<Value> = errors
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = errors
        .iter()
        .map(|e| e["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["r2", "r4"]);
    assert_eq!(errors[0]["response"]["status_code"], 400);
    assert_eq!(errors[0]["response"]["body"]["error"]["param"], "messages");
}

#[tokio::test(start_paused = true)]
async fn cancel_and_list() {
    let server = MockServer::builder()
        .batch_step(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = client();
    let file = upload(
        &client,
        &server,
        "in.jsonl",
        "batch",
        line("a", "/v1/embeddings", json!({"model": "m", "input": "x"})).as_bytes(),
    )
    .await
    .json();
    let create = json!({"input_file_id": file["id"], "endpoint": "/v1/embeddings", "completion_window": "24h"});
    let first = post_json(&client, &server, "/v1/batches", &create)
        .await
        .json();
    let second = post_json(&client, &server, "/v1/batches", &create)
        .await
        .json();
    let cancel = post_json(
        &client,
        &server,
        &format!("/v1/batches/{}/cancel", first["id"].as_str().unwrap()),
        &json!({}),
    )
    .await
    .json();
    assert_eq!(cancel["status"], "cancelling");
    tokio::time::advance(Duration::from_secs(5)).await;
    let list = get(&client, &server, "/v1/batches?limit=1").await.json();
    assert_eq!(list["data"][0]["id"], second["id"], "newest first");
    assert_eq!(list["data"][0]["status"], "completed");
    assert_eq!(list["has_more"], true);
    let rest = get(
        &client,
        &server,
        &format!("/v1/batches?after={}", second["id"].as_str().unwrap()),
    )
    .await
    .json();
    assert_eq!(rest["data"][0]["status"], "cancelled");
    assert!(rest["data"][0]["output_file_id"].is_null());
    assert_eq!(rest["has_more"], false);
    let missing = post_json(&client, &server, "/v1/batches", &json!({"input_file_id": "file-nope", "endpoint": "/v1/embeddings", "completion_window": "24h"})).await;
    assert_eq!(missing.status, 404);
}
