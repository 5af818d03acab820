//! Every fault kind, observed from a plain hyper client.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use shepherd_mock::{MockServer, Outage};
use tokio::time::Instant;

async fn server_with(fault: &str) -> MockServer {
    MockServer::builder()
        .fault(fault.parse().unwrap())
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn server_errors_with_json_bodies() {
    for status in [500u16, 502, 503] {
        let server = server_with(&format!("{status}@1")).await;
        let client = client();
        let reply = send(&client, chat_request(&server, "q", false)).await;
        assert_eq!(reply.status.as_u16(), status);
        assert_eq!(reply.header("content-type"), "application/json");
        assert_eq!(reply.json()["error"]["type"], "server_error");
        let again = send(&client, chat_request(&server, "q", false)).await;
        assert_eq!(again.status, 200, "only request 1 is scheduled");
        assert_eq!(server.stats().faults.get(&status.to_string()), Some(&1));
    }
}

#[tokio::test]
async fn server_errors_with_html_bodies() {
    let server = server_with("502-html@1").await;
    let reply = send(&client(), chat_request(&server, "q", false)).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("content-type"), "text/html");
    assert!(reply.text().contains("<title>502 Bad Gateway</title>"));
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
}

#[tokio::test]
async fn rate_limit_bursts_refuse_consecutive_requests() {
    let server = server_with("429=3@2").await;
    let client = client();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let reply = send(&client, chat_request(&server, "q", false)).await;
        if reply.status == 429 {
            assert_eq!(reply.json()["error"]["code"], "rate_limit_exceeded");
            assert_eq!(reply.header("retry-after"), "1");
            assert_eq!(reply.header("retry-after-ms"), "1000");
        }
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [200, 429, 429, 429, 200]);
}

#[tokio::test]
async fn reset_before_headers() {
    let server = server_with("reset@1").await;
    let client = fresh_client();
    let error = try_send(&client, chat_request(&server, "q", false))
        .await
        .err()
        .expect("reset");
    assert!(error.starts_with("request:"), "{error}");
    let stats = server.stats();
    assert_eq!(stats.faults.get("reset"), Some(&1));
    assert!(stats.by_status.is_empty(), "no status was sent");
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn reset_mid_body() {
    let server = server_with("reset-body@1").await;
    let p = partial(&fresh_client(), chat_request(&server, "question", false))
        .await
        .unwrap();
    assert_eq!(p.status, 200);
    let promised: usize = p.headers["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(p.received.len() < promised);
    assert!(p.error.is_some(), "the body fails");
    assert_eq!(server.stats().successes(), 0);
}

#[tokio::test]
async fn reset_mid_stream() {
    let server = server_with("reset-stream@1").await;
    let p = partial(
        &fresh_client(),
        chat_request(&server, "a question with several words", true),
    )
    .await
    .unwrap();
    assert_eq!(p.status, 200);
    assert!(p.frames >= 1, "some events arrived");
    assert!(p.error.is_some(), "then the stream broke");
    let events = sse(&p.received);
    assert!(events.iter().all(|(_, d)| d != "[DONE]"));
}

#[tokio::test(start_paused = true)]
async fn stall_after_headers() {
    let server = server_with("stall=5s@1").await;
    let client = client();
    let start = Instant::now();
    let response = client
        .request(chat_request(&server, "q", false))
        .await
        .unwrap();
    let headers_at = start.elapsed();
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body_at = start.elapsed();
    assert!(
        headers_at < Duration::from_millis(10),
        "headers come at once: {headers_at:?}"
    );
    assert!(body_at >= Duration::from_secs(5), "body waits: {body_at:?}");
    assert!(serde_json::from_slice::<Value>(&body).is_ok());
}

#[tokio::test(start_paused = true)]
async fn slow_drip() {
    let server = server_with("drip=100ms@1").await;
    let start = Instant::now();
    let p = partial(&client(), chat_request(&server, "q", false))
        .await
        .unwrap();
    let elapsed = start.elapsed();
    assert!(p.error.is_none());
    assert_eq!(p.frames, p.received.len(), "one byte a frame");
    let expected = Duration::from_millis(100) * (p.received.len() as u32 - 1);
    assert!(elapsed >= expected, "{elapsed:?} < {expected:?}");
    assert!(serde_json::from_slice::<Value>(&p.received).is_ok());
}

#[tokio::test]
async fn malformed_json() {
    let server = server_with("malformed%1").await;
    let client = client();
    let reply = send(&client, chat_request(&server, "q", false)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "application/json");
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());

    let reply = send(
        &client,
        chat_request(&server, "several words in this question", true),
    )
    .await;
    let events = sse(&reply.body);
    let broken = events
        .iter()
        .filter(|(_, d)| d != "[DONE]" && serde_json::from_str::<Value>(d).is_err())
        .count();
    assert_eq!(broken, 1);
    assert_eq!(
        server.stats().successes(),
        0,
        "malformed answers are not successes"
    );
}

#[tokio::test]
async fn truncated_body() {
    let server = server_with("truncated%1").await;
    let client = fresh_client();
    let p = partial(&client, chat_request(&server, "q", false))
        .await
        .unwrap();
    let promised: usize = p.headers["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(p.received.len() < promised);
    assert!(p.error.is_some(), "the client notices the short body");

    let p = partial(
        &client,
        chat_request(&server, "several words in this question", true),
    )
    .await
    .unwrap();
    assert!(p.error.is_none(), "a stream just ends");
    let events = sse(&p.received);
    assert!(!events.is_empty());
    assert!(events.iter().all(|(_, d)| d != "[DONE]"));
}

#[tokio::test]
async fn error_event_inside_a_stream() {
    let server = server_with("sse-error%1").await;
    let client = client();
    let reply = send(
        &client,
        chat_request(&server, "several words in this question", true),
    )
    .await;
    let events = sse(&reply.body);
    let (name, data) = events.last().unwrap();
    assert_eq!(name.as_deref(), Some("error"));
    let error: Value = serde_json::from_str(data).unwrap();
    assert_eq!(error["error"]["type"], "server_error");
    assert!(events.len() > 1, "data came first");
    // A plain request is not a stream: the fault does not apply.
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200
    );
    assert_eq!(server.stats().faults.get("sse-error"), Some(&1));
}

#[tokio::test]
async fn json_answered_to_a_streaming_request() {
    let server = server_with("json-for-stream@1").await;
    let reply = send(&client(), chat_request(&server, "q", true)).await;
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(reply.json()["object"], "chat.completion");
}

#[tokio::test(start_paused = true)]
async fn outage_window_then_recovery() {
    let server = MockServer::builder()
        .outage(Outage {
            after: Duration::from_secs(1),
            length: Duration::from_secs(2),
        })
        .start()
        .await
        .unwrap();
    let client = client();
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        503
    );
    tokio::time::advance(Duration::from_millis(1999)).await;
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        503
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200
    );

    server.start_outage(Duration::from_secs(10));
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        503
    );
    server.end_outage();
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200
    );
    assert_eq!(server.stats().faults.get("outage"), Some(&3));
}

#[tokio::test]
async fn probabilistic_faults_repeat_with_the_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let server = MockServer::builder()
            .seed(seed)
            .fault("503:0.2".parse().unwrap())
            .fault("500:0.1".parse().unwrap())
            .start()
            .await
            .unwrap();
        let client = client();
        let mut statuses = Vec::new();
        for i in 0..200 {
            statuses.push(
                send(&client, chat_request(&server, &format!("q{i}"), false))
                    .await
                    .status
                    .as_u16(),
            );
        }
        statuses
    }
    let a = run(11).await;
    assert_eq!(a, run(11).await, "same seed, same faults");
    assert_ne!(a, run(12).await);
    let count = |s: u16| a.iter().filter(|x| **x == s).count();
    assert!(
        (25..=55).contains(&count(503)),
        "about 20% 503: {}",
        count(503)
    );
    assert!(
        (8..=35).contains(&count(500)),
        "about 10% 500: {}",
        count(500)
    );
}
