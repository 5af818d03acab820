//! The SSE decoder against the WHATWG rules, under re-chunking, and against an oracle.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::StreamExt;
use proptest::prelude::*;
use shepherd_transport::sse::{Decoder, Event, EventStream};
use shepherd_transport::{Error, Limits};

fn msg(data: &str) -> Event {
    Event::new(data)
}

/// Every rule of the specification, one row each: input, expected events, pending at EOF.
fn table() -> Vec<(&'static str, Vec<u8>, Vec<Event>, bool)> {
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(b"data: after bom\n\n");
    let mut bom_later = b"data: a\n\n".to_vec();
    bom_later.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
    bom_later.extend_from_slice(b"data: b\n\n");
    vec![
        (
            "lf",
            b"data: a\n\ndata: b\n\n".to_vec(),
            vec![msg("a"), msg("b")],
            false,
        ),
        (
            "cr",
            b"data: a\r\rdata: b\r\r".to_vec(),
            vec![msg("a"), msg("b")],
            false,
        ),
        (
            "crlf",
            b"data: a\r\n\r\ndata: b\r\n\r\n".to_vec(),
            vec![msg("a"), msg("b")],
            false,
        ),
        (
            "mixed line ends",
            b"data: a\r\ndata: b\rdata: c\n\r\n".to_vec(),
            vec![msg("a\nb\nc")],
            false,
        ),
        ("bom at start", bom, vec![msg("after bom")], false),
        // A BOM later is part of a field name, which is then unknown and ignored.
        ("bom later", bom_later, vec![msg("a")], false),
        (
            "comment",
            b": keep-alive\n\n:\n\ndata: x\n: inside\n\n".to_vec(),
            vec![msg("x")],
            false,
        ),
        (
            "multi-line data",
            b"data: a\ndata: b\ndata: c\n\n".to_vec(),
            vec![msg("a\nb\nc")],
            false,
        ),
        (
            "empty data line",
            b"data\n\n".to_vec(),
            vec![msg("")],
            false,
        ),
        (
            "two empty data lines",
            b"data\ndata\n\n".to_vec(),
            vec![msg("\n")],
            false,
        ),
        (
            "no space after colon",
            b"data:x\n\n".to_vec(),
            vec![msg("x")],
            false,
        ),
        (
            "only one space stripped",
            b"data:  x \n\n".to_vec(),
            vec![msg(" x ")],
            false,
        ),
        (
            "tab is not stripped",
            b"data:\tx\n\n".to_vec(),
            vec![msg("\tx")],
            false,
        ),
        (
            "colon in value",
            b"data: a:b: c\n\n".to_vec(),
            vec![msg("a:b: c")],
            false,
        ),
        (
            "event type",
            b"event: delta\ndata: 1\n\ndata: 2\n\n".to_vec(),
            vec![msg("1").with_event("delta"), msg("2")],
            false,
        ),
        (
            "empty event type is message",
            b"event:\ndata: 1\n\n".to_vec(),
            vec![msg("1")],
            false,
        ),
        (
            "event without data is not dispatched",
            b"event: x\n\ndata: y\n\n".to_vec(),
            vec![msg("y")],
            false,
        ),
        (
            "id persists",
            b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n".to_vec(),
            vec![msg("a").with_id("7"), msg("b").with_id("7"), msg("c")],
            false,
        ),
        (
            "id with NUL is ignored",
            b"id: 1\0\ndata: a\n\n".to_vec(),
            vec![msg("a")],
            false,
        ),
        (
            "retry digits",
            b"retry: 1500\ndata: a\n\ndata: b\n\n".to_vec(),
            vec![msg("a").with_retry(Duration::from_millis(1500)), msg("b")],
            false,
        ),
        (
            "retry not digits",
            b"retry: 15x\ndata: a\n\nretry: \ndata: b\n\n".to_vec(),
            vec![msg("a"), msg("b")],
            false,
        ),
        (
            "unknown field",
            b"foo: bar\ndata: a\nDATA: b\n\n".to_vec(),
            vec![msg("a")],
            false,
        ),
        (
            "field without colon",
            b"data\nevent\n\n".to_vec(),
            vec![msg("")],
            false,
        ),
        (
            "unterminated event",
            b"data: a\n\ndata: b\n".to_vec(),
            vec![msg("a")],
            true,
        ),
        (
            "unterminated line",
            b"data: a\n\ndata: b".to_vec(),
            vec![msg("a")],
            true,
        ),
        (
            "trailing comment only",
            b"data: a\n\n: ping".to_vec(),
            vec![msg("a")],
            true,
        ),
        (
            "nothing pending",
            b"data: a\n\n".to_vec(),
            vec![msg("a")],
            false,
        ),
        (
            "unicode",
            "data: grüße 🦀\n\n".as_bytes().to_vec(),
            vec![msg("grüße 🦀")],
            false,
        ),
        (
            "invalid utf-8",
            b"data: a\xffb\n\n".to_vec(),
            vec![msg("a\u{FFFD}b")],
            false,
        ),
        (
            "done sentinel is data",
            b"data: [DONE]\n\n".to_vec(),
            vec![msg("[DONE]")],
            false,
        ),
        ("blank lines only", b"\n\n\r\n\r".to_vec(), vec![], false),
    ]
}

fn decode_chunks(chunks: &[&[u8]]) -> (Vec<Event>, bool) {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk).unwrap();
        events.extend(decoder.drain());
    }
    let pending = decoder.finish();
    (events, pending)
}

#[test]
fn table_whole_input() {
    for (name, input, expected, pending) in table() {
        let (events, was_pending) = decode_chunks(&[&input]);
        assert_eq!(events, expected, "{name}");
        assert_eq!(was_pending, pending, "{name}: pending at EOF");
    }
}

#[test]
fn table_split_at_every_boundary() {
    for (name, input, expected, pending) in table() {
        for split in 0..=input.len() {
            let (a, b) = input.split_at(split);
            let (events, was_pending) = decode_chunks(&[a, b]);
            assert_eq!(events, expected, "{name}, split at {split}");
            assert_eq!(was_pending, pending, "{name}, split at {split}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(
            decode_chunks(&bytes),
            (expected, pending),
            "{name}, byte by byte"
        );
    }
}

#[test]
fn retry_is_remembered_by_the_decoder() {
    let mut decoder = Decoder::new();
    decoder.feed(b"retry: 3000\n\n").unwrap();
    assert_eq!(decoder.queued(), 0);
    assert_eq!(decoder.retry(), Some(Duration::from_secs(3)));
}

#[test]
fn line_limit_is_enforced_across_chunks() {
    let mut decoder = Decoder::with_limits(16, 1024);
    decoder.feed(b"data: 0123456").unwrap();
    let err = decoder.feed(b"789abcdef").unwrap_err();
    assert!(matches!(err, Error::SseLineLimit { limit: 16 }), "{err}");
    assert!(err.is_sse_limit());
    assert!(decoder.pending_bytes() <= 16);
}

#[test]
fn event_limit_is_enforced_over_many_lines() {
    let mut decoder = Decoder::with_limits(64, 20);
    decoder.feed(b"data: 0123456789\n").unwrap();
    let err = decoder.feed(b"data: 0123456789\n").unwrap_err();
    assert!(matches!(err, Error::SseEventLimit { limit: 20 }), "{err}");
}

#[test]
fn events_before_a_limit_error_are_kept() {
    let mut decoder = Decoder::with_limits(8, 64);
    let err = decoder
        .feed(b"data: a\n\ndata: far too long\n")
        .unwrap_err();
    assert!(err.is_sse_limit());
    assert_eq!(decoder.next_event(), Some(msg("a")));
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn chunk_stream(
    chunks: Vec<Vec<u8>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, Error>> {
    futures_util::stream::iter(chunks.into_iter().map(|c| Ok(bytes::Bytes::from(c))))
}

#[test]
fn stream_reports_truncation_after_the_complete_events() {
    let chunks = vec![b"data: a\n\nda".to_vec(), b"ta: b\n".to_vec()];
    let results: Vec<_> = block_on(EventStream::new(chunk_stream(chunks)).collect());
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().unwrap(), &msg("a"));
    let err = results[1].as_ref().unwrap_err();
    assert!(err.is_sse_truncated(), "{err}");
}

#[test]
fn stream_can_accept_truncation() {
    let chunks = vec![b"data: a\n\ndata: b".to_vec()];
    let events: Vec<_> = block_on(
        EventStream::new(chunk_stream(chunks))
            .allow_truncated()
            .collect(),
    );
    assert_eq!(events.len(), 1);
    assert!(events[0].is_ok());
}

#[test]
fn stream_applies_limits() {
    let limits = Limits::default().max_sse_line_bytes(10);
    let chunks = vec![b"data: ok\n\n".to_vec(), vec![b'x'; 100]];
    let results: Vec<_> =
        block_on(EventStream::with_limits(chunk_stream(chunks), &limits).collect());
    assert_eq!(results[0].as_ref().unwrap(), &msg("ok"));
    assert!(results[1].as_ref().unwrap_err().is_sse_limit());
    assert_eq!(results.len(), 2);
}

/// One line of a generated stream.
fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 {}\":,é🦀]{0,20}".prop_map(|v| format!("data: {v}")),
        1 => "[a-z]{0,8}".prop_map(|v| format!("event: {v}")),
        1 => "[a-z0-9]{0,8}".prop_map(|v| format!("id: {v}")),
        1 => "[a-z ]{0,10}".prop_map(|v| format!(":{v}")),
        1 => "[0-9]{1,5}".prop_map(|v| format!("retry: {v}")),
        2 => Just(String::new()),
    ]
}

fn ending_strategy() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]
}

fn stream_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((line_strategy(), ending_strategy()), 0..40).prop_map(|lines| {
        let mut out = Vec::new();
        for (line, ending) in lines {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(ending.as_bytes());
        }
        out
    })
}

fn split_at_points(input: &[u8], mut points: Vec<usize>) -> Vec<Vec<u8>> {
    points.iter_mut().for_each(|p| *p %= input.len() + 1);
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points {
        chunks.push(input[start..p].to_vec());
        start = p;
    }
    chunks.push(input[start..].to_vec());
    chunks
}

/// Cases per property: 1024 in the normal test run; `cargo xtask fuzz` raises it through
/// `SHEPHERD_SSE_CASES` (cargo-fuzz needs nightly, which this project's machines lack).
fn cases(default: u32) -> u32 {
    std::env::var("SHEPHERD_SSE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1024)))]

    #[test]
    fn rechunking_yields_the_same_events(
        input in stream_strategy(),
        points in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let whole = decode_chunks(&[&input]);
        let chunks = split_at_points(&input, points);
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(decode_chunks(&refs), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_memory_stays_bounded(
        input in prop::collection::vec(any::<u8>(), 0..2048),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let (max_line, max_event) = (64, 256);
        let mut decoder = Decoder::with_limits(max_line, max_event);
        for chunk in split_at_points(&input, points) {
            let _ = decoder.feed(&chunk);
            prop_assert!(decoder.pending_bytes() <= max_line + max_event + 3);
            decoder.drain().for_each(drop);
        }
        decoder.finish();
    }
}

/// Events as the `eventsource-stream` crate sees them, for comparison.
fn oracle(input: &[u8]) -> Vec<(String, String)> {
    use eventsource_stream::Eventsource;
    let chunks = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(input.to_vec())]);
    block_on(chunks.eventsource().collect::<Vec<_>>())
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| (e.event, e.data))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// On streams both parsers handle (LF line ends, every block ends with a blank line and has
    /// data), the events are the same.
    #[test]
    fn agrees_with_eventsource_stream(
        blocks in prop::collection::vec(
            (
                prop::option::of("[a-z]{1,8}"),
                prop::collection::vec("[a-zA-Z0-9 {}\":,]{0,20}", 1..4),
            ),
            0..20,
        ),
    ) {
        let mut input = String::new();
        for (event, data) in &blocks {
            if let Some(event) = event {
                input.push_str(&format!("event: {event}\n"));
            }
            for line in data {
                input.push_str(&format!("data: {line}\n"));
            }
            input.push('\n');
        }
        let (ours, _) = decode_chunks(&[input.as_bytes()]);
        let ours: Vec<(String, String)> = ours
            .into_iter()
            .map(|e| (e.event().to_owned(), e.data().to_owned()))
            .collect();
        prop_assert_eq!(ours, oracle(input.as_bytes()));
    }
}
