//! Every timeout fires as its own error; a stalled or dripping server never hangs the client.
//!
//! These talk to real loopback sockets, so they use real time with timeouts of a few hundred
//! milliseconds (a paused clock would auto-advance while the kernel moves bytes). The
//! minute-scale scenarios run on a paused clock through in-memory bodies at the end.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{drip, full, get, read_request, serve};
use futures_util::StreamExt;
use http::Response;
use shepherd_transport::{HyperTransport, MemoryTransport, ResponseBody, Transport};
use tokio::net::TcpListener;

const SHORT: Duration = Duration::from_millis(150);
const LONG: Duration = Duration::from_secs(10);

/// A server that accepts connections and reads requests but never answers.
async fn silent_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                read_request(&mut tcp).await;
                std::future::pending::<()>().await;
                drop(tcp);
            });
        }
    });
    addr
}

#[tokio::test]
async fn connect_timeout_covers_the_tls_handshake() {
    // TCP connects, but the TLS handshake never gets an answer.
    let addr = silent_server().await;
    let transport = HyperTransport::builder()
        .connect_timeout(SHORT)
        .response_header_timeout(LONG)
        .build()
        .unwrap();
    let err = transport
        .send(get(&format!("https://localhost:{}/", addr.port())))
        .await
        .unwrap_err();
    assert!(err.is_connect_timeout(), "{err}");
    assert!(err.is_timeout() && err.is_connect() && err.is_retry_safe());
}

#[tokio::test]
async fn header_timeout_fires_when_the_server_never_answers() {
    let addr = silent_server().await;
    let transport = HyperTransport::builder()
        .response_header_timeout(SHORT)
        .build()
        .unwrap();
    let err = transport
        .send(get(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(err.is_header_timeout(), "{err}");
    assert!(!err.is_retry_safe());
}

#[tokio::test]
async fn deadline_fires_before_the_header_timeout_if_it_is_shorter() {
    let addr = silent_server().await;
    let transport = HyperTransport::builder()
        .response_header_timeout(LONG)
        .total_deadline(SHORT)
        .build()
        .unwrap();
    let err = transport
        .send(get(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(err.is_deadline(), "{err}");
}

#[tokio::test]
async fn idle_timeout_fires_when_headers_arrive_and_then_nothing() {
    let server = serve(|_req| async {
        let body = drip(
            vec![Bytes::from_static(b"data: 1\n\n")],
            Duration::ZERO,
            true,
        );
        Response::new(body)
    })
    .await;
    // Long enough that a loaded machine still delivers the first chunk in time.
    let transport = HyperTransport::builder()
        .body_idle_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let response = transport.send(get(&server.url("/stream"))).await.unwrap();
    let mut body = response.into_body();
    assert_eq!(body.chunk().await.unwrap().unwrap(), "data: 1\n\n");
    let err = body.chunk().await.unwrap().unwrap_err();
    assert!(err.is_idle_timeout(), "{err}");
    assert!(
        body.chunk().await.is_none(),
        "the body ends after its error"
    );
}

#[tokio::test]
async fn dripping_server_hits_the_total_deadline() {
    let server = serve(|_req| async {
        let chunks = vec![Bytes::from_static(b"x"); 1000];
        Response::new(drip(chunks, Duration::from_millis(20), false))
    })
    .await;
    let transport = HyperTransport::builder()
        .body_idle_timeout(LONG)
        .total_deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let response = transport.send(get(&server.url("/drip"))).await.unwrap();
    let err = response.into_body().collect().await.unwrap_err();
    assert!(err.is_deadline(), "{err}");
}

#[tokio::test]
async fn a_slow_but_steady_stream_is_not_cut_off() {
    let server = serve(|_req| async {
        let chunks = vec![Bytes::from_static(b"tok "); 5];
        Response::new(drip(chunks, Duration::from_millis(40), false))
    })
    .await;
    let transport = HyperTransport::builder()
        .body_idle_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    let body = response.into_body().collect().await.unwrap();
    assert_eq!(body, "tok tok tok tok tok ");
}

#[tokio::test]
async fn no_timeout_when_the_server_answers() {
    let server = serve(|_req| async { Response::new(full("fine")) }).await;
    let transport = HyperTransport::builder()
        .connect_timeout(LONG)
        .response_header_timeout(LONG)
        .body_idle_timeout(LONG)
        .total_deadline(LONG)
        .build()
        .unwrap();
    let response = transport.send(get(&server.url("/"))).await.unwrap();
    assert_eq!(response.into_body().collect().await.unwrap(), "fine");
}

/// One byte a minute: every gap is below a 120 s idle timeout, so only the deadline stops it.
#[tokio::test(start_paused = true)]
async fn one_byte_a_minute_ends_at_the_deadline_on_a_paused_clock() {
    let transport = MemoryTransport::from_fn(|_req| {
        let bytes = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Some((Ok(Bytes::from_static(b".")), ()))
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        let body = ResponseBody::from_stream(bytes)
            .with_idle_timeout(Duration::from_secs(120))
            .with_deadline(deadline, Duration::from_secs(600));
        Response::new(body)
    });
    let started = tokio::time::Instant::now();
    let response = transport.send(get("http://mock/")).await.unwrap();
    let err = response.into_body().collect().await.unwrap_err();
    assert!(err.is_deadline(), "{err}");
    assert_eq!(started.elapsed(), Duration::from_secs(600));
}

#[tokio::test(start_paused = true)]
async fn idle_timer_restarts_with_every_chunk_on_a_paused_clock() {
    let transport = MemoryTransport::from_fn(|_req| {
        let gaps = [100u64, 110, 119, 121];
        let bytes = futures_util::stream::iter(gaps).then(|gap| async move {
            tokio::time::sleep(Duration::from_secs(gap)).await;
            Ok(Bytes::from_static(b"."))
        });
        Response::new(ResponseBody::from_stream(bytes).with_idle_timeout(Duration::from_secs(120)))
    });
    let started = tokio::time::Instant::now();
    let response = transport.send(get("http://mock/")).await.unwrap();
    let err = response.into_body().collect().await.unwrap_err();
    assert!(err.is_idle_timeout(), "{err}");
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(100 + 110 + 119 + 120)
    );
}
