//! Loopback servers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use shepherd_transport::Body;
use tokio::net::TcpListener;

/// The body type test handlers answer with.
pub type TestBody = BoxBody<Bytes, Infallible>;

/// A body with all its bytes at once.
pub fn full(bytes: impl Into<Bytes>) -> TestBody {
    Full::new(bytes.into()).boxed()
}

/// A body that yields `chunks`, sleeping `gap` before each one, then ends or (if
/// `then_stall`) stays open without sending anything more.
pub fn drip(chunks: Vec<Bytes>, gap: Duration, then_stall: bool) -> TestBody {
    let stream = futures_util::stream::unfold(
        (chunks.into_iter(), then_stall),
        move |(mut rest, stall)| async move {
            tokio::time::sleep(gap).await;
            match rest.next() {
                Some(chunk) => Some((Ok::<_, Infallible>(Frame::data(chunk)), (rest, stall))),
                None if stall => {
                    std::future::pending::<()>().await;
                    None
                }
                None => None,
            }
        },
    );
    StreamBody::new(stream).boxed()
}

/// A running loopback server and how many connections it accepted.
pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Serves HTTP/1.1 and HTTP/2 (prior knowledge) with `handler` on 127.0.0.1:0.
pub async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<TestBody>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let handler = handler.clone();
                    async move { Ok::<_, Infallible>(handler(req).await) }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    Server { addr, connections }
}

/// A GET request with an empty body.
pub fn get(url: &str) -> Request<Body> {
    Request::get(url).body(Body::empty()).unwrap()
}

/// A POST request with an in-memory body.
pub fn post(url: &str, body: &'static str) -> Request<Body> {
    Request::post(url).body(Body::from(body)).unwrap()
}

/// Reads an HTTP/1.1 request head (and a `Content-Length` body) from a raw socket.
/// Returns false if the peer closed the connection first.
pub async fn read_request(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            let have = buf.len() - end - 4;
            let mut missing = len.saturating_sub(have);
            while missing > 0 {
                let n = stream.read(&mut byte).await.unwrap_or(0);
                if n == 0 {
                    return false;
                }
                missing = missing.saturating_sub(n);
            }
            return true;
        }
        let n = stream.read(&mut byte).await.unwrap_or(0);
        if n == 0 {
            return false;
        }
        buf.extend_from_slice(&byte[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
