//! Deserializing chat completions and streams: serde_json against sonic-rs.
//!
//! Two workloads: one typical non-streaming completion (about 1.5 KB, with
//! usage details and a tool call), and a 100-chunk stream parsed chunk by
//! chunk and folded with `StreamAccumulator`, as a streaming client does.
//! Both parsers drive the same serde impls, so the difference is the parser.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use serde_json::json;
use shepherd_types::chat::{ChatChunk, ChatResponse, StreamAccumulator};

/// A completion as OpenAI returns it: text, a tool call, usage details.
fn completion() -> String {
    let text = "Das Produkt 42 ist ein robuster Wanderrucksack mit 30 Litern Volumen, \
                wasserdichtem Boden und gepolsterten Schultergurten. Kunden loben die \
                Verarbeitung und die vielen Fächer; kritisiert wird nur das Gewicht. "
        .repeat(3);
    json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4.1-2025-04-14",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": text,
                "refusal": null,
                "annotations": [],
                "tool_calls": [{
                    "id": "call_abc123",
                    "type": "function",
                    "function": {"name": "lookup_product", "arguments": "{\"product_id\":42,\"fields\":[\"price\",\"stock\"]}"}
                }]
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {
            "prompt_tokens": 1117,
            "completion_tokens": 146,
            "total_tokens": 1263,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0
            }
        },
        "service_tier": "default",
        "system_fingerprint": "fp_fc9f1d7035"
    })
    .to_string()
}

/// 100 `data:` payloads: a role chunk, 97 one-token chunks, a finish chunk
/// and the usage-only chunk.
fn stream() -> Vec<String> {
    let chunk = |choices: serde_json::Value| {
        json!({
            "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1_694_268_190,
            "model": "gpt-4.1-2025-04-14", "system_fingerprint": "fp_44709d6fcb",
            "service_tier": "default", "obfuscation": "r4N7vQ2m", "choices": choices
        })
        .to_string()
    };
    let mut events = vec![chunk(json!([{
        "index": 0, "delta": {"role": "assistant", "content": "", "refusal": null},
        "logprobs": null, "finish_reason": null
    }]))];
    let words = [
        "Das",
        " Produkt",
        " ist",
        " robust",
        ",",
        " leicht",
        " und",
        " günstig",
        ".",
    ];
    for i in 0..97 {
        events.push(chunk(json!([{
            "index": 0, "delta": {"content": words[i % words.len()]},
            "logprobs": null, "finish_reason": null
        }])));
    }
    events.push(chunk(
        json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]),
    ));
    let mut usage = json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1_694_268_190,
        "model": "gpt-4.1-2025-04-14", "choices": [],
        "usage": {"prompt_tokens": 19, "completion_tokens": 97, "total_tokens": 116,
                  "prompt_tokens_details": {"cached_tokens": 0}}
    });
    usage["obfuscation"] = json!("");
    events.push(usage.to_string());
    assert_eq!(events.len(), 100);
    events
}

fn bench_completion(c: &mut Criterion) {
    let body = completion();
    // Both parsers must agree before their speed is compared.
    let a: ChatResponse = serde_json::from_str(&body).expect("serde_json parses");
    let b: ChatResponse = sonic_rs::from_str(&body).expect("sonic-rs parses");
    assert_eq!(a, b);

    let mut g = c.benchmark_group("chat_completion");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("serde_json", |bench| {
        bench.iter(|| serde_json::from_str::<ChatResponse>(black_box(&body)).expect("parses"))
    });
    g.bench_function("sonic_rs", |bench| {
        bench.iter(|| sonic_rs::from_str::<ChatResponse>(black_box(&body)).expect("parses"))
    });
    g.finish();
}

fn bench_stream(c: &mut Criterion) {
    let events = stream();
    let bytes: usize = events.iter().map(String::len).sum();
    let fold_with = |parse: fn(&str) -> ChatChunk| {
        let mut acc = StreamAccumulator::new();
        for e in &events {
            acc.push(&parse(black_box(e)));
        }
        acc.finish()
    };
    let serde_parse: fn(&str) -> ChatChunk =
        |e| serde_json::from_str(e).expect("serde_json parses");
    let sonic_parse: fn(&str) -> ChatChunk = |e| sonic_rs::from_str(e).expect("sonic-rs parses");
    assert_eq!(fold_with(serde_parse), fold_with(sonic_parse));

    let mut g = c.benchmark_group("stream_100_chunks");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("serde_json", |bench| bench.iter(|| fold_with(serde_parse)));
    g.bench_function("sonic_rs", |bench| bench.iter(|| fold_with(sonic_parse)));
    g.bench_function("serde_json_parse_only", |bench| {
        bench.iter(|| {
            for e in &events {
                black_box(serde_parse(black_box(e)));
            }
        })
    });
    g.finish();
}

// A private module, so the generated group function needs no docs.
mod group {
    criterion::criterion_group!(benches, super::bench_completion, super::bench_stream);
}
criterion_main!(group::benches);
