//! Accounting under concurrency: nothing lost, nothing answered twice, and the HTTP view
//! equals the Rust view.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use http::Method;
use serde_json::json;
use shepherd_mock::{MockServer, Stats, body_hash, redact_key};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_all_counted_once() {
    let server = Arc::new(MockServer::start().await.unwrap());
    let client = client();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let server = server.clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("sk-key-{:08}", i % 3);
            let body = if i % 2 == 0 {
                json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": format!("question {i}")}]})
            } else {
                json!({"model": "text-embedding-3-small", "input": format!("text {i}")})
            };
            let path = if i % 2 == 0 { "/v1/chat/completions" } else { "/v1/embeddings" };
            let reply = send(&client, request(&server, Method::POST, path, Some(&key), "application/json", body.to_string())).await;
            assert_eq!(reply.status, 200);
            body.to_string()
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        bodies.push(t.await.unwrap());
    }
    let stats = server.stats();
    assert_eq!(stats.requests, 300);
    assert_eq!(stats.by_path.get("/v1/chat/completions"), Some(&150));
    assert_eq!(stats.by_path.get("/v1/embeddings"), Some(&150));
    assert_eq!(stats.by_status.get(&200), Some(&300));
    assert_eq!(stats.by_key.len(), 3);
    assert_eq!(stats.by_key.get(&redact_key("sk-key-00000001")), Some(&100));
    assert_eq!(stats.answered.len(), 300, "every body answered");
    assert!(stats.answered_more_than_once().is_empty(), "none twice");
    for body in &bodies {
        assert_eq!(stats.answered_count(body.as_bytes()), 1);
    }

    let again = post_json(
        &client,
        &server,
        "/v1/embeddings",
        &serde_json::from_str(&bodies[1]).unwrap(),
    )
    .await;
    assert_eq!(again.status, 200);
    let stats = server.stats();
    assert_eq!(
        stats.answered_more_than_once(),
        vec![body_hash(bodies[1].as_bytes()).as_str()]
    );

    for _ in 0..3 {
        get(&client, &server, "/v1/models").await;
    }
    assert_eq!(
        server.stats().answered_more_than_once().len(),
        1,
        "polls are not answers"
    );
    let stats = server.stats();

    let over_http: Stats = get(&client, &server, "/_mock/stats")
        .await
        .json()
        .pipe(serde_json::from_value)
        .unwrap();
    assert_eq!(over_http, stats, "control requests are not counted");
    assert_eq!(
        send(
            &client,
            request(
                &server,
                Method::POST,
                "/_mock/reset",
                None,
                "application/json",
                ""
            )
        )
        .await
        .status,
        200
    );
    assert_eq!(server.stats(), Stats::default());
}

#[tokio::test]
async fn failed_deliveries_are_not_successes() {
    let server = MockServer::builder()
        .fault("reset-body@1".parse().unwrap())
        .fault("503@2".parse().unwrap())
        .start()
        .await
        .unwrap();
    let client = fresh_client();
    let body = chat_body("retry me");
    for _ in 0..3 {
        let _ = partial(
            &client,
            request(
                &server,
                Method::POST,
                "/v1/chat/completions",
                None,
                "application/json",
                body.to_string(),
            ),
        )
        .await;
    }
    let stats = server.stats();
    assert_eq!(stats.requests, 3);
    assert_eq!(
        stats.answered_count(body.to_string().as_bytes()),
        1,
        "only the third attempt counts"
    );
    assert_eq!(stats.by_status.get(&200), Some(&2));
    assert_eq!(stats.by_status.get(&503), Some(&1));
    assert_eq!(stats.by_key.get("<none>"), Some(&3));
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}
