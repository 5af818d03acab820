//! Routing, failover, fallback, budgets, cache and permits, against shepherd-mock and a memory transport.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use shepherd::cache::{Cache, MemoryCache};
use shepherd::resilience::breaker::CircuitBreaker;
use shepherd::resilience::breaker::SlidingWindow;
use shepherd::transport::{ApiKey, MemoryTransport, ResponseBody};
use shepherd::types::chat::ChatRequest;
use shepherd::{Client, Target};
use shepherd_mock::{Fault, FaultKind, MockServer};

fn key(n: u8) -> ApiKey {
    ApiKey::new(format!("sk-test-key-{n}-secretvalue")).unwrap()
}

#[tokio::test]
async fn a_429_fails_over_to_the_healthy_target() {
    let limited = MockServer::builder()
        .fault(Fault::with_probability(
            FaultKind::RateLimitBurst { len: 1 },
            1.0,
        ))
        .start()
        .await
        .unwrap();
    let healthy = MockServer::start().await.unwrap();
    let client = Client::builder()
        .target(Target::new(limited.base_url(), key(1)).name("limited"))
        .target(Target::new(healthy.base_url(), key(2)).name("healthy"))
        .build()
        .unwrap();
    for i in 0..6 {
        let reply = client
            .chat(ChatRequest::new("gpt-4.1").user(format!("q{i}")))
            .await
            .unwrap();
        assert_eq!(reply.meta().target, "healthy");
    }
    assert_eq!(healthy.stats().successes(), 6);
    assert!(limited.stats().by_status.get(&429).copied().unwrap_or(0) >= 1);
}

#[tokio::test]
async fn when_every_target_cools_down_the_call_waits_for_the_first_to_recover() {
    let server = MockServer::start().await.unwrap();
    server.start_outage(Duration::from_millis(400));
    let breaker = || {
        CircuitBreaker::builder()
            .sliding_window(SlidingWindow::Count(2))
            .minimum_calls(2)
            .failure_rate_threshold(50.0)
            .wait_in_open(Duration::from_millis(500))
            .permitted_calls_in_half_open(1)
            .build()
    };
    let client = Client::builder()
        .target(Target::new(server.base_url(), key(1)))
        .circuit_breaker(breaker)
        .max_retries(3)
        .build()
        .unwrap();
    let reply = client
        .chat(ChatRequest::new("gpt-4.1").user("patience"))
        .await
        .unwrap();
    assert!(reply.text().starts_with("echo: patience"));
    let stats = server.stats();
    // Two failures opened the breaker; the call then waited instead of hammering the server.
    assert!(
        stats.requests <= 4,
        "requests during the outage: {}",
        stats.requests
    );
    assert!(stats.answered_more_than_once().is_empty());
}

fn json(status: u16, body: &str) -> http::Response<ResponseBody> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(ResponseBody::from(body.to_owned()))
        .unwrap()
}

fn completion(model: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": format!("answer from {model}")}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
    .to_string()
}

#[tokio::test]
async fn a_context_length_error_falls_back_to_the_next_model() {
    let transport = MemoryTransport::from_fn(|request| {
        let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        match body["model"].as_str().unwrap() {
            "gpt-4.1" => json(
                400,
                r#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
            ),
            other => json(200, &completion(other)),
        }
    });
    let client = Client::builder()
        .base_url("http://memory/v1")
        .fallback_models(["deepseek-v3.2"])
        .build_with(transport.clone())
        .unwrap();
    let reply = client
        .chat(ChatRequest::new("gpt-4.1").user("long"))
        .await
        .unwrap();
    assert_eq!(reply.text(), "answer from deepseek-v3.2");
    assert_eq!(reply.meta().model.as_deref(), Some("deepseek-v3.2"));
    assert_eq!(
        transport.requests().len(),
        2,
        "the 400 itself is not retried"
    );
}

#[tokio::test]
async fn a_budget_stops_requests_before_they_are_sent() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(key(1))
        .budget_usd(0.001)
        .build()
        .unwrap();
    let mut refused = None;
    for i in 0..50 {
        match client
            .chat(
                ChatRequest::new("gpt-4.1")
                    .user(format!("question {i}"))
                    .max_tokens(20),
            )
            .await
        {
            Ok(_) => {}
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("the budget must refuse at some point");
    assert!(err.is_budget(), "{err}");
    let snapshot = client.costs().snapshot();
    assert!(snapshot.spent_usd <= 0.001, "{snapshot:?}");
    assert_eq!(
        server.stats().successes(),
        snapshot.requests_by_model["gpt-4.1"]
    );
}

#[tokio::test]
async fn a_cache_hit_saves_a_request() {
    let server = MockServer::start().await.unwrap();
    let cache = Arc::new(MemoryCache::new(100, Duration::from_secs(60)));
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(key(1))
        .cache(cache.clone())
        .build()
        .unwrap();
    let request = ChatRequest::new("gpt-4.1")
        .user("deterministic")
        .temperature(0.0);
    let first = client.chat(request.clone()).await.unwrap();
    let second = client.chat(request).await.unwrap();
    assert_eq!(first.text(), second.text());
    assert!(second.meta().cached);
    assert_eq!(
        server.stats().requests,
        1,
        "the second answer came from the cache"
    );
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses), (1, 1));
    assert!(stats.saved_usd > 0.0);
    // Non-deterministic requests are never cached.
    client
        .chat(
            ChatRequest::new("gpt-4.1")
                .user("creative")
                .temperature(0.9),
        )
        .await
        .unwrap();
    client
        .chat(
            ChatRequest::new("gpt-4.1")
                .user("creative")
                .temperature(0.9),
        )
        .await
        .unwrap();
    assert_eq!(server.stats().requests, 3);
}

#[tokio::test]
async fn dropping_a_stream_releases_its_permit() {
    let server = MockServer::builder()
        .tokens_per_sec(20)
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .target(Target::new(server.base_url(), key(1)).max_in_flight(1))
        .build()
        .unwrap();
    let request =
        ChatRequest::new("gpt-4.1").user("a long story that streams slowly, token by token");
    let mut stream = client.chat_stream(request.clone()).await.unwrap();
    let _first = stream.next().await.unwrap().unwrap();
    drop(stream);
    // With max_in_flight(1), this would wait forever if the dropped stream kept its permit.
    let second = tokio::time::timeout(Duration::from_secs(10), client.chat(request)).await;
    assert!(second.unwrap().is_ok());
}

#[tokio::test]
async fn the_api_key_never_appears_in_logs_or_errors() {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let secret = "sk-live-DO-NOT-LEAK-1234567890abcdef";
    let server = MockServer::builder()
        .key("sk-some-other-key")
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new(secret).unwrap())
        .build()
        .unwrap();
    let err = client
        .chat(ChatRequest::new("gpt-4.1").user("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let texts = [format!("{err}"), format!("{err:?}"), format!("{client:?}")];
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    for text in texts.iter().chain(std::iter::once(&logs)) {
        assert!(!text.contains(secret), "key leaked in: {text}");
        assert!(!text.contains("DO-NOT-LEAK"), "key leaked in: {text}");
    }
}
