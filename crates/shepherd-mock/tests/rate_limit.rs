//! The limiter over HTTP: refusing exactly when it should, headers on every response,
//! quota and key checks. All on tokio's paused clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use http::Method;
use serde_json::json;
use shepherd_mock::MockServer;

const KEY: &str = "sk-test-key-0001";

#[tokio::test(start_paused = true)]
async fn rpm_admits_one_second_of_burst_then_one_per_interval() {
    // 600 rpm: burst of 10, then one request every 100 ms.
    let server = MockServer::builder().rpm(600).start().await.unwrap();
    let client = client();
    for i in 0..10 {
        let reply = send(&client, chat_request(&server, "q", false)).await;
        assert_eq!(reply.status, 200, "request {i} is within the burst");
        assert_eq!(
            reply.header("x-ratelimit-remaining-requests"),
            (599 - i).to_string()
        );
    }
    let refused = send(&client, chat_request(&server, "q", false)).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after-ms"), "100");
    assert_eq!(refused.header("retry-after"), "1");
    assert_eq!(refused.header("x-ratelimit-limit-requests"), "600");
    assert_eq!(refused.header("x-ratelimit-reset-requests"), "1s");
    let error = refused.json();
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");
    assert_eq!(error["error"]["type"], "requests");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Please try again in 100ms")
    );

    tokio::time::advance(Duration::from_millis(99)).await;
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        429,
        "1 ms early"
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200,
        "exactly on time"
    );
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        429,
        "and only one"
    );
    assert_eq!(server.stats().by_status.get(&429), Some(&3));
}

#[tokio::test(start_paused = true)]
async fn sustained_rate_matches_the_limit() {
    // 120 rpm = 2 per second, burst 2: over 10 s of one request every 100 ms exactly
    // 2 + 10 * 2 = 22 succeed.
    let server = MockServer::builder().rpm(120).start().await.unwrap();
    let client = client();
    let mut ok = 0;
    for _ in 0..=100 {
        if send(&client, chat_request(&server, "q", false))
            .await
            .status
            == 200
        {
            ok += 1;
        }
        tokio::time::advance(Duration::from_millis(100)).await;
    }
    assert_eq!(ok, 22);
}

#[tokio::test(start_paused = true)]
async fn tpm_charges_prompt_and_max_tokens() {
    // 6000 tpm: 100 tokens a second of tolerance; a request costs prompt + max_tokens.
    let server = MockServer::builder().tpm(6000).start().await.unwrap();
    let client = client();
    let mut body = chat_body("q");
    body["max_tokens"] = json!(500);
    let first = post_json(&client, &server, "/v1/chat/completions", &body).await;
    assert_eq!(first.status, 200);
    // "You are terse.\nq" is 16 characters = 4 prompt tokens, plus 500.
    assert_eq!(first.header("x-ratelimit-remaining-tokens"), "5496");
    assert_eq!(first.header("x-ratelimit-reset-tokens"), "5.04s");
    let refused = post_json(&client, &server, "/v1/chat/completions", &body).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.json()["error"]["type"], "tokens");
    // Owed 5.04 s, tolerated 0.99 s: wait 4.05 s.
    assert_eq!(refused.header("retry-after-ms"), "4050");
    tokio::time::advance(Duration::from_millis(4050)).await;
    assert_eq!(
        post_json(&client, &server, "/v1/chat/completions", &body)
            .await
            .status,
        200
    );

    body["max_tokens"] = json!(7000);
    let too_large = post_json(&client, &server, "/v1/chat/completions", &body).await;
    assert_eq!(too_large.status, 429);
    assert!(too_large.headers.get("retry-after").is_none());
    assert!(
        too_large.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Request too large")
    );
}

#[tokio::test(start_paused = true)]
async fn limits_are_per_key() {
    let server = MockServer::builder().rpm(60).start().await.unwrap();
    let client = client();
    let with_key = |key: &str| {
        request(
            &server,
            Method::POST,
            "/v1/embeddings",
            Some(key),
            "application/json",
            json!({"model": "text-embedding-3-small", "input": "x"}).to_string(),
        )
    };
    assert_eq!(send(&client, with_key("sk-a-000000001")).await.status, 200);
    assert_eq!(send(&client, with_key("sk-a-000000001")).await.status, 429);
    assert_eq!(send(&client, with_key("sk-b-000000002")).await.status, 200);
}

#[tokio::test]
async fn headers_on_every_response() {
    let server = MockServer::builder()
        .rpm(6000)
        .tpm(100_000)
        .key(KEY)
        .fault("503@2".parse().unwrap())
        .start()
        .await
        .unwrap();
    let client = client();
    let names = [
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
    ];
    let replies = vec![
        send(&client, chat_request(&server, "q", false)).await,
        send(&client, chat_request(&server, "q", false)).await,
        get(&client, &server, "/v1/models").await,
        post_json(&client, &server, "/v1/unknown", &json!({})).await,
        send(
            &client,
            request(
                &server,
                Method::POST,
                "/v1/chat/completions",
                Some("sk-wrong-key-9"),
                "application/json",
                "{}",
            ),
        )
        .await,
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [200, 503, 200, 404, 401]);
    for reply in &replies {
        for name in names {
            reply.header(name);
        }
    }
}

#[tokio::test]
async fn insufficient_quota_and_unknown_keys() {
    let server = MockServer::builder().key(KEY).start().await.unwrap();
    let client = client();
    let unknown = send(
        &client,
        request(
            &server,
            Method::GET,
            "/v1/models",
            Some("sk-wrong-key-9"),
            "application/json",
            "",
        ),
    )
    .await;
    assert_eq!(unknown.status, 401);
    let error = unknown.json();
    assert_eq!(error["error"]["code"], "invalid_api_key");
    assert!(
        !error.to_string().contains("sk-wrong-key-9"),
        "the key is not echoed"
    );
    let missing = send(
        &client,
        request(
            &server,
            Method::GET,
            "/v1/models",
            None,
            "application/json",
            "",
        ),
    )
    .await;
    assert_eq!(missing.status, 401);
    assert_eq!(get(&client, &server, "/v1/models").await.status, 200);

    server.set_insufficient_quota(true);
    let quota = send(&client, chat_request(&server, "q", false)).await;
    assert_eq!(quota.status, 429);
    assert_eq!(quota.json()["error"]["code"], "insufficient_quota");
    assert!(
        quota.headers.get("retry-after").is_none(),
        "waiting does not help"
    );
    server.set_insufficient_quota(false);
    assert_eq!(
        send(&client, chat_request(&server, "q", false))
            .await
            .status,
        200
    );
}
