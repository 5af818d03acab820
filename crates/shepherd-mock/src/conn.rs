//! Per-connection control: lets a fault turn the connection's close into a TCP reset.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Shared between a connection and the requests it carries.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    reset: AtomicBool,
}

impl ConnControl {
    /// Asks for the connection to end with a RST instead of a FIN when it closes, which
    /// hyper does right after a service or body error.
    pub(crate) fn request_reset(&self) {
        self.reset.store(true, Ordering::Release);
    }

    fn reset_requested(&self) -> bool {
        self.reset.load(Ordering::Acquire)
    }
}

/// A TCP stream that, once a reset was requested, closes with `SO_LINGER = 0` (a RST).
#[derive(Debug)]
pub(crate) struct ResettableStream {
    inner: TcpStream,
    control: Arc<ConnControl>,
}

impl ResettableStream {
    pub(crate) fn new(inner: TcpStream, control: Arc<ConnControl>) -> Self {
        ResettableStream { inner, control }
    }

    fn check(&self) -> io::Result<()> {
        if self.control.reset_requested() {
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "mock fault: connection reset",
            ))
        } else {
            Ok(())
        }
    }
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.control.reset_requested() {
            // Zero linger makes close() send RST; failing to set it leaves an ordinary close.
            // `set_linger` is deprecated because a non-zero linger blocks on drop; zero does
            // not, and unlike `set_zero_linger` it exists in every tokio 1.x the workspace allows.
            #[allow(deprecated)]
            let _ = self.inner.set_linger(Some(std::time::Duration::ZERO));
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
