//! Size limits fire while reading, without buffering what the server sends beyond them.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::{full, get, serve};
use futures_util::StreamExt;
use http::Response;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use shepherd_transport::sse::EventStream;
use shepherd_transport::{HyperTransport, Limits, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A body that never ends, reusing one 64 KiB buffer so the server allocates nothing.
fn endless(chunk: &'static [u8]) -> common::TestBody {
    let chunk = Bytes::from_static(chunk);
    let stream =
        futures_util::stream::repeat_with(move || Ok::<_, Infallible>(Frame::data(chunk.clone())));
    BodyExt::boxed(StreamBody::new(stream))
}

static ZEROS: [u8; 64 * 1024] = [b'x'; 64 * 1024];

#[tokio::test]
async fn declared_length_above_the_limit_fails_before_reading() {
    // Claims a gigabyte, sends a few bytes, then waits: the client must not wait for it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        common::read_request(&mut tcp).await;
        tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\nabc")
            .await
            .unwrap();
        std::future::pending::<()>().await;
    });
    let transport = HyperTransport::new().unwrap();
    let response = transport
        .send(get(&format!("http://{addr}/")))
        .await
        .unwrap();
    let err = response
        .into_body()
        .collect_limited(1 << 20)
        .await
        .unwrap_err();
    assert!(err.is_body_limit(), "{err}");
}

#[tokio::test]
async fn endless_body_stops_at_the_transport_limit() {
    let server = serve(|_req| async { Response::new(endless(&ZEROS)) }).await;
    let transport = HyperTransport::builder()
        .limits(Limits::default().max_body_bytes(1 << 20))
        .build()
        .unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    assert_eq!(response.body().limit(), 1 << 20);
    let err = response.into_body().collect().await.unwrap_err();
    assert!(
        matches!(err, shepherd_transport::Error::BodyLimit { limit } if limit == 1 << 20),
        "{err}"
    );
}

#[tokio::test]
async fn body_exactly_at_the_limit_is_accepted() {
    let server = serve(|_req| async { Response::new(full(vec![b'a'; 1000])) }).await;
    let transport = HyperTransport::new().unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    assert_eq!(
        response
            .into_body()
            .collect_limited(1000)
            .await
            .unwrap()
            .len(),
        1000
    );
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    assert!(
        response
            .into_body()
            .collect_limited(999)
            .await
            .unwrap_err()
            .is_body_limit()
    );
}

#[tokio::test]
async fn endless_sse_line_stops_at_the_line_limit() {
    let server = serve(|_req| async {
        Response::builder()
            .header("content-type", "text/event-stream")
            .body(endless(&ZEROS))
            .unwrap()
    })
    .await;
    let limits = Limits::default().max_sse_line_bytes(256 * 1024);
    let transport = HyperTransport::builder().limits(limits).build().unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    let mut events = EventStream::from_response(response, &limits).await.unwrap();
    let err = events.next().await.unwrap().unwrap_err();
    assert!(err.is_sse_limit(), "{err}");
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn endless_sse_event_stops_at_the_event_limit() {
    static DATA_LINES: &[u8] = b"data: 0123456789012345678901234567890123456789\n";
    let server = serve(|_req| async {
        Response::builder()
            .header("content-type", "text/event-stream; charset=utf-8")
            .body(endless(DATA_LINES))
            .unwrap()
    })
    .await;
    let limits = Limits::default().max_sse_event_bytes(64 * 1024);
    let transport = HyperTransport::new().unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    let mut events = EventStream::from_response(response, &limits).await.unwrap();
    let err = events.next().await.unwrap().unwrap_err();
    assert!(
        matches!(err, shepherd_transport::Error::SseEventLimit { .. }),
        "{err}"
    );
}
