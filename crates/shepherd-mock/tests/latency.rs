//! The latency model seen from a client, on tokio's paused clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use http_body_util::BodyExt;
use shepherd_mock::{LatencyDistribution, MockServer};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn fixed_time_to_first_byte() {
    let server = MockServer::builder().latency_ms(250).start().await.unwrap();
    let start = Instant::now();
    let reply = send(&client(), chat_request(&server, "q", false)).await;
    let elapsed = start.elapsed();
    assert_eq!(reply.status, 200);
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_millis(260),
        "{elapsed:?}"
    );
    assert_eq!(reply.header("openai-processing-ms"), "250");
}

#[tokio::test(start_paused = true)]
async fn tokens_per_second_pace_the_stream() {
    let server = MockServer::builder()
        .latency_ms(100)
        .tokens_per_sec(10)
        .start()
        .await
        .unwrap();
    let client = client();
    let start = Instant::now();
    let response = client
        .request(chat_request(&server, "pace this answer please", true))
        .await
        .unwrap();
    let first_byte = start.elapsed();
    let mut body = response.into_body();
    let mut text = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame.unwrap().data_ref() {
            text.extend_from_slice(data);
        }
    }
    let total = start.elapsed();
    let tokens: u64 = sse(&text)
        .iter()
        .filter(|(_, d)| d != "[DONE]")
        .filter_map(|(_, d)| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(|s| s.chars().count().div_ceil(4) as u64)
        })
        .sum();
    assert!(
        first_byte >= Duration::from_millis(100) && first_byte < Duration::from_millis(110),
        "{first_byte:?}"
    );
    let generation = total - first_byte;
    let expected = Duration::from_millis(tokens * 100);
    assert!(
        generation >= expected && generation < expected + Duration::from_millis(10),
        "{generation:?} vs {expected:?}"
    );
}

#[tokio::test]
async fn reply_tokens_make_long_streams_of_one_token_chunks() {
    let server = MockServer::builder()
        .reply_tokens(500)
        .start()
        .await
        .unwrap();
    let response = client()
        .request(chat_request(&server, "a long answer", true))
        .await
        .unwrap();
    let text = response.into_body().collect().await.unwrap().to_bytes();
    let contents: Vec<String> = sse(&text)
        .iter()
        .filter(|(_, d)| d != "[DONE]")
        .filter_map(|(_, d)| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|s| !s.is_empty())
        .collect();
    assert!(contents.len() >= 490, "{} chunks", contents.len());
    assert_eq!(contents.concat().chars().count().div_ceil(4), 500);
}

#[tokio::test(start_paused = true)]
async fn lognormal_latency_repeats_with_the_seed() {
    async fn latencies(seed: u64) -> Vec<Duration> {
        let server = MockServer::builder()
            .seed(seed)
            .latency_ms(200)
            .latency_jitter_ms(150)
            .latency_distribution(LatencyDistribution::LogNormal)
            .start()
            .await
            .unwrap();
        let client = client();
        let mut out = Vec::new();
        for _ in 0..20 {
            let start = Instant::now();
            send(&client, chat_request(&server, "q", false)).await;
            out.push(start.elapsed());
        }
        out
    }
    let a = latencies(5).await;
    assert_eq!(a, latencies(5).await);
    assert!(a.iter().any(|d| *d != a[0]), "latency varies");
}
