//! Size limits that keep a misbehaving server from exhausting the client's memory.

/// Default for [`Limits::max_body_bytes`]: 64 MiB.
///
/// Large enough for a batch of 2048 base64 embeddings or a long transcript, small enough that a
/// runaway response cannot take the process down. Raise it for very large embedding batches
/// returned as JSON floats.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Default for [`Limits::max_sse_line_bytes`]: 1 MiB.
///
/// A streamed chat chunk is usually well under 1 KiB; tool-call arguments and logprobs can make
/// single lines a few hundred KiB.
pub const DEFAULT_MAX_SSE_LINE_BYTES: usize = 1024 * 1024;

/// Default for [`Limits::max_sse_event_bytes`]: 4 MiB.
pub const DEFAULT_MAX_SSE_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// Size limits, enforced while reading so the client never allocates beyond them.
///
/// Exceeding a limit ends the read with [`Error::BodyLimit`](crate::Error::BodyLimit),
/// [`Error::SseLineLimit`](crate::Error::SseLineLimit) or
/// [`Error::SseEventLimit`](crate::Error::SseEventLimit).
///
/// # Examples
///
/// ```
/// use shepherd_transport::Limits;
///
/// let limits = Limits::default().max_body_bytes(1 << 20);
/// assert_eq!(limits.body_bytes(), 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_body_bytes: u64,
    max_sse_line_bytes: usize,
    max_sse_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_sse_line_bytes: DEFAULT_MAX_SSE_LINE_BYTES,
            max_sse_event_bytes: DEFAULT_MAX_SSE_EVENT_BYTES,
        }
    }
}

impl Limits {
    /// Limits with the documented defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest response body that may be buffered in memory
    /// (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the longest SSE line (default [`DEFAULT_MAX_SSE_LINE_BYTES`]).
    pub fn max_sse_line_bytes(mut self, bytes: usize) -> Self {
        self.max_sse_line_bytes = bytes;
        self
    }

    /// Sets the largest SSE event, counting its data and type
    /// (default [`DEFAULT_MAX_SSE_EVENT_BYTES`]).
    pub fn max_sse_event_bytes(mut self, bytes: usize) -> Self {
        self.max_sse_event_bytes = bytes;
        self
    }

    /// The largest response body that may be buffered.
    pub fn body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// The longest SSE line.
    pub fn sse_line_bytes(&self) -> usize {
        self.max_sse_line_bytes
    }

    /// The largest SSE event.
    pub fn sse_event_bytes(&self) -> usize {
        self.max_sse_event_bytes
    }
}
