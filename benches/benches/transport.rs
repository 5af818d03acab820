//! Round trips per second over loopback: `HyperTransport` vs a bare hyper-util client.

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::convert::Infallible;
use std::hint::black_box;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use shepherd_transport::{Body, HyperTransport, Transport};

const REQUEST: &[u8] = br#"{"model":"gpt-4.1","messages":[{"role":"user","content":"ping"}]}"#;
const RESPONSE: &[u8] = br#"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}]}"#;

/// The smallest useful server: reads the request body and answers a fixed completion.
async fn server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                        RESPONSE,
                    ))))
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

fn transport(c: &mut Criterion) {
    // Client and server share one thread: no cross-thread wake-ups, so the figure is the
    // CPU cost of a round trip through each client, with far less scheduling noise.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let addr = runtime.block_on(server());
    let url = format!("http://{addr}/v1/chat/completions");

    let shepherd = runtime.block_on(async { HyperTransport::new().expect("transport") });
    let bare: Client<HttpConnector, Full<Bytes>> = {
        let _guard = runtime.enter();
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(http)
    };

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));

    group.bench_function("bare_hyper_util", |b| {
        b.to_async(&runtime).iter(|| async {
            let request = http::Request::post(url.as_str())
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(REQUEST)))
                .expect("request");
            let response = bare.request(request).await.expect("response");
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            black_box(body)
        })
    });

    group.bench_function("hyper_transport", |b| {
        b.to_async(&runtime).iter(|| async {
            let request = http::Request::post(url.as_str())
                .header("content-type", "application/json")
                .body(Body::from(REQUEST))
                .expect("request");
            let response = shepherd.send(request).await.expect("response");
            let body = response.into_body().collect().await.expect("body");
            black_box(body)
        })
    });
    group.finish();
}

criterion_group!(benches, transport);
criterion_main!(benches);
