//! Request and response bodies: bytes or streams, with timeouts and size limits on the way in.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::error::{BoxError, Error};
use crate::limits::DEFAULT_MAX_BODY_BYTES;

type BoxStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send + 'static>>;

/// A request body: nothing, bytes in memory (JSON), or a stream (multipart file uploads).
///
/// In-memory bodies can be replayed with [`try_clone`](Body::try_clone), which is what lets a
/// transport resend a request transparently; streamed bodies cannot.
///
/// # Examples
///
/// ```
/// use shepherd_transport::Body;
///
/// let body = Body::from(r#"{"model":"gpt-4.1"}"#);
/// assert_eq!(body.as_bytes().map(|b| b.len()), Some(19));
/// assert!(body.try_clone().is_some());
/// ```
pub struct Body {
    kind: BodyKind,
}

enum BodyKind {
    Empty,
    Full(Bytes),
    Stream { stream: BoxStream, len: Option<u64> },
}

impl Body {
    /// A body with no bytes.
    pub fn empty() -> Self {
        Body {
            kind: BodyKind::Empty,
        }
    }

    /// A body streamed from `stream`. If `len` is known it is sent as `Content-Length`
    /// (and a stream that yields a different number of bytes is a protocol error);
    /// otherwise HTTP/1.1 uses chunked encoding.
    pub fn from_stream<S>(stream: S, len: Option<u64>) -> Self
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        Body {
            kind: BodyKind::Stream {
                stream: Box::pin(stream),
                len,
            },
        }
    }

    /// The bytes of an in-memory body; `None` for a streamed one.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            BodyKind::Full(bytes) => Some(bytes),
            BodyKind::Empty | BodyKind::Stream { .. } => None,
        }
    }

    /// A copy of the body if it can be replayed (empty or in memory; the bytes are shared,
    /// not copied); `None` for a streamed body.
    pub fn try_clone(&self) -> Option<Body> {
        match &self.kind {
            BodyKind::Empty => Some(Body::empty()),
            BodyKind::Full(bytes) => Some(Body::from(bytes.clone())),
            BodyKind::Stream { .. } => None,
        }
    }

    /// Reads the whole body into memory, failing with [`Error::BodyLimit`] past `max` bytes.
    pub async fn collect_limited(self, max: u64) -> Result<Bytes, Error> {
        collect_limited(self, max).await
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Empty => f.write_str("Body::Empty"),
            BodyKind::Full(bytes) => write!(f, "Body::Full({} bytes)", bytes.len()),
            BodyKind::Stream { len, .. } => write!(f, "Body::Stream(len: {len:?})"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            return Body::empty();
        }
        Body {
            kind: BodyKind::Full(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::from(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::from(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Body::from(Bytes::from_static(bytes))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.kind {
            BodyKind::Empty => Poll::Ready(None),
            BodyKind::Full(_) => match std::mem::replace(&mut self.kind, BodyKind::Empty) {
                BodyKind::Full(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                _ => Poll::Ready(None),
            },
            BodyKind::Stream { stream, .. } => match ready!(stream.as_mut().poll_next(cx)) {
                Some(Ok(bytes)) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Some(Err(err)) => Poll::Ready(Some(Err(err))),
                None => {
                    self.kind = BodyKind::Empty;
                    Poll::Ready(None)
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, BodyKind::Empty)
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Empty => SizeHint::with_exact(0),
            BodyKind::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            BodyKind::Stream { len: Some(len), .. } => SizeHint::with_exact(*len),
            BodyKind::Stream { len: None, .. } => SizeHint::default(),
        }
    }
}

enum ResponseKind {
    Empty,
    Full(Bytes),
    Incoming(hyper::body::Incoming),
    Stream(BoxStream),
}

/// A response body: a stream of [`Bytes`] with the transport's timeouts applied.
///
/// It implements both [`http_body::Body`] and [`Stream`]. While it is read:
/// - if no bytes arrive for the idle timeout, it ends with [`Error::IdleTimeout`]
///   (the timer starts on the first read, so a body that is not read yet does not expire);
/// - if the request's total deadline passes, it ends with [`Error::Deadline`].
///
/// [`collect`](ResponseBody::collect) buffers it up to a limit (the transport's
/// `max_body_bytes` unless changed), failing with [`Error::BodyLimit`] without reading more
/// than the limit.
///
/// # Examples
///
/// ```
/// use shepherd_transport::ResponseBody;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let body = ResponseBody::from("hello");
/// assert_eq!(body.collect_limited(16).await?, "hello");
///
/// let err = ResponseBody::from("too long").collect_limited(4).await.unwrap_err();
/// assert!(err.is_body_limit());
/// # Ok::<(), shepherd_transport::Error>(())
/// # }).unwrap();
/// ```
pub struct ResponseBody {
    kind: ResponseKind,
    idle: Option<(Duration, Option<Pin<Box<Sleep>>>)>,
    deadline: Option<(Duration, Pin<Box<Sleep>>)>,
    limit: u64,
    done: bool,
}

impl ResponseBody {
    fn with_kind(kind: ResponseKind) -> Self {
        ResponseBody {
            kind,
            idle: None,
            deadline: None,
            limit: DEFAULT_MAX_BODY_BYTES,
            done: false,
        }
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self::with_kind(ResponseKind::Empty)
    }

    /// A body read from a stream of chunks (for in-memory transports and tests).
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        Self::with_kind(ResponseKind::Stream(Box::pin(stream)))
    }

    pub(crate) fn incoming(body: hyper::body::Incoming) -> Self {
        Self::with_kind(ResponseKind::Incoming(body))
    }

    /// Ends the body with [`Error::IdleTimeout`] if no bytes arrive for `timeout`.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle = Some((timeout, None));
        self
    }

    /// Ends the body with [`Error::Deadline`] at `deadline`; `total` is the configured
    /// duration the error reports.
    pub fn with_deadline(mut self, deadline: Instant, total: Duration) -> Self {
        self.deadline = Some((total, Box::pin(tokio::time::sleep_until(deadline))));
        self
    }

    /// Sets the limit [`collect`](ResponseBody::collect) enforces.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// The limit [`collect`](ResponseBody::collect) enforces.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Reads the whole body, failing with [`Error::BodyLimit`] past [`limit`](Self::limit).
    pub async fn collect(self) -> Result<Bytes, Error> {
        let limit = self.limit;
        collect_limited(self, limit).await
    }

    /// Reads the whole body, failing with [`Error::BodyLimit`] past `max` bytes. A declared
    /// `Content-Length` above `max` fails before anything is read.
    pub async fn collect_limited(self, max: u64) -> Result<Bytes, Error> {
        collect_limited(self, max).await
    }

    /// Reads the next chunk of data; `None` at the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.kind {
            ResponseKind::Empty => Poll::Ready(None),
            ResponseKind::Full(_) => match std::mem::replace(&mut self.kind, ResponseKind::Empty) {
                ResponseKind::Full(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                _ => Poll::Ready(None),
            },
            ResponseKind::Incoming(body) => {
                match ready!(http_body::Body::poll_frame(Pin::new(body), cx)) {
                    Some(Ok(frame)) => Poll::Ready(Some(Ok(frame))),
                    Some(Err(err)) => Poll::Ready(Some(Err(Error::Body {
                        source: Box::new(err),
                    }))),
                    None => Poll::Ready(None),
                }
            }
            ResponseKind::Stream(stream) => match ready!(stream.as_mut().poll_next(cx)) {
                Some(Ok(bytes)) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Some(Err(err)) => Poll::Ready(Some(Err(err))),
                None => Poll::Ready(None),
            },
        }
    }
}

impl Default for ResponseBody {
    fn default() -> Self {
        ResponseBody::empty()
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            ResponseKind::Empty => "empty",
            ResponseKind::Full(_) => "full",
            ResponseKind::Incoming(_) => "incoming",
            ResponseKind::Stream(_) => "stream",
        };
        f.debug_struct("ResponseBody")
            .field("kind", &kind)
            .field("idle_timeout", &self.idle.as_ref().map(|(d, _)| d))
            .field("deadline", &self.deadline.as_ref().map(|(d, _)| d))
            .field("limit", &self.limit)
            .finish()
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        Self::with_kind(ResponseKind::Full(bytes))
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(bytes: Vec<u8>) -> Self {
        ResponseBody::from(Bytes::from(bytes))
    }
}

impl From<String> for ResponseBody {
    fn from(text: String) -> Self {
        ResponseBody::from(Bytes::from(text))
    }
}

impl From<&'static str> for ResponseBody {
    fn from(text: &'static str) -> Self {
        ResponseBody::from(Bytes::from_static(text.as_bytes()))
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = this.poll_inner(cx) {
            match &item {
                Some(Ok(_)) => {
                    if let Some((timeout, Some(sleep))) = &mut this.idle {
                        sleep.as_mut().reset(Instant::now() + *timeout);
                    }
                }
                Some(Err(_)) | None => this.done = true,
            }
            return Poll::Ready(item);
        }
        // The deadline is checked before the idle timer so that a stalled body past its
        // deadline reports the deadline, the tighter promise.
        if let Some((total, sleep)) = &mut this.deadline
            && sleep.as_mut().poll(cx).is_ready()
        {
            this.done = true;
            return Poll::Ready(Some(Err(Error::Deadline { after: *total })));
        }
        if let Some((timeout, slot)) = &mut this.idle {
            let sleep = slot.get_or_insert_with(|| Box::pin(tokio::time::sleep(*timeout)));
            if sleep.as_mut().poll(cx).is_ready() {
                this.done = true;
                return Poll::Ready(Some(Err(Error::IdleTimeout { after: *timeout })));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        if self.done {
            return true;
        }
        match &self.kind {
            ResponseKind::Empty => true,
            ResponseKind::Full(_) => false,
            ResponseKind::Incoming(body) => body.is_end_stream(),
            ResponseKind::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            ResponseKind::Empty => SizeHint::with_exact(0),
            ResponseKind::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            ResponseKind::Incoming(body) => body.size_hint(),
            ResponseKind::Stream(_) => SizeHint::default(),
        }
    }
}

impl Stream for ResponseBody {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match ready!(http_body::Body::poll_frame(self.as_mut(), cx)) {
                Some(Ok(frame)) => {
                    // Trailers carry nothing the byte stream needs.
                    if let Ok(data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Some(Err(err)) => return Poll::Ready(Some(Err(err))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// Buffers `body` up to `max` bytes without ever allocating more than that.
async fn collect_limited<B>(body: B, max: u64) -> Result<Bytes, Error>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut body = body;
    let hint = body.size_hint();
    if hint.lower() > max {
        return Err(Error::BodyLimit { limit: max });
    }
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut total: u64 = 0;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|err| into_error(err.into()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len() as u64);
        if total > max {
            return Err(Error::BodyLimit { limit: max });
        }
        // The common single-chunk body is returned as is, without a copy.
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            None => buf.extend_from_slice(&data),
            Some(previous) => {
                let expected = hint.exact().unwrap_or(total).min(max);
                buf.reserve(usize::try_from(expected).unwrap_or(usize::MAX).min(1 << 24));
                buf.extend_from_slice(&previous);
                buf.extend_from_slice(&data);
            }
        }
    }
    Ok(match first {
        Some(bytes) => bytes,
        None => buf.freeze(),
    })
}

/// Keeps our own errors as they are and wraps foreign ones as body read failures.
fn into_error(err: BoxError) -> Error {
    match err.downcast::<Error>() {
        Ok(err) => *err,
        Err(other) => Error::Body { source: other },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_timeout_fires_on_a_stalled_stream() {
        let stalled = futures_util::stream::pending::<Result<Bytes, Error>>();
        let body = ResponseBody::from_stream(stalled).with_idle_timeout(Duration::from_secs(5));
        let err = body.collect().await.expect_err("must time out");
        assert!(err.is_idle_timeout(), "{err}");
    }

    #[tokio::test]
    async fn multi_chunk_collect_concatenates() {
        let chunks = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"ab")),
            Ok(Bytes::from_static(b"cd")),
            Ok(Bytes::from_static(b"e")),
        ]);
        let body = ResponseBody::from_stream(chunks);
        assert_eq!(body.collect_limited(5).await.expect("fits"), "abcde");
    }
}
