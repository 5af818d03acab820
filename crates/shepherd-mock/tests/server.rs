//! Starting and stopping: configuration documents, HTTP/2, shutdown on drop.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use shepherd_mock::{MockConfig, MockServer};

#[tokio::test]
async fn starts_from_a_toml_document() {
    let config =
        MockConfig::from_toml_str("rpm = 60\nkeys = [\"sk-only-this-one\"]\nmodels = [\"m1\"]")
            .unwrap();
    let server = MockServer::builder().config(config).start().await.unwrap();
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert!(server.base_url().ends_with("/v1"));
    let client = client();
    let reply = send(
        &client,
        request(
            &server,
            http::Method::GET,
            "/v1/models",
            Some("sk-only-this-one"),
            "application/json",
            "",
        ),
    )
    .await;
    assert_eq!(reply.json()["data"][0]["id"], "m1");
    assert_eq!(reply.header("x-ratelimit-limit-requests"), "60");
    let config = get(&client, &server, "/_mock/config").await.json();
    assert_eq!(config["rpm"], 60);
}

#[tokio::test]
async fn serves_http2_with_prior_knowledge() {
    let server = MockServer::start().await.unwrap();
    let h2: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let reply = send(&h2, chat_request(&server, "over h2", false)).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.json()["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with("echo: over h2")
    );
}

#[tokio::test]
async fn stops_when_dropped() {
    let server = MockServer::start().await.unwrap();
    let url = server.url("/v1/models");
    let client = fresh_client();
    assert_eq!(get(&client, &server, "/v1/models").await.status, 200);
    drop(server);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let request = http::Request::get(url)
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert!(
        client.request(request).await.is_err(),
        "nothing listens any more"
    );
}

#[tokio::test]
async fn shutdown_waits_for_the_accept_loop() {
    let server = MockServer::start().await.unwrap();
    let addr = server.addr();
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn invalid_configuration_is_refused() {
    let result = MockServer::builder()
        .fault("503:0.8".parse().unwrap())
        .fault("500:0.8".parse().unwrap())
        .start()
        .await;
    assert!(result.unwrap_err().is_config());
}
