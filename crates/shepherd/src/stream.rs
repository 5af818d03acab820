//! A streamed chat completion: typed chunks, the running accumulation, and the final usage.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_util::StreamExt;
use shepherd_resilience::concurrency::ConcurrencyPermit;
use shepherd_transport::ResponseBody;
use shepherd_transport::sse::{Event, EventStream};
use shepherd_types::Usage;
use shepherd_types::anthropic::{ChunkConverter, StreamEvent};
use shepherd_types::chat::{ChatChunk, ChatResponse, StreamAccumulator};
use shepherd_types::error::ApiError;

use crate::Error;
use crate::chat::StreamSettlement;
use crate::response::ResponseMeta;

/// How events become chunks.
pub(crate) enum Decoder {
    /// OpenAI chunks, ending with `data: [DONE]`.
    OpenAi,
    /// Anthropic events converted to chunks, ending with `message_stop`.
    Anthropic(Box<ChunkConverter>),
}

/// A stream of [`ChatChunk`]s from a streaming chat completion.
///
/// Every chunk is also folded into an accumulator, so after the stream ends
/// [`ChatStream::response`] gives the same [`ChatResponse`] a non-streaming
/// call would have returned, and [`ChatStream::usage`] the final usage.
///
/// An `error` event inside the stream becomes an `Err` item ([`Error::StreamEvent`]);
/// a stream that ends before `[DONE]` or a finish reason yields
/// [`Error::StreamTruncated`]. After an error the stream ends.
///
/// Dropping the stream closes the request's connection (the rest of the body is
/// not read) and releases its concurrency permit at once.
///
/// # Examples
///
/// ```no_run
/// # async fn run(client: shepherd::Client) -> Result<(), shepherd::Error> {
/// use futures_util::StreamExt;
/// use shepherd::types::chat::ChatRequest;
///
/// let mut stream = client.chat_stream(ChatRequest::new("gpt-4.1").user("Tell a story")).await?;
/// while let Some(chunk) = stream.next().await {
///     print!("{}", chunk?.text());
/// }
/// println!("\n{:?}", stream.usage());
/// # Ok(()) }
/// ```
pub struct ChatStream {
    events: EventStream<ResponseBody>,
    decoder: Decoder,
    path: &'static str,
    pending: VecDeque<ChatChunk>,
    accumulator: StreamAccumulator,
    usage: Option<Usage>,
    saw_finish: bool,
    done: bool,
    chunks: usize,
    _permit: Option<ConcurrencyPermit>,
    settlement: Option<StreamSettlement>,
    meta: Option<ResponseMeta>,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("path", &self.path)
            .field("chunks", &self.chunks)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl ChatStream {
    pub(crate) fn new(
        events: EventStream<ResponseBody>,
        decoder: Decoder,
        path: &'static str,
        permit: Option<ConcurrencyPermit>,
    ) -> Self {
        ChatStream {
            events,
            decoder,
            path,
            pending: VecDeque::new(),
            accumulator: StreamAccumulator::new(),
            usage: None,
            saw_finish: false,
            done: false,
            chunks: 0,
            _permit: permit,
            settlement: None,
            meta: None,
        }
    }

    pub(crate) fn set_settlement(&mut self, settlement: StreamSettlement) {
        self.settlement = Some(settlement);
    }

    pub(crate) fn set_meta(&mut self, meta: ResponseMeta) {
        self.meta = Some(meta);
    }

    /// Reads until the first chunk is buffered (or the stream ends), so that a failure
    /// before it surfaces inside the retried attempt.
    pub(crate) async fn prime(&mut self) -> Result<(), Error> {
        while self.pending.is_empty() && !self.done {
            match self.events.next().await {
                Some(Ok(event)) => self.on_event(&event)?,
                Some(Err(e)) => return Err(e.into()),
                None => return self.on_end(),
            }
        }
        Ok(())
    }

    /// The usage of the final chunk, once it has arrived.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// Everything received so far, folded into one response (complete once the stream ended).
    pub fn response(&self) -> ChatResponse {
        self.accumulator.snapshot()
    }

    /// Status, request id, latency to the first chunk, attempts, and (after the end) cost.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        self.meta.as_ref()
    }

    /// Reads the rest of the stream and returns the accumulated response.
    ///
    /// # Errors
    ///
    /// The first error item.
    pub async fn collect_response(mut self) -> Result<ChatResponse, Error> {
        while let Some(item) = self.next().await {
            item?;
        }
        Ok(self.accumulator.finish())
    }

    fn on_event(&mut self, event: &Event) -> Result<(), Error> {
        if event.event() == "error" {
            self.done = true;
            let error = ApiError::from_body(event.data().as_bytes()).unwrap_or_default();
            return Err(Error::StreamEvent(Box::new(error)));
        }
        match &mut self.decoder {
            Decoder::OpenAi => {
                if event.is_done() {
                    self.done = true;
                    return Ok(());
                }
                if event.data().trim().is_empty() {
                    return Ok(());
                }
                if event.data().trim_start().starts_with("{\"error\"") {
                    self.done = true;
                    let error = ApiError::from_body(event.data().as_bytes()).unwrap_or_default();
                    return Err(Error::StreamEvent(Box::new(error)));
                }
                let chunk: ChatChunk = serde_json::from_str(event.data()).map_err(|e| {
                    Error::decode(
                        "chat completion chunk",
                        self.path,
                        e,
                        event.data().as_bytes(),
                    )
                })?;
                self.push_chunk(chunk);
            }
            Decoder::Anthropic(converter) => {
                if event.data().trim().is_empty() {
                    return Ok(());
                }
                let parsed: StreamEvent = serde_json::from_str(event.data()).map_err(|e| {
                    Error::decode(
                        "message stream event",
                        self.path,
                        e,
                        event.data().as_bytes(),
                    )
                })?;
                let chunks = converter.push(&parsed).map_err(|e| {
                    let body = serde_json::to_vec(&e).unwrap_or_default();
                    Error::StreamEvent(Box::new(ApiError::from_body(&body).unwrap_or_default()))
                })?;
                let finished = converter.is_done();
                for chunk in chunks {
                    self.push_chunk(chunk);
                }
                if finished {
                    self.done = true;
                }
            }
        }
        Ok(())
    }

    fn push_chunk(&mut self, chunk: ChatChunk) {
        self.accumulator.push(&chunk);
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.clone());
        }
        if chunk.choices.iter().any(|c| c.finish_reason.is_some()) {
            self.saw_finish = true;
        }
        self.chunks += 1;
        self.pending.push_back(chunk);
    }

    fn on_end(&mut self) -> Result<(), Error> {
        self.done = true;
        // Some servers omit `[DONE]`; a finish reason is as good a proof of completeness.
        if self.saw_finish {
            Ok(())
        } else {
            Err(Error::StreamTruncated {
                endpoint: self.path.to_owned(),
                chunks: self.chunks,
            })
        }
    }

    fn settle(&mut self) {
        if let Some(settlement) = self.settlement.take() {
            let usage = self.usage.clone().unwrap_or_default();
            if let Some(meta) = &mut self.meta {
                settlement.finish(meta, &usage);
            }
        }
    }
}

impl Stream for ChatStream {
    type Item = Result<ChatChunk, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(chunk) = this.pending.pop_front() {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if this.done {
                this.settle();
                return Poll::Ready(None);
            }
            let item = ready!(this.events.poll_next_unpin(cx));
            let result = match item {
                Some(Ok(event)) => this.on_event(&event),
                Some(Err(e)) => {
                    this.done = true;
                    Err(e.into())
                }
                None => this.on_end(),
            };
            if let Err(e) = result {
                this.done = true;
                this.pending.clear();
                this.settle();
                return Poll::Ready(Some(Err(e)));
            }
        }
    }
}
