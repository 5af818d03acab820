//! A stream adaptor turning a body of bytes into a stream of server-sent events.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use http::header::CONTENT_TYPE;

use crate::body::ResponseBody;
use crate::error::Error;
use crate::limits::Limits;
use crate::sse::{Decoder, Event};

/// How much of a non-event-stream body [`EventStream::from_response`] keeps for the error.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

pin_project_lite::pin_project! {
    /// A [`Stream`] of [`Event`]s decoded from a stream of byte chunks.
    ///
    /// Events completed before an error (a size limit, a reset connection, a timeout) are
    /// yielded first, then the error, then the stream ends. If the bytes end in the middle of
    /// an event, that event is discarded and the stream ends with [`Error::SseTruncated`],
    /// unless [`allow_truncated`](EventStream::allow_truncated) was called.
    ///
    /// `[DONE]` is ordinary data here; use [`Event::is_done`] to stop on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::StreamExt;
    /// use shepherd_transport::sse::EventStream;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let chunks = futures_util::stream::iter([
    ///     Ok::<_, shepherd_transport::Error>(Bytes::from_static(b"data: hel")),
    ///     Ok(Bytes::from_static(b"lo\n\ndata: [DONE]\n\n")),
    /// ]);
    /// let mut events = EventStream::new(chunks);
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     if event.is_done() {
    ///         break;
    ///     }
    ///     assert_eq!(event.data(), "hello");
    /// }
    /// # Ok::<(), shepherd_transport::Error>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct EventStream<S> {
        #[pin]
        inner: S,
        decoder: Decoder,
        error: Option<Error>,
        done: bool,
        allow_truncated: bool,
    }
}

impl<S> std::fmt::Debug for EventStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("decoder", &self.decoder)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<S> EventStream<S> {
    /// Decodes `inner` with the default SSE limits.
    pub fn new(inner: S) -> Self {
        Self::with_decoder(inner, Decoder::new())
    }

    /// Decodes `inner` with the SSE line and event limits of `limits`.
    pub fn with_limits(inner: S, limits: &Limits) -> Self {
        Self::with_decoder(
            inner,
            Decoder::with_limits(limits.sse_line_bytes(), limits.sse_event_bytes()),
        )
    }

    /// Decodes `inner` with a configured decoder.
    pub fn with_decoder(inner: S, decoder: Decoder) -> Self {
        EventStream {
            inner,
            decoder,
            error: None,
            done: false,
            allow_truncated: false,
        }
    }

    /// Ends quietly instead of with [`Error::SseTruncated`] when the bytes end mid-event
    /// (the unfinished event is discarded either way).
    pub fn allow_truncated(mut self) -> Self {
        self.allow_truncated = true;
        self
    }

    /// The underlying decoder (for example to read the latest `retry:` value).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }
}

impl EventStream<ResponseBody> {
    /// Turns a response into an event stream after checking that it is one.
    ///
    /// A response whose `Content-Type` is present and is not `text/event-stream` — a JSON error
    /// body, or a server that ignored `"stream": true` — is read (up to 64 KiB) and returned as
    /// [`Error::NotEventStream`] with its status and body, so the caller gets a clear error
    /// instead of a hang or a parse failure. A missing `Content-Type` is accepted, because some
    /// proxies drop it. The status code is not checked: that is the caller's business.
    ///
    /// # Errors
    ///
    /// [`Error::NotEventStream`], or the error that happened while reading that body.
    pub async fn from_response(
        response: http::Response<ResponseBody>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let is_event_stream = content_type.as_deref().is_none_or(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
        });
        if is_event_stream {
            return Ok(Self::with_limits(response.into_body(), limits));
        }
        let status = response.status();
        let body = match response.into_body().collect_limited(ERROR_BODY_LIMIT).await {
            Ok(body) => body,
            Err(err) if err.is_body_limit() => Bytes::from_static(b"(body too large to show)"),
            Err(err) => return Err(err),
        };
        Err(Error::NotEventStream {
            status,
            content_type,
            body,
        })
    }
}

impl<S, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<Error>,
{
    type Item = Result<Event, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if let Some(event) = this.decoder.next_event() {
                return Poll::Ready(Some(Ok(event)));
            }
            if let Some(err) = this.error.take() {
                return Poll::Ready(Some(Err(err)));
            }
            if *this.done {
                return Poll::Ready(None);
            }
            match ready!(this.inner.as_mut().poll_next(cx)) {
                Some(Ok(bytes)) => {
                    if let Err(err) = this.decoder.feed(&bytes) {
                        *this.error = Some(err);
                        *this.done = true;
                    }
                }
                Some(Err(err)) => {
                    *this.error = Some(err.into());
                    *this.done = true;
                }
                None => {
                    let pending = this.decoder.pending_bytes();
                    if this.decoder.finish() && !*this.allow_truncated {
                        *this.error = Some(Error::SseTruncated { pending });
                    }
                    *this.done = true;
                }
            }
        }
    }
}
