//! Failures other than timeouts: refused connections, resets mid-body, wrong content types.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{drip, full, get, serve};
use futures_util::StreamExt;
use http::{Response, StatusCode};
use shepherd_transport::sse::{Event, EventStream};
use shepherd_transport::{Body, HyperTransport, Limits, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[tokio::test]
async fn refused_connection_is_a_retry_safe_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let transport = HyperTransport::new().unwrap();
    let err = transport
        .send(get(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(
        err.is_connect() && err.is_retry_safe() && !err.is_timeout(),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("refused"), "message should say why: {text}");
    assert!(
        !text.contains("client error ("),
        "message should skip wrapper noise: {text}"
    );
}

#[tokio::test]
async fn reset_mid_body_is_a_body_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        common::read_request(&mut tcp).await;
        tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        tcp.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // SO_LINGER 0 turns the close into a TCP reset.
        tcp.set_zero_linger().unwrap();
        drop(tcp);
    });
    let transport = HyperTransport::new().unwrap();
    let response = transport
        .send(get(&format!("http://{addr}/")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let err = response.into_body().collect().await.unwrap_err();
    assert!(
        err.is_body() && err.is_transient() && !err.is_retry_safe(),
        "{err}"
    );
}

#[tokio::test]
async fn relative_and_foreign_uris_are_rejected() {
    let transport = HyperTransport::new().unwrap();
    let err = transport.send(get("/v1/models")).await.unwrap_err();
    assert!(err.is_invalid_request(), "{err}");
    let err = transport
        .send(get("ftp://example.invalid/"))
        .await
        .unwrap_err();
    assert!(err.is_invalid_request(), "{err}");
}

#[tokio::test]
async fn json_answer_to_a_streaming_request_is_a_clear_error() {
    let server = serve(|_req| async {
        Response::builder()
            .status(400)
            .header("content-type", "application/json")
            .body(full(r#"{"error":{"message":"stream not supported"}}"#))
            .unwrap()
    })
    .await;
    let transport = HyperTransport::new().unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    let err = EventStream::from_response(response, &Limits::default())
        .await
        .unwrap_err();
    assert!(err.is_not_event_stream(), "{err}");
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    match &err {
        shepherd_transport::Error::NotEventStream {
            body, content_type, ..
        } => {
            assert_eq!(body, r#"{"error":{"message":"stream not supported"}}"#);
            assert_eq!(content_type.as_deref(), Some("application/json"));
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("stream not supported"));
}

#[tokio::test]
async fn event_stream_over_the_network_in_small_chunks() {
    let server = serve(|_req| async {
        let chunks = [
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r",
            "\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n",
            "\n: keep-alive\n\nda",
            "ta: [DONE]\n\n",
        ];
        let chunks = chunks
            .iter()
            .map(|c| Bytes::from_static(c.as_bytes()))
            .collect();
        Response::builder()
            .header("content-type", "text/event-stream")
            .body(drip(chunks, Duration::from_millis(5), false))
            .unwrap()
    })
    .await;
    let transport = HyperTransport::new().unwrap();
    let request = http::Request::post(server.url("/v1/chat/completions"))
        .body(Body::from(r#"{"stream":true}"#))
        .unwrap();
    let response = transport.send(request).await.unwrap();
    let events: Vec<Event> = EventStream::from_response(response, &Limits::default())
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0].data(),
        r#"{"choices":[{"delta":{"content":"Hel"}}]}"#
    );
    assert!(events[2].is_done());
}
