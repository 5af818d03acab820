//! Fuzzes the SSE decoder: no panic, bounded memory, the same events under re-chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shepherd_transport::sse::{Decoder, Event};

const MAX_LINE: usize = 256;
const MAX_EVENT: usize = 1024;

/// Decodes `chunks`; returns the events, whether a limit error ended the stream, and whether
/// an unfinished event was pending at the end.
fn decode<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> (Vec<Event>, bool, bool) {
    let mut decoder = Decoder::with_limits(MAX_LINE, MAX_EVENT);
    let mut events = Vec::new();
    let mut failed = false;
    for chunk in chunks {
        failed = decoder.feed(chunk).is_err();
        assert!(decoder.pending_bytes() <= MAX_LINE + MAX_EVENT + 3);
        events.extend(decoder.drain());
        if failed {
            break;
        }
    }
    let pending = !failed && decoder.finish();
    (events, failed, pending)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let whole = decode(std::iter::once(input));
    let step = usize::from(seed % 31) + 1;
    assert_eq!(decode(input.chunks(step)), whole);
    assert_eq!(decode(input.chunks(1)), whole);
});
