//! Connection pooling: keep-alive reuse, HTTP/2 multiplexing and stale pooled connections.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{full, get, post, read_request, serve};
use http::{Response, Version};
use shepherd_transport::{Body, ConnectionInfo, HttpVersions, HyperTransport, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let server = serve(|_req| async { Response::new(full("pong")) }).await;
    let transport = HyperTransport::new().unwrap();

    for i in 0..10 {
        let response = transport
            .send(post(&server.url("/ping"), "{}"))
            .await
            .unwrap();
        let info = *response.extensions().get::<ConnectionInfo>().unwrap();
        assert_eq!(info.is_reused(), i > 0, "request {i}");
        assert_eq!(info.id(), 1);
        assert_eq!(response.into_body().collect().await.unwrap(), "pong");
    }

    assert_eq!(server.connections(), 1);
    let stats = transport.stats();
    assert_eq!((stats.opened, stats.reused, stats.open), (1, 9, 1));
}

#[tokio::test]
async fn http2_multiplexes_concurrent_requests_on_one_connection() {
    let server = serve(|req| async move {
        // Keep every request in flight long enough for all of them to overlap.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(req.version(), Version::HTTP_2);
        Response::new(full("h2"))
    })
    .await;
    let transport = HyperTransport::builder()
        .http_versions(HttpVersions::Http2PriorKnowledge)
        .build()
        .unwrap();

    let requests = (0..20).map(|_| {
        let transport = transport.clone();
        let url = server.url("/");
        async move {
            let response = transport.send(get(&url)).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            response.into_body().collect().await.unwrap()
        }
    });
    let bodies = futures_util::future::join_all(requests).await;

    assert!(bodies.iter().all(|b| b == "h2"));
    assert_eq!(server.connections(), 1);
    let stats = transport.stats();
    assert_eq!(stats.opened, 1);
    assert_eq!(stats.reused, 19);
}

/// A keep-alive server that answers the first request on each connection, then reads the next
/// request and closes without answering: exactly what a client sees when the server closed an
/// idle connection just as the client reused it.
async fn closing_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                if !read_request(&mut tcp).await {
                    return;
                }
                seen.fetch_add(1, Ordering::SeqCst);
                tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await
                    .unwrap();
                if read_request(&mut tcp).await {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                drop(tcp);
            });
        }
    });
    (addr, requests)
}

#[tokio::test]
async fn stale_pooled_connection_is_resent_once_transparently() {
    let (addr, requests) = closing_server().await;
    let url = format!("http://{addr}/v1/chat/completions");
    let transport = HyperTransport::new().unwrap();

    let first = transport.send(post(&url, "{\"n\":1}")).await.unwrap();
    assert_eq!(first.into_body().collect().await.unwrap(), "ok");

    // Reuses the pooled connection, which the server closes: resent on a new connection.
    let second = transport.send(post(&url, "{\"n\":2}")).await.unwrap();
    assert_eq!(second.into_body().collect().await.unwrap(), "ok");

    assert_eq!(requests.load(Ordering::SeqCst), 3);
    assert_eq!(transport.stats().opened, 2);
}

#[tokio::test]
async fn stale_connection_with_streamed_body_is_reported_retry_safe() {
    let (addr, _requests) = closing_server().await;
    let url = format!("http://{addr}/upload");
    let transport = HyperTransport::new().unwrap();

    let first = transport.send(post(&url, "{}")).await.unwrap();
    first.into_body().collect().await.unwrap();

    let stream = futures_util::stream::iter([Ok(Bytes::from_static(b"{}"))]);
    let request = http::Request::post(&url)
        .body(Body::from_stream(stream, Some(2)))
        .unwrap();
    let err = transport.send(request).await.unwrap_err();
    assert!(err.is_retry_safe(), "{err}");
    assert!(!err.is_connect());
}

#[tokio::test]
async fn stale_retry_can_be_disabled() {
    let (addr, _requests) = closing_server().await;
    let url = format!("http://{addr}/");
    let transport = HyperTransport::builder()
        .retry_stale_connections(false)
        .build()
        .unwrap();

    transport
        .send(get(&url))
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    let err = transport.send(get(&url)).await.unwrap_err();
    assert!(err.is_retry_safe(), "{err}");
}

#[tokio::test]
async fn open_count_drops_when_the_pool_expires_idle_connections() {
    let server = serve(|_req| async { Response::new(full("x")) }).await;
    let transport = HyperTransport::builder()
        .pool_idle_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    transport
        .send(get(&server.url("/")))
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    assert_eq!(transport.stats().open, 1);

    let mut open = 1;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        open = transport.stats().open;
        if open == 0 {
            break;
        }
    }
    assert_eq!(open, 0, "the idle connection was never closed");
}
