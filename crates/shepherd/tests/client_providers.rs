//! Anthropic through the chat types, parallel tool calls streamed, and priority migration.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::StreamExt;
use shepherd::transport::{ApiKey, MemoryTransport, ResponseBody};
use shepherd::types::chat::{ChatRequest, FinishReason};
use shepherd::{Client, MigrationRule, Provider, Target};
use shepherd_mock::{Fault, FaultKind, MockServer};

#[tokio::test]
async fn anthropic_is_served_through_the_chat_types() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .provider(Provider::Anthropic)
        .base_url(server.base_url())
        .api_key(ApiKey::new("sk-ant-test-0000").unwrap())
        .build()
        .unwrap();
    let request = ChatRequest::new("claude-sonnet-4.5")
        .system("Be brief.")
        .user("Hallo Claude")
        .max_tokens(64);
    let reply = client.chat(request.clone()).await.unwrap();
    assert!(reply.text().contains("Hallo Claude"), "{}", reply.text());
    assert_eq!(server.stats().by_path.get("/v1/messages"), Some(&1));
    assert!(reply.usage.as_ref().unwrap().prompt_tokens > 0);

    let streamed = client
        .chat_stream(request)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(streamed.text(), reply.text());
    assert_eq!(streamed.finish_reason(), Some(&FinishReason::Stop));
}

fn sse(events: &[serde_json::Value]) -> String {
    let mut out = String::new();
    for e in events {
        out.push_str(&format!("data: {e}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    out
}

#[tokio::test]
async fn two_parallel_tool_calls_streamed_in_fragments_are_accumulated() {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4.1",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let call = |index: u32, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut f = serde_json::json!({"arguments": args});
        if let Some(n) = name {
            f["name"] = n.into();
        }
        let mut c = serde_json::json!({"index": index, "function": f});
        if let Some(id) = id {
            c["id"] = id.into();
            c["type"] = "function".into();
        }
        serde_json::json!({"tool_calls": [c]})
    };
    let body = sse(&[
        chunk(
            serde_json::json!({"role": "assistant", "content": null}),
            None,
        ),
        chunk(call(0, Some("call_a"), Some("get_weather"), ""), None),
        chunk(call(1, Some("call_b"), Some("get_time"), ""), None),
        chunk(call(0, None, None, "{\"city\": \"Ber"), None),
        chunk(call(1, None, None, "{\"tz\": "), None),
        chunk(call(0, None, None, "lin\"}"), None),
        chunk(call(1, None, None, "\"CET\"}"), None),
        chunk(serde_json::json!({}), Some("tool_calls")),
        serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4.1",
            "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32}}),
    ]);
    let transport = MemoryTransport::from_fn(move |_| {
        http::Response::builder()
            .header("content-type", "text/event-stream")
            .body(ResponseBody::from(body.clone()))
            .unwrap()
    });
    let client = Client::builder()
        .base_url("http://memory/v1")
        .build_with(transport)
        .unwrap();
    let mut stream = client
        .chat_stream(ChatRequest::new("gpt-4.1").user("weather and time"))
        .await
        .unwrap();
    let mut n = 0;
    while let Some(c) = stream.next().await {
        c.unwrap();
        n += 1;
    }
    assert_eq!(n, 9);
    let response = stream.response();
    let calls = response.tool_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].id, "call_a");
    assert_eq!(calls[0].function.arguments, r#"{"city": "Berlin"}"#);
    assert_eq!(calls[1].function.name, "get_time");
    assert_eq!(calls[1].function.arguments, r#"{"tz": "CET"}"#);
    assert_eq!(stream.usage().unwrap().total_tokens, 32);
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_primary_migrates_traffic_to_the_secondary_and_back() {
    let primary = MockServer::start().await.unwrap();
    let secondary = MockServer::start().await.unwrap();
    let rule = MigrationRule {
        window: Duration::from_secs(10),
        minimum_calls: 4,
        max_error_percent: 50.0,
        recheck_after: Duration::from_secs(5),
        trial_calls: 1,
        ..MigrationRule::default()
    };
    let client = Client::builder()
        .target(
            Target::new(primary.base_url(), ApiKey::new("sk-a-000").unwrap())
                .name("primary")
                .priority(0)
                .circuit_breaker(rule.breaker()),
        )
        .target(
            Target::new(secondary.base_url(), ApiKey::new("sk-b-000").unwrap())
                .name("secondary")
                .priority(1),
        )
        .build()
        .unwrap();
    let ask = |i: u32| client.chat(ChatRequest::new("gpt-4.1").user(format!("q{i}")));
    assert_eq!(ask(0).await.unwrap().meta().target, "primary");
    primary.start_outage(Duration::from_secs(3600));
    let mut targets = Vec::new();
    for i in 1..12 {
        targets.push(ask(i).await.unwrap().meta().target.clone());
    }
    assert!(targets.iter().all(|t| t == "secondary"), "{targets:?}");
    let during = primary.stats().requests;
    assert!(
        during <= 6,
        "the primary was left alone once the rule tripped: {during}"
    );
    primary.end_outage();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut back = false;
    for i in 12..20 {
        if ask(i).await.unwrap().meta().target == "primary" {
            back = true;
            break;
        }
    }
    assert!(back, "traffic returns once the primary is healthy");
}

#[tokio::test]
async fn insufficient_quota_is_not_retried() {
    let server = MockServer::builder()
        .insufficient_quota(true)
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new("sk-test-0000").unwrap())
        .build()
        .unwrap();
    let err = client
        .chat(ChatRequest::new("gpt-4.1").user("hi"))
        .await
        .unwrap_err();
    assert!(err.is_insufficient_quota(), "{err}");
    assert_eq!(server.stats().requests, 1);
    let _ = Fault::with_probability(FaultKind::MalformedJson, 0.0);
}
