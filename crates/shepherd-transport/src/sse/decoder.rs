//! Incremental, sans-IO `text/event-stream` parser following the WHATWG EventSource rules.

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::Error;
use crate::limits::{DEFAULT_MAX_SSE_EVENT_BYTES, DEFAULT_MAX_SSE_LINE_BYTES};
use crate::sse::Event;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// An incremental server-sent events parser: bytes in, [`Event`]s out.
///
/// It follows the WHATWG "event stream interpretation" rules: LF, CR and CRLF line ends (also
/// when the CR and the LF arrive in different chunks), a UTF-8 BOM at the very start, comment
/// lines, `data` lines joined with `\n`, `event`, `id` (ignored if it contains NUL), `retry`
/// (ignored unless all digits), one leading space stripped after the colon, a line without a
/// colon as a field with an empty value, unknown fields ignored, dispatch on a blank line.
///
/// Chunks may be split anywhere, including inside a UTF-8 character. The decoder works on bytes
/// and decodes UTF-8 once per dispatched field (invalid sequences become U+FFFD, as browsers
/// do); only an unfinished line is copied between chunks, never the rest of the buffer.
///
/// An event that is not finished by a blank line when the input ends is discarded, as the
/// specification says; [`finish`](Decoder::finish) reports whether that happened so the caller
/// can report a truncated stream.
///
/// # Examples
///
/// ```
/// use shepherd_transport::sse::Decoder;
///
/// let mut decoder = Decoder::new();
/// decoder.feed(b"data: {\"a\":1}\n\nda")?;
/// decoder.feed(b"ta: [DONE]\n\n")?;
///
/// let first = decoder.next_event().expect("first event");
/// assert_eq!(first.data(), "{\"a\":1}");
/// assert!(decoder.next_event().expect("second event").is_done());
/// assert!(!decoder.finish(), "nothing was pending");
/// # Ok::<(), shepherd_transport::Error>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    /// The unfinished last line of the previous chunks (only ever this is copied).
    partial: Vec<u8>,
    /// The previous chunk ended in CR, so a LF at the start of the next chunk ends no line.
    pending_cr: bool,
    /// How many BOM bytes matched so far; `None` once the start of the stream is past.
    bom_matched: Option<usize>,
    data: Vec<u8>,
    has_data: bool,
    event_type: Vec<u8>,
    last_id: Option<String>,
    event_retry: Option<Duration>,
    retry: Option<Duration>,
    events: VecDeque<Event>,
    max_line: usize,
    max_event: usize,
    failed: Option<Failure>,
}

#[derive(Debug, Clone, Copy)]
enum Failure {
    Line,
    Event,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with the default limits
    /// ([`DEFAULT_MAX_SSE_LINE_BYTES`](crate::limits::DEFAULT_MAX_SSE_LINE_BYTES),
    /// [`DEFAULT_MAX_SSE_EVENT_BYTES`](crate::limits::DEFAULT_MAX_SSE_EVENT_BYTES)).
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_SSE_LINE_BYTES, DEFAULT_MAX_SSE_EVENT_BYTES)
    }

    /// A decoder that fails with [`Error::SseLineLimit`] on a line longer than `max_line` bytes
    /// and with [`Error::SseEventLimit`] on an event whose data and type exceed `max_event`
    /// bytes. Memory use stays bounded by roughly the sum of the two.
    pub fn with_limits(max_line: usize, max_event: usize) -> Self {
        Decoder {
            partial: Vec::new(),
            pending_cr: false,
            bom_matched: Some(0),
            data: Vec::new(),
            has_data: false,
            event_type: Vec::new(),
            last_id: None,
            event_retry: None,
            retry: None,
            events: VecDeque::new(),
            max_line,
            max_event,
            failed: None,
        }
    }

    /// Parses a chunk of the stream, queueing every event it completes.
    ///
    /// # Errors
    ///
    /// [`Error::SseLineLimit`] or [`Error::SseEventLimit`] when a limit is exceeded. Events
    /// completed before the offending line stay queued; after an error the decoder ignores
    /// further input and returns the same error again.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if let Some(failure) = self.failed {
            return Err(self.failure_error(failure));
        }
        let result = self.feed_inner(chunk);
        if let Err(err) = &result {
            self.failed = match err {
                Error::SseLineLimit { .. } => Some(Failure::Line),
                _ => Some(Failure::Event),
            };
        }
        result
    }

    /// Takes the next completed event, oldest first.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Takes all completed events, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.events.drain(..)
    }

    /// How many completed events are waiting to be taken.
    pub fn queued(&self) -> usize {
        self.events.len()
    }

    /// The reconnection time from the latest valid `retry:` field, if any.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// How many bytes of an unfinished event are held: an unterminated line, plus the data and
    /// type of an event not yet ended by a blank line.
    pub fn pending_bytes(&self) -> usize {
        let bom = self.bom_matched.unwrap_or(0);
        let data = if self.has_data {
            self.data.len().max(1)
        } else {
            0
        };
        bom + self.partial.len() + data + self.event_type.len()
    }

    /// Ends the stream: discards an unfinished event (it is never dispatched) and returns
    /// `true` if there was one, so the caller can report a truncated stream. Queued events
    /// remain available, and the decoder can be reused for a new stream afterwards.
    pub fn finish(&mut self) -> bool {
        let pending = self.pending_bytes() > 0;
        self.partial.clear();
        self.pending_cr = false;
        self.bom_matched = Some(0);
        self.reset_event();
        self.failed = None;
        pending
    }

    fn failure_error(&self, failure: Failure) -> Error {
        match failure {
            Failure::Line => Error::SseLineLimit {
                limit: self.max_line,
            },
            Failure::Event => Error::SseEventLimit {
                limit: self.max_event,
            },
        }
    }

    fn feed_inner(&mut self, mut rest: &[u8]) -> Result<(), Error> {
        if let Some(matched) = self.bom_matched {
            rest = self.skip_bom(matched, rest);
            if self.bom_matched.is_some() {
                return Ok(());
            }
        }
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', rest) {
            if self.partial.is_empty() {
                self.check_line(pos)?;
                self.process_line(&rest[..pos])?;
            } else {
                self.check_line(self.partial.len() + pos)?;
                self.partial.extend_from_slice(&rest[..pos]);
                let line = std::mem::take(&mut self.partial);
                let result = self.process_line(&line);
                self.partial = line;
                self.partial.clear();
                result?;
            }
            let mut next = pos + 1;
            if rest[pos] == b'\r' {
                match rest.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            rest = &rest[next..];
        }
        if !rest.is_empty() {
            self.check_line(self.partial.len() + rest.len())?;
            self.partial.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Consumes a (possibly split) BOM at the start of the stream; returns the bytes after it.
    fn skip_bom<'a>(&mut self, mut matched: usize, rest: &'a [u8]) -> &'a [u8] {
        let mut i = 0;
        while matched < BOM.len() {
            match rest.get(i) {
                None => {
                    self.bom_matched = Some(matched);
                    return &rest[i..];
                }
                Some(&byte) if byte == BOM[matched] => {
                    matched += 1;
                    i += 1;
                }
                Some(_) => {
                    // Not a BOM after all: the bytes matched so far are line content.
                    self.partial.extend_from_slice(&BOM[..matched]);
                    self.bom_matched = None;
                    return &rest[i..];
                }
            }
        }
        self.bom_matched = None;
        &rest[i..]
    }

    fn check_line(&self, len: usize) -> Result<(), Error> {
        if len > self.max_line {
            return Err(Error::SseLineLimit {
                limit: self.max_line,
            });
        }
        Ok(())
    }

    fn process_line(&mut self, line: &[u8]) -> Result<(), Error> {
        if line.is_empty() {
            self.dispatch();
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(0) => return Ok(()),
            Some(colon) => {
                let value = &line[colon + 1..];
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (&line[..colon], value)
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                let extra = value.len() + usize::from(self.has_data);
                if self.data.len() + self.event_type.len() + extra > self.max_event {
                    return Err(Error::SseEventLimit {
                        limit: self.max_event,
                    });
                }
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                if self.data.len() + value.len() > self.max_event {
                    return Err(Error::SseEventLimit {
                        limit: self.max_event,
                    });
                }
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            b"id" if !value.contains(&0) => {
                self.last_id = if value.is_empty() {
                    None
                } else {
                    Some(utf8_lossy(value.to_vec()))
                };
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // All ASCII digits, so this parse fails only on overflow; ignore that too.
                if let Some(ms) = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    let retry = Duration::from_millis(ms);
                    self.retry = Some(retry);
                    self.event_retry = Some(retry);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        if !self.has_data {
            self.reset_event();
            return;
        }
        let data = utf8_lossy(std::mem::take(&mut self.data));
        let event = if self.event_type.is_empty() {
            None
        } else {
            Some(utf8_lossy(std::mem::take(&mut self.event_type)))
        };
        self.events.push_back(Event {
            event,
            data,
            id: self.last_id.clone(),
            retry: self.event_retry,
        });
        self.reset_event();
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event_type.clear();
        self.event_retry = None;
    }
}

/// Decodes UTF-8 without copying valid input; invalid sequences become U+FFFD.
fn utf8_lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> Vec<Event> {
        let mut d = Decoder::new();
        d.feed(input).expect("within limits");
        d.drain().collect()
    }

    #[test]
    fn split_crlf_is_one_line_end() {
        let mut d = Decoder::new();
        d.feed(b"data: a\r").expect("ok");
        d.feed(b"\n\r").expect("ok");
        d.feed(b"\n").expect("ok");
        let events: Vec<_> = d.drain().collect();
        assert_eq!(events, vec![Event::new("a")]);
    }

    #[test]
    fn bom_only_at_start() {
        let mut input = BOM.to_vec();
        input.extend_from_slice(b"data: x\n\n");
        assert_eq!(decode(&input), vec![Event::new("x")]);
    }

    #[test]
    fn failed_decoder_repeats_its_error() {
        let mut d = Decoder::with_limits(4, 100);
        assert!(
            d.feed(b"data: too long\n")
                .expect_err("limit")
                .is_sse_limit()
        );
        assert!(d.feed(b"\n").expect_err("still failed").is_sse_limit());
    }
}
