//! The connector under `HyperTransport`: connect timeout and connection statistics.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::error::BoxError;

/// A snapshot of a [`HyperTransport`](crate::HyperTransport)'s connection counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConnectionStats {
    /// Connections established since the transport was built (TCP, and TLS for https).
    pub opened: u64,
    /// Responses received on a connection that had already served one (keep-alive reuse, or
    /// another stream multiplexed on the same HTTP/2 connection).
    pub reused: u64,
    /// Connections currently open, idle in the pool or busy.
    pub open: u64,
}

/// Which connection served a response; found in the response's extensions.
///
/// # Examples
///
/// ```no_run
/// # async fn run(response: http::Response<shepherd_transport::ResponseBody>) {
/// use shepherd_transport::ConnectionInfo;
///
/// if let Some(info) = response.extensions().get::<ConnectionInfo>() {
///     println!("connection {} (reused: {})", info.id(), info.is_reused());
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub(crate) id: u64,
    pub(crate) reused: bool,
}

impl ConnectionInfo {
    /// A number identifying the connection within its transport (starting at 1).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// True if the connection had served a response before this one.
    pub fn is_reused(&self) -> bool {
        self.reused
    }
}

#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    opened: AtomicU64,
    reused: AtomicU64,
    open: AtomicU64,
}

impl StatsCounters {
    pub(crate) fn snapshot(&self) -> ConnectionStats {
        ConnectionStats {
            opened: self.opened.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            open: self.open.load(Ordering::Relaxed),
        }
    }

    /// Records that a response arrived on the tagged connection; returns what it learned.
    pub(crate) fn record_response(&self, tag: &ConnTag) -> ConnectionInfo {
        let reused = tag.uses.fetch_add(1, Ordering::Relaxed) > 0;
        if reused {
            self.reused.fetch_add(1, Ordering::Relaxed);
        }
        ConnectionInfo { id: tag.id, reused }
    }
}

/// Rides along in hyper-util's `Connected` extras so responses and errors name their
/// connection and whether it had been used before.
#[derive(Debug, Clone)]
pub(crate) struct ConnTag {
    id: u64,
    uses: Arc<AtomicU64>,
}

impl ConnTag {
    /// True if a response had arrived on this connection before.
    pub(crate) fn was_used(&self) -> bool {
        self.uses.load(Ordering::Relaxed) > 0
    }
}

/// Marks a connect attempt that ran out of time (found again in the error's source chain).
#[derive(Debug, thiserror::Error)]
#[error("connect timed out after {0:?}")]
pub(crate) struct ConnectTimedOut(pub(crate) Duration);

type Io = MaybeHttpsStream<TokioIo<TcpStream>>;

/// hyper-rustls over hyper-util's `HttpConnector`, with a timeout covering DNS, TCP and TLS,
/// and counters for opened and open connections.
#[derive(Clone)]
pub(crate) struct Connector {
    inner: HttpsConnector<HttpConnector>,
    timeout: Option<Duration>,
    stats: Arc<StatsCounters>,
}

impl Connector {
    pub(crate) fn new(
        inner: HttpsConnector<HttpConnector>,
        timeout: Option<Duration>,
        stats: Arc<StatsCounters>,
    ) -> Self {
        Connector {
            inner,
            timeout,
            stats,
        }
    }
}

impl Service<Uri> for Connector {
    type Response = CountedIo;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<CountedIo, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let timeout = self.timeout;
        let stats = self.stats.clone();
        Box::pin(async move {
            let io = match timeout {
                Some(limit) => match tokio::time::timeout(limit, connecting).await {
                    Ok(result) => result?,
                    Err(_) => return Err(Box::new(ConnectTimedOut(limit)) as BoxError),
                },
                None => connecting.await?,
            };
            let id = stats.opened.fetch_add(1, Ordering::Relaxed) + 1;
            stats.open.fetch_add(1, Ordering::Relaxed);
            Ok(CountedIo {
                io,
                tag: ConnTag {
                    id,
                    uses: Arc::new(AtomicU64::new(0)),
                },
                stats,
            })
        })
    }
}

/// A connection that decrements the open-connection counter when hyper drops it.
pub(crate) struct CountedIo {
    io: Io,
    tag: ConnTag,
    stats: Arc<StatsCounters>,
}

impl Drop for CountedIo {
    fn drop(&mut self) {
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connection for CountedIo {
    fn connected(&self) -> Connected {
        self.io.connected().extra(self.tag.clone())
    }
}

impl Read for CountedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for CountedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
