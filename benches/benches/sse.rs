//! SSE decoding throughput on a realistic chat completion stream: shepherd vs eventsource-stream.

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use shepherd_transport::sse::{Decoder, EventStream};

/// A streamed chat completion as OpenAI sends it: one `data:` event per token, a final chunk
/// with `finish_reason`, usage, then `[DONE]`. About 2.9 MB for 10 000 tokens.
fn chat_stream(tokens: usize) -> Vec<u8> {
    let words = [
        "Hello",
        " world",
        ",",
        " this",
        " is",
        " a",
        " streamed",
        " answer",
        " über",
        " 🦀",
    ];
    let mut out = Vec::new();
    for i in 0..tokens {
        let word = words[i % words.len()];
        out.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\
                 \"created\":1741569952,\"model\":\"gpt-4.1-2025-04-14\",\"service_tier\":\"default\",\
                 \"system_fingerprint\":\"fp_b376dfbbd5\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}},\
                 \"logprobs\":null,\"finish_reason\":null}}]}}\n\n"
            )
            .as_bytes(),
        );
        if i % 500 == 0 {
            out.extend_from_slice(b": keep-alive\n\n");
        }
    }
    out.extend_from_slice(
        b"data: {\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\
          \"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\
          \"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10000,\"total_tokens\":10019}}\n\ndata: [DONE]\n\n",
    );
    out
}

/// Splits the stream like a network would: fixed-size reads that ignore event boundaries.
fn chunks(stream: &[u8], size: usize) -> Vec<Bytes> {
    stream.chunks(size).map(Bytes::copy_from_slice).collect()
}

fn sse(c: &mut Criterion) {
    let stream = chat_stream(10_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    for size in [1460, 16 * 1024] {
        let parts = chunks(&stream, size);
        let mut group = c.benchmark_group(format!("sse_decode/{size}B_reads"));
        group.throughput(Throughput::Bytes(stream.len() as u64));

        group.bench_function("shepherd_decoder", |b| {
            b.iter(|| {
                let mut decoder = Decoder::new();
                let mut count = 0usize;
                for part in &parts {
                    decoder.feed(part).expect("within limits");
                    for event in decoder.drain() {
                        count += event.data().len();
                    }
                }
                black_box(count)
            })
        });

        group.bench_function("shepherd_event_stream", |b| {
            b.to_async(&runtime).iter(|| async {
                let source = futures_util::stream::iter(
                    parts
                        .iter()
                        .cloned()
                        .map(Ok::<_, shepherd_transport::Error>),
                );
                let mut events = EventStream::new(source);
                let mut count = 0usize;
                while let Some(event) = events.next().await {
                    count += event.expect("valid stream").data().len();
                }
                black_box(count)
            })
        });

        group.bench_function("eventsource_stream", |b| {
            b.to_async(&runtime).iter(|| async {
                let source = futures_util::stream::iter(
                    parts.iter().cloned().map(Ok::<_, std::convert::Infallible>),
                );
                let mut events = source.eventsource();
                let mut count = 0usize;
                while let Some(event) = events.next().await {
                    count += event.expect("valid stream").data.len();
                }
                black_box(count)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, sse);
criterion_main!(benches);
